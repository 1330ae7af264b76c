"""Each provider-role DSP TCK scenario (MET, CAT, CN, TP) as its own test, plus the conformance page."""

from __future__ import annotations

import pytest

from d4h_sdk.sandbox._tck import CATALOG_DATASETS, NEGOTIATION_SCRIPTS, TRANSFER_SCRIPTS

from ._harness import Role, TckRun, scenario_id

pytestmark = pytest.mark.tck

PROVIDER = Role(
    name="provider",
    subject="the sandbox provider in TCK mode",
    scenarios=(
        "MET:01-01",
        *(scenario_id(key) for key in CATALOG_DATASETS),
        *(scenario_id(key) for key in NEGOTIATION_SCRIPTS),
        *(scenario_id(key) for key in TRANSFER_SCRIPTS),
    ),
    disabled_in_tck=frozenset({"TP:02-04"}),
    log="tck-results.tsv.log",
    markers=("<!-- tck-results:begin -->", "<!-- tck-results:end -->"),
)
"""The 35 provider-role scenarios of the TCK."""


def test_scenario_list_is_complete() -> None:
    assert len(PROVIDER.scenarios) == len(set(PROVIDER.scenarios)) == 35


@pytest.mark.parametrize("scenario", PROVIDER.scenarios)
def test_provider_scenario(tck_run: TckRun, scenario: str) -> None:
    PROVIDER.check(tck_run, scenario)


def test_no_unexpected_provider_scenario(tck_run: TckRun) -> None:
    PROVIDER.check_nothing_unexpected(tck_run)


def test_conformance_page_regenerated(tck_run: TckRun) -> None:
    PROVIDER.regenerate_page(tck_run)
