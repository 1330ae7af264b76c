"""pytest plugin: the sandbox data space as fixtures (registered under the ``pytest11`` entry point).

Installing ``d4h-sdk`` makes two fixtures available in every test suite, with no import or ``conftest.py``:

* ``d4h_sandbox`` — one :class:`~d4h_sdk.sandbox._sandbox.Sandbox` for the whole test session, started on
  first use and stopped at the end of the session;
* ``d4h_sandbox_fresh`` — a new sandbox for one test (state, callbacks and participants do not leak between
  tests), stopped when the test ends.

```python
def test_catalog(d4h_sandbox):
    lab = d4h_sandbox.participants["research-lab"]
    token = lab.issue_token(d4h_sandbox.provider.did)
    ...


@pytest.mark.d4h_sandbox(seed=7, patients=20)
def test_restart(d4h_sandbox_fresh):
    ...
```

Options: ``--d4h-sandbox-seed N`` and ``--d4h-sandbox-patients N`` set the synthetic data of both fixtures;
the ``d4h_sandbox(seed=..., patients=..., store_path=...)`` marker overrides them for ``d4h_sandbox_fresh``.

This module is imported by every pytest run in which ``d4h-sdk`` is installed, so it imports nothing heavy:
the sandbox (werkzeug, identity, synthetic data) is imported inside the fixtures.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from d4h_sdk.sandbox._sandbox import Sandbox

__all__ = ["d4h_sandbox", "d4h_sandbox_fresh"]

_DEFAULT_SEED = 0
_DEFAULT_PATIENTS = 50
_MARKER = "d4h_sandbox"
_MARKER_KEYS = frozenset({"seed", "patients", "store_path"})


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--d4h-sandbox-*`` command-line options."""
    group = parser.getgroup("d4h", "d4h_sdk sandbox data space")
    group.addoption(
        "--d4h-sandbox-seed",
        type=int,
        default=_DEFAULT_SEED,
        help=f"seed of the sandbox's synthetic data (default {_DEFAULT_SEED})",
    )
    group.addoption(
        "--d4h-sandbox-patients",
        type=_positive_int,
        default=_DEFAULT_PATIENTS,
        help=f"patients per synthetic cohort of the sandbox (default {_DEFAULT_PATIENTS})",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``d4h_sandbox`` marker (so that ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(seed=None, patients=None, store_path=None): options of the d4h_sandbox_fresh sandbox",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _options(config: pytest.Config) -> dict[str, Any]:
    return {
        "seed": config.getoption("--d4h-sandbox-seed"),
        "patients": config.getoption("--d4h-sandbox-patients"),
    }


@pytest.fixture(scope="session")
def d4h_sandbox(pytestconfig: pytest.Config) -> Iterator[Sandbox]:
    """One sandbox data space shared by the whole test session (started on first use).

    Tests share its provider state: give each negotiation its own ``consumerPid`` and callback path.
    """
    from d4h_sdk.sandbox._sandbox import Sandbox

    with Sandbox(**_options(pytestconfig)) as sandbox:
        yield sandbox


@pytest.fixture
def d4h_sandbox_fresh(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A new sandbox data space for one test; the ``d4h_sandbox`` marker sets its options."""
    from d4h_sdk.sandbox._sandbox import Sandbox

    options = _options(request.config)
    marker = request.node.get_closest_marker(_MARKER)
    if marker is not None:
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{_MARKER} takes keyword arguments only")
        unknown = sorted(set(marker.kwargs) - _MARKER_KEYS)
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.{_MARKER} got unknown options {unknown}; use {sorted(_MARKER_KEYS)}"
            )
        options.update({key: value for key, value in marker.kwargs.items() if value is not None})
    with Sandbox(**options) as sandbox:
        yield sandbox
