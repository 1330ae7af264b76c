"""Runs the DSP TCK once per session against the sandbox provider in TCK mode and parses its results.

The TCK (Java, Maven Central artifacts pinned in ``tests/tck/pom.xml``) runs through
``mvn -q -f tests/tck/pom.xml test -Dtck.config=<properties>``; the JUnit listener of the Maven project writes
one line per scenario to ``target/tck-results.tsv`` (status, display name, class#method, ms, message) and the
stack traces to ``target/tck-results.tsv.log``. Without Java or Maven the tests skip with a reason starting
with ``SKIP_REASON``; with ``D4H_TCK_REQUIRED=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from d4h_sdk.sandbox._tck import TckProvider

from ._harness import REPO, SKIP_REASON, TCK_DIR, TckRun, parse_results, tck_version

MAVEN_TIMEOUT_S = 1200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("D4H_TCK_REQUIRED", "") not in ("", "0", "false"):
        pytest.fail(f"{SKIP_REASON}: {reason} (D4H_TCK_REQUIRED is set)")
    pytest.skip(f"{SKIP_REASON}: {reason}")


@pytest.fixture(scope="session")
def tck_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TckRun]:
    """Run the TCK's provider-role scenarios once against a TCK-mode sandbox provider."""
    mvn, java = shutil.which("mvn"), shutil.which("java")
    if mvn is None or java is None:
        _unavailable("Java 17+ and Maven are needed to run it (java or mvn is not on PATH)")
    assert mvn is not None
    private = tmp_path_factory.mktemp("tck")  # the properties hold the TCK secret
    config, report = private / "tck.properties", TCK_DIR / "target" / "tck-results.tsv"
    with TckProvider() as provider:
        properties = provider.properties(callback_port=_free_port())
        config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()), encoding="utf-8")
        command = [mvn, "-q", "-B", "-f", str(TCK_DIR / "pom.xml"), "test"]
        command += [f"-Dtck.config={config}", f"-Dtck.report={report}"]
        started = time.perf_counter()
        completed = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_S, check=False
        )
        seconds = time.perf_counter() - started
    output = (completed.stdout + completed.stderr)[-4000:]
    text = report.read_text(encoding="utf-8") if report.is_file() else ""
    results, class_failures = parse_results(text)
    if not results and not class_failures:
        pytest.fail(f"the TCK reported no scenario (mvn exit {completed.returncode}):\n{output}")
    yield TckRun(results, class_failures, tck_version(), seconds, output)
