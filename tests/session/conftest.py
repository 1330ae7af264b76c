"""A sandbox shared by the session tests of a module, and a session per backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from d4h_sdk.sandbox import Sandbox

DATASET = "diabetes-sample"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=9, patients=20) as ds:
        yield ds
    left = [t.name for t in threading.enumerate() if t.name.startswith("d4h-") and t.is_alive()]
    assert left == [], f"threads leaked: {left}"


@pytest.fixture(params=["edc", "dsp"])
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def payload(sandbox: Sandbox, dataset_id: str = DATASET) -> bytes:
    """The bytes the provider serves for a dataset's default payload."""
    return b"".join(next(d for d in sandbox.datasets if d.id == dataset_id).payload().source())
