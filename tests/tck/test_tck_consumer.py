"""Each consumer-role DSP TCK scenario (CN_C, TP_C) against DspConnector as its own test, plus the page."""

from __future__ import annotations

import pytest

from d4h_sdk.connectors._dsp_tck import NEGOTIATION_SCRIPTS, TRANSFER_SCRIPTS

from ._harness import Role, TckRun, scenario_id

pytestmark = pytest.mark.tck

CONSUMER = Role(
    name="consumer",
    subject="`DspConnector` in consumer-under-test mode",
    scenarios=(
        *(scenario_id(key) for key in NEGOTIATION_SCRIPTS),
        *(scenario_id(key) for key in TRANSFER_SCRIPTS),
    ),
    disabled_in_tck=frozenset({"TP_C:02-04"}),
    log="tck-consumer-results.tsv.log",
    markers=("<!-- tck-consumer-results:begin -->", "<!-- tck-consumer-results:end -->"),
)
"""The 32 consumer-role scenarios of the TCK."""


def test_scenario_list_is_complete() -> None:
    assert len(CONSUMER.scenarios) == len(set(CONSUMER.scenarios)) == 32


@pytest.mark.parametrize("scenario", CONSUMER.scenarios)
def test_consumer_scenario(tck_consumer_run: TckRun, scenario: str) -> None:
    CONSUMER.check(tck_consumer_run, scenario)


def test_no_unexpected_consumer_scenario(tck_consumer_run: TckRun) -> None:
    CONSUMER.check_nothing_unexpected(tck_consumer_run)


def test_conformance_page_regenerated(tck_consumer_run: TckRun) -> None:
    CONSUMER.regenerate_page(tck_consumer_run)
