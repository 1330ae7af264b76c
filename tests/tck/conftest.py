"""Runs the DSP TCK once per session and role and parses its results.

The provider role (MET, CAT, CN, TP) runs against the sandbox provider in TCK mode (``tck_run``); the
consumer role (CN_C, TP_C) against the SDK's ``DspConnector`` in consumer-under-test mode
(``tck_consumer_run``, :mod:`d4h_sdk.connectors._dsp_tck`), each with its own properties and report.

The TCK (Java, Maven Central artifacts pinned in ``tests/tck/pom.xml``) runs through
``mvn -q -f tests/tck/pom.xml test -Dtck.config=<properties>``; the JUnit listener of the Maven project writes
one line per scenario to ``target/tck-results.tsv`` (consumer role: ``target/tck-consumer-results.tsv``;
status, display name, class#method, ms, message) and the stack traces to ``<report>.log``. Without Java or Maven the tests skip with a reason starting
with ``SKIP_REASON``; with ``D4H_TCK_REQUIRED=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from d4h_sdk.connectors._dsp_tck import TckConsumer
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


def _run_tck(
    mvn: str, private: Path, properties: Mapping[str, str], report_name: str, tck_filter: str | None
) -> tuple[subprocess.CompletedProcess[str], float, Path]:
    """Write the properties, run the Maven project once; return the process, its duration and the report."""
    config, report = private / "tck.properties", TCK_DIR / "target" / report_name
    config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()), encoding="utf-8")
    command = [mvn, "-q", "-B", "-f", str(TCK_DIR / "pom.xml"), "test"]
    command += [f"-Dtck.config={config}", f"-Dtck.report={report}"]
    if tck_filter:
        command.append(f"-Dtck.filter={tck_filter}")
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_S, check=False
    )
    return completed, time.perf_counter() - started, report


def _collect(completed: subprocess.CompletedProcess[str], seconds: float, report: Path) -> TckRun:
    output = (completed.stdout + completed.stderr)[-4000:]
    text = report.read_text(encoding="utf-8") if report.is_file() else ""
    results, class_failures = parse_results(text)
    if not results and not class_failures:
        pytest.fail(f"the TCK reported no scenario (mvn exit {completed.returncode}):\n{output}")
    return TckRun(results, class_failures, tck_version(), seconds, output)


def _maven() -> str:
    mvn, java = shutil.which("mvn"), shutil.which("java")
    if mvn is None or java is None:
        _unavailable("Java 17+ and Maven are needed to run it (java or mvn is not on PATH)")
    assert mvn is not None
    return mvn


@pytest.fixture(scope="session")
def tck_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TckRun]:
    """Run the TCK's provider-role scenarios once against a TCK-mode sandbox provider."""
    mvn = _maven()
    private = tmp_path_factory.mktemp("tck")  # the properties hold the TCK secret
    with TckProvider() as provider:
        properties = provider.properties(callback_port=_free_port())
        run = _run_tck(mvn, private, properties, "tck-results.tsv", None)
    yield _collect(*run)


CONSUMER_FILTER = r"^(CN_C|TP_C)[:_]\d.*"
"""Display names of the consumer-role scenarios and their classes."""


@pytest.fixture(scope="session")
def tck_consumer_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TckRun]:
    """Run the TCK's consumer-role scenarios once against the SDK's DspConnector in consumer-under-test mode."""
    mvn = _maven()
    private = tmp_path_factory.mktemp("tck-consumer")
    with TckConsumer() as consumer:
        properties = consumer.properties(callback_port=_free_port())
        run = _run_tck(mvn, private, properties, "tck-consumer-results.tsv", CONSUMER_FILTER)
    yield _collect(*run)
