"""Each consumer-role DSP TCK scenario (CN_C, TP_C) against DspConnector as its own test, plus the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from d4h_sdk.connectors._dsp_tck import NEGOTIATION_SCRIPTS, TRANSFER_SCRIPTS

from ._harness import REPO, TckRun

pytestmark = pytest.mark.tck


def _scenario_id(key: str) -> str:
    """``CN_C_01_02`` -> ``CN_C:01-02``."""
    group, major, minor = key.rsplit("_", 2)
    return f"{group}:{major}-{minor}"


CONSUMER_SCENARIOS = [
    *(_scenario_id(key) for key in NEGOTIATION_SCRIPTS),
    *(_scenario_id(key) for key in TRANSFER_SCRIPTS),
]
"""The 32 consumer-role scenarios of the TCK."""

DISABLED_IN_TCK = {"TP_C:02-04"}
"""Scenarios the TCK itself marks @Disabled."""

_BEGIN, _END = "<!-- tck-consumer-results:begin -->", "<!-- tck-consumer-results:end -->"


def test_scenario_list_is_complete() -> None:
    assert len(CONSUMER_SCENARIOS) == 32
    assert len(set(CONSUMER_SCENARIOS)) == 32


@pytest.mark.parametrize("scenario", CONSUMER_SCENARIOS)
def test_consumer_scenario(tck_consumer_run: TckRun, scenario: str) -> None:
    result = tck_consumer_run.results.get(scenario)
    if result is None:
        problems = "; ".join(tck_consumer_run.class_failures) or tck_consumer_run.output[-1500:]
        pytest.fail(f"the TCK did not report {scenario}: {problems}")
    if result.status == "SKIPPED":
        assert scenario in DISABLED_IN_TCK, f"{scenario} was skipped: {result.message}"
        pytest.skip(f"{scenario} is disabled in the TCK itself: {result.message}")
    assert result.status == "SUCCESSFUL", (
        f"{scenario} ({result.title}) {result.status}: {result.message} "
        "(stack traces in tests/tck/target/tck-consumer-results.tsv.log)"
    )


def test_no_unexpected_consumer_scenario(tck_consumer_run: TckRun) -> None:
    """A newer TCK adding consumer scenarios must be noticed (and scripted)."""
    assert not tck_consumer_run.class_failures
    assert sorted(set(tck_consumer_run.results) - set(CONSUMER_SCENARIOS)) == []


def _table(run: TckRun) -> str:
    rows = [
        f"Results of the last run: DSP TCK `{run.version}` (`org.eclipse.dataspacetck.dsp`), consumer role, "
        "against `DspConnector` in consumer-under-test mode.",
        "",
        "| Scenario | Title | Result |",
        "|---|---|---|",
    ]
    labels = {"SUCCESSFUL": "passed", "FAILED": "**failed**", "ABORTED": "**aborted**"}
    for scenario in CONSUMER_SCENARIOS:
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
        f"{passed} of {len(CONSUMER_SCENARIOS)} consumer-role scenarios passed; {disabled} disabled in the TCK.",
    ]
    return "\n".join(rows)


def test_conformance_page_regenerated(tck_consumer_run: TckRun) -> None:
    """docs/conformance.md carries the consumer table of this run (deterministic: no times or dates)."""
    page = Path(REPO, "docs", "conformance.md")
    text = page.read_text(encoding="utf-8")
    assert _BEGIN in text and _END in text, "docs/conformance.md lost its tck-consumer-results markers"
    head, rest = text.split(_BEGIN, 1)
    _, tail = rest.split(_END, 1)
    updated = f"{head}{_BEGIN}\n{_table(tck_consumer_run)}\n{_END}{tail}"
    if updated != text:
        page.write_text(updated, encoding="utf-8")
    assert _table(tck_consumer_run) in page.read_text(encoding="utf-8")
