"""A sandbox shared by a test module, and a runner of ``d4h_sdk.cli.main`` pointed at its research lab."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from d4h_sdk.cli import main
from d4h_sdk.sandbox import Sandbox

DATASET = "diabetes-sample"


@dataclass(frozen=True)
class Result:
    """What one ``d4h`` run returned and printed."""

    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=5, patients=20) as ds:
        yield ds
    left = [t.name for t in threading.enumerate() if t.name.startswith("d4h-") and t.is_alive()]
    assert left == [], f"threads leaked: {left}"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "store.sqlite"


@pytest.fixture
def lab_env(sandbox: Sandbox, store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a research lab's shell: its EDC management API, key and a store file."""
    for name in ("D4H_NEGOTIATION_TIMEOUT", "D4H_TRANSFER_TIMEOUT", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("D4H_MANAGEMENT_URL", sandbox.management_url("research-lab"))
    monkeypatch.setenv("D4H_API_KEY", sandbox.management_api_key("research-lab"))
    monkeypatch.setenv("D4H_STORE_PATH", str(store_path))


@pytest.fixture
def d4h(lab_env: None, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``d4h ARGS...`` in this process; argparse's exits become a Result with their code."""

    def run(*argv: str) -> Result:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def payload(sandbox: Sandbox, dataset_id: str = DATASET) -> bytes:
    """The bytes the provider serves for a dataset's default payload."""
    return b"".join(next(d for d in sandbox.datasets if d.id == dataset_id).payload().source())
