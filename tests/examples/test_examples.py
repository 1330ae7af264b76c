"""Each example script runs in a fresh interpreter against its own sandbox; the example test module passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("werkzeug", reason="the examples need the sandbox extra")
pytest.importorskip("pandas", reason="the examples need pandas")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMEOUT_S = 120


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=EXAMPLES.parent,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=env,
        check=False,
    )


def test_analyst_example_goes_from_search_to_dataframe_and_shows_refusals() -> None:
    result = _run(str(EXAMPLES / "analyst.py"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "2 diabetes dataset(s)" in out
    assert "negotiation FINALIZED" in out
    assert "verified: True" in out
    assert "HbA1c (%) at the last visit, by diabetes type" in out and "type2" in out
    assert "refused locally, nothing sent" in out
    assert "terminated by the provider: POLICY_PROHIBITED" in out and "Art 54" in out
    assert result.stderr == ""


def test_hospital_example_publishes_discovers_uses_and_withdraws() -> None:
    result = _run(str(EXAMPLES / "hospital_publish.py"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Published hba1c-registry-2024 (policy hba1c-registry-2024-policy" in out
    assert "The hospital's published assets: ['hba1c-registry-2024']" in out
    assert "The lab finds 'hba1c-registry-2024': HbA1c registry 2024; 1 offer(s): 1 permitted" in out
    assert "3 rows, mean HbA1c 7.37 %" in out
    assert "still in the lab's catalog: False" in out
    assert result.stderr == ""


def test_connector_integration_example_passes_with_the_plugin_enabled() -> None:
    module = EXAMPLES / "test_connector_integration.py"
    result = _run("-m", "pytest", "-q", "-p", "d4h_sdk", "-p", "no:cacheprovider", str(module))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "15 passed" in result.stdout, result.stdout
