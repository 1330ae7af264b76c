"""``d4h demo`` runs the whole flow and prints each step (issue 6 item 9)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("backend", ["edc", "dsp"])
def test_demo_runs_end_to_end(backend: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "d4h_sdk.cli", "demo", "--backend", backend, "--patients", "40"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for expected in (
        "diabetes-sample",
        "negotiation FINALIZED",
        "verified",
        "mean by diabetes type",
        "type2",
        "The provider terminated the negotiation",
        "Art 54",
        "Demo finished",
    ):
        assert expected in out, f"{expected!r} missing from the demo output:\n{out}"
