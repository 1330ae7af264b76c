"""Parsing the DSP TCK results written by the Maven project's JUnit listener."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TCK_DIR = Path(__file__).resolve().parent
REPO = TCK_DIR.parent.parent
SKIP_REASON = "DSP TCK not run"
"""Every skip for a missing Java/Maven starts with this (``.ci/run`` greps for it)."""
_SCENARIO = re.compile(r"^([A-Z_]+:\d\d-\d\d): (.*)$")


@dataclass(frozen=True)
class ScenarioResult:
    """One TCK scenario as the TCK reported it.

    Attributes:
        scenario: The TCK id (``CN:01-02``).
        title: The rest of the display name.
        status: ``SUCCESSFUL``, ``FAILED``, ``ABORTED`` or ``SKIPPED`` (disabled in the TCK).
        test: ``class#method`` of the TCK test.
        millis: Its duration.
        message: The failure (or skip) message.
    """

    scenario: str
    title: str
    status: str
    test: str
    millis: int
    message: str


@dataclass(frozen=True)
class TckRun:
    """The results of one TCK run.

    Attributes:
        results: Scenario id -> result.
        class_failures: Messages of TCK classes that failed as a whole (their scenarios never ran).
        version: The TCK version of the pom.
        seconds: Wall-clock time of the Maven run.
        output: The tail of Maven's output.
    """

    results: dict[str, ScenarioResult]
    class_failures: list[str]
    version: str
    seconds: float
    output: str


def parse_results(text: str) -> tuple[dict[str, ScenarioResult], list[str]]:
    """Parse the listener's TSV lines into scenario results and whole-class failures."""
    results: dict[str, ScenarioResult] = {}
    failures: list[str] = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) != 5:
            continue
        status, name, test, millis, message = fields
        if status.startswith("CLASS_"):
            failures.append(f"{name}: {message}")
            continue
        match = _SCENARIO.match(name)
        if match is None:
            continue
        scenario = match.group(1)
        results[scenario] = ScenarioResult(scenario, match.group(2), status, test, int(millis), message)
    return results, failures


def tck_version() -> str:
    """The pinned TCK version (``dsp.tck.version`` of the pom)."""
    found = re.search(r"<dsp\.tck\.version>([^<]+)<", (TCK_DIR / "pom.xml").read_text(encoding="utf-8"))
    return found.group(1) if found else "unknown"
