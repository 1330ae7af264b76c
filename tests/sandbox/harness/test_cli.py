"""The ``d4h`` command: ``d4h sandbox up`` in a subprocess (endpoints, Ctrl-C, SIGTERM) and ``--version``."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from d4h_sdk import __version__
from d4h_sdk._http import HttpClient
from d4h_sdk.cli import main
from d4h_sdk.cli._sandbox_cmd import READY_LINE

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0


class Running:
    """A ``d4h sandbox up`` subprocess whose stdout is read line by line on a thread."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "d4h_sdk.cli", "sandbox", "up", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def until(self, last: str, timeout: float) -> list[str]:
        """The lines up to and including ``last``."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {last!r} within {timeout} s; got {seen}"
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            assert line is not None, f"the process ended before {last!r}: {seen}; {self._stderr()}"
            seen.append(line)
            if line == last:
                return seen

    def _stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read()

    def rest(self) -> list[str]:
        """The remaining stdout lines (after the process ended)."""
        self._reader.join(timeout=_STOP_TIMEOUT_S)
        out: list[str] = []
        while (line := self.lines.get_nowait()) is not None:
            out.append(line)
        return out

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=_STOP_TIMEOUT_S)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def running() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for item in started:
        item.kill()


def _field(lines: list[str], label: str) -> str:
    prefix = f"{label}:"
    values = [line.strip()[len(prefix) :].strip() for line in lines if line.strip().startswith(prefix)]
    assert values, f"no {label!r} line in {lines}"
    return values[0]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_sandbox_up_prints_endpoints_serves_and_stops_cleanly(
    running: list[Running], tmp_path: Path, stop: signal.Signals
) -> None:
    store = tmp_path / "provider.sqlite"
    cli = Running("--seed", "4", "--patients", "10", "--store", str(store))
    running.append(cli)
    lines = cli.until(READY_LINE, _START_TIMEOUT_S)
    text = "\n".join(lines)
    version_url = _field(lines, "version URL")
    assert version_url.startswith("http://127.0.0.1:") and version_url.endswith("/.well-known/dspace-version")
    assert _field(lines, "provider DSP 2025-1").endswith("/2025-1")
    assert _field(lines, "provider DSP 2024-1").endswith("/2024-1")
    assert _field(lines, "provider DID").startswith("did:web:localhost%3A")
    assert _field(lines, "provider state") == str(store)
    for name in ("hospital", "research-lab", "ad-company"):
        assert f"  {name} (" in text
    assert _field(lines, "STS client id") == "ad-company"  # participants in name order
    assert _field(lines, "STS client secret").endswith("(sandbox-only)")
    assert "/sts/token" in _field(lines, "STS token URL")
    for dataset in ("diabetes-cohort", "oncology-cohort", "diabetes-sample", "benchmark-file"):
        assert f"  {dataset} [" in text
    with HttpClient(timeout=(2, 10), max_retries=0) as http:
        body = http.get(version_url).json()
    assert {v["version"] for v in body["protocolVersions"]} == {"2025-1", "2024-1"}

    started = time.monotonic()
    cli.process.send_signal(stop)
    assert cli.process.wait(timeout=_STOP_TIMEOUT_S) == 0
    assert time.monotonic() - started < 5.0
    assert cli.rest()[-1] == "Sandbox stopped."
    assert store.is_file()


def _up(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "d4h_sdk.cli", "sandbox", "up", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_sandbox_up_refuses_bad_options(tmp_path: Path) -> None:
    done = _up("--patients", "0")
    assert done.returncode == 2
    assert "--patients: must be at least 1, not 0" in done.stderr
    done = _up("--store", str(tmp_path))  # a folder is no SQLite file: the sandbox cannot start
    assert done.returncode == 1
    assert done.stderr.startswith("d4h sandbox up: error: cannot open the provider store")
    assert READY_LINE not in done.stdout


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"d4h {__version__}"
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err
    assert main(["sandbox"]) == 2
    assert "usage: d4h sandbox [-h] ACTION" in capsys.readouterr().err
