"""Parsing the DSP TCK results written by the Maven project's JUnit listener."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

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


def scenario_id(key: str) -> str:
    """A script key as the TCK names its scenario: ``CN_01_02`` -> ``CN:01-02``; ``CN_C_01_02`` -> ``CN_C:01-02``."""
    group, major, minor = key.rsplit("_", 2)
    return f"{group}:{major}-{minor}"


@dataclass(frozen=True)
class Role:
    """One role's scenarios, how they are reported, and where the conformance page keeps its table."""

    name: str
    """``provider`` or ``consumer``."""
    subject: str
    """What was under test, for the page (``the sandbox provider in TCK mode``)."""
    scenarios: tuple[str, ...]
    disabled_in_tck: frozenset[str]
    log: str
    """The stack-trace log under tests/tck/target/."""
    markers: tuple[str, str]
    """The begin and end markers of the table in docs/conformance.md."""

    def check(self, run: TckRun, scenario: str) -> None:
        """Fail (or skip, for a scenario the TCK disables) unless the run reports ``scenario`` successful."""
        result = run.results.get(scenario)
        if result is None:
            problems = "; ".join(run.class_failures) or run.output[-1500:]
            pytest.fail(f"the TCK did not report {scenario}: {problems}")
        if result.status == "SKIPPED":
            assert scenario in self.disabled_in_tck, f"{scenario} was skipped: {result.message}"
            pytest.skip(f"{scenario} is disabled in the TCK itself: {result.message}")
        assert result.status == "SUCCESSFUL", (
            f"{scenario} ({result.title}) {result.status}: {result.message} "
            f"(stack traces in tests/tck/target/{self.log})"
        )

    def check_nothing_unexpected(self, run: TckRun) -> None:
        """A newer TCK adding scenarios of this role must be noticed (and scripted)."""
        assert not run.class_failures
        assert sorted(set(run.results) - set(self.scenarios)) == []

    def table(self, run: TckRun) -> str:
        """The Markdown results table of this role (deterministic: no times or dates)."""
        rows = [
            f"Results of the last run: DSP TCK `{run.version}` (`org.eclipse.dataspacetck.dsp`), {self.name} "
            f"role, against {self.subject}.",
            "",
            "| Scenario | Title | Result |",
            "|---|---|---|",
        ]
        labels = {"SUCCESSFUL": "passed", "FAILED": "**failed**", "ABORTED": "**aborted**"}
        for scenario in self.scenarios:
            result = run.results.get(scenario)
            if result is None:
                rows.append(f"| {scenario} | | **not run** |")
                continue
            label = labels.get(result.status, result.status.lower())
            if result.status == "SKIPPED":
                label = "disabled in the TCK"
            rows.append(f"| {scenario} | {result.title} | {label} |")
        passed = sum(1 for r in run.results.values() if r.status == "SUCCESSFUL")
        disabled = sum(1 for r in run.results.values() if r.status == "SKIPPED")
        rows += [
            "",
            f"{passed} of {len(self.scenarios)} {self.name}-role scenarios passed; {disabled} disabled in the TCK.",
        ]
        return "\n".join(rows)

    def regenerate_page(self, run: TckRun) -> None:
        """Write this role's table of ``run`` into docs/conformance.md between its markers."""
        begin, end = self.markers
        page = Path(REPO, "docs", "conformance.md")
        text = page.read_text(encoding="utf-8")
        assert begin in text and end in text, f"docs/conformance.md lost its markers {begin} / {end}"
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        updated = f"{head}{begin}\n{self.table(run)}\n{end}{tail}"
        if updated != text:
            page.write_text(updated, encoding="utf-8")
        assert self.table(run) in page.read_text(encoding="utf-8")
