"""Shared pytest fixtures: where the official fixtures live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parent.parent


def find_shared_fixtures() -> Path | None:
    """Return ../shared/fixtures (or $D4H_SHARED_FIXTURES) if it exists."""
    env = os.environ.get("D4H_SHARED_FIXTURES")
    candidates = [Path(env)] if env else []
    candidates.append(_REPO.parent / "shared" / "fixtures")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """The official fixtures folder; skips the test with a clear reason when it is absent."""
    path = find_shared_fixtures()
    if path is None:
        pytest.skip(
            "official fixtures not found: put shared/ beside the repository or set D4H_SHARED_FIXTURES"
        )
    return path
