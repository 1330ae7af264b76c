"""Each provider-role DSP TCK scenario (MET, CAT, CN, TP) as its own test, plus the conformance page."""

from __future__ import annotations

from pathlib import Path

import pytest

from d4h_sdk.sandbox._tck import CATALOG_DATASETS, NEGOTIATION_SCRIPTS, TRANSFER_SCRIPTS

from ._harness import REPO, TckRun

pytestmark = pytest.mark.tck


def _scenario_id(key: str) -> str:
    """``CN_01_02`` -> ``CN:01-02``."""
    group, major, minor = key.rsplit("_", 2)
    return f"{group}:{major}-{minor}"


PROVIDER_SCENARIOS = [
    "MET:01-01",
    *(_scenario_id(key) for key in CATALOG_DATASETS),
    *(_scenario_id(key) for key in NEGOTIATION_SCRIPTS),
    *(_scenario_id(key) for key in TRANSFER_SCRIPTS),
]
"""The 35 provider-role scenarios of the TCK."""

DISABLED_IN_TCK = {"TP:02-04"}
"""Scenarios the TCK itself marks @Disabled."""

_BEGIN, _END = "<!-- tck-results:begin -->", "<!-- tck-results:end -->"


def test_scenario_list_is_complete() -> None:
    assert len(PROVIDER_SCENARIOS) == 35
    assert len(set(PROVIDER_SCENARIOS)) == 35


@pytest.mark.parametrize("scenario", PROVIDER_SCENARIOS)
def test_provider_scenario(tck_run: TckRun, scenario: str) -> None:
    result = tck_run.results.get(scenario)
    if result is None:
        problems = "; ".join(tck_run.class_failures) or tck_run.output[-1500:]
        pytest.fail(f"the TCK did not report {scenario}: {problems}")
    if result.status == "SKIPPED":
        assert scenario in DISABLED_IN_TCK, f"{scenario} was skipped: {result.message}"
        pytest.skip(f"{scenario} is disabled in the TCK itself: {result.message}")
    assert result.status == "SUCCESSFUL", (
        f"{scenario} ({result.title}) {result.status}: {result.message} "
        "(stack traces in tests/tck/target/tck-results.tsv.log)"
    )


def test_no_unexpected_provider_scenario(tck_run: TckRun) -> None:
    """A newer TCK adding provider scenarios must be noticed (and scripted)."""
    assert not tck_run.class_failures
    assert sorted(set(tck_run.results) - set(PROVIDER_SCENARIOS)) == []


def _table(run: TckRun) -> str:
    rows = [
        f"Results of the last run: DSP TCK `{run.version}` (`org.eclipse.dataspacetck.dsp`), provider role, "
        "against the sandbox provider in TCK mode.",
        "",
        "| Scenario | Title | Result |",
        "|---|---|---|",
    ]
    labels = {"SUCCESSFUL": "passed", "FAILED": "**failed**", "ABORTED": "**aborted**"}
    for scenario in PROVIDER_SCENARIOS:
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
        f"{passed} of {len(PROVIDER_SCENARIOS)} provider-role scenarios passed; {disabled} disabled in the TCK.",
    ]
    return "\n".join(rows)


def test_conformance_page_regenerated(tck_run: TckRun) -> None:
    """docs/conformance.md carries the table of this run (deterministic: no times or dates)."""
    page = Path(REPO, "docs", "conformance.md")
    text = page.read_text(encoding="utf-8")
    assert _BEGIN in text and _END in text, "docs/conformance.md lost its tck-results markers"
    head, rest = text.split(_BEGIN, 1)
    _, tail = rest.split(_END, 1)
    updated = f"{head}{_BEGIN}\n{_table(tck_run)}\n{_END}{tail}"
    if updated != text:
        page.write_text(updated, encoding="utf-8")
    assert _table(tck_run) in page.read_text(encoding="utf-8")
