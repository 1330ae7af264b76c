"""The sandbox provider's TCK mode without Java: its configuration, its authentication and its scripts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.sandbox._tck import TckAuthenticator, TckProvider

from ._harness import parse_results


@pytest.fixture(scope="module")
def cut() -> Iterator[TckProvider]:
    with TckProvider(secret="tck-secret", step_delay_s=0.01) as provider:
        yield provider


@pytest.fixture()
def http() -> Iterator[HttpClient]:
    client = HttpClient(timeout=(2, 5), max_retries=0)
    yield client
    client.close()


def test_properties_name_every_provider_scenario(cut: TckProvider) -> None:
    props = cut.properties(callback_port=18083)
    assert props["dataspacetck.dsp.connector.http.url"] == cut.connector.dsp_url("2025-1")
    assert props["dataspacetck.callback.address"] == "http://127.0.0.1:18083"
    assert props["CN_01_02_DATASETID"] == "ACN0102"
    assert props["CN_01_02_OFFERID"] == "CD123:ACN0102:456"
    assert props["TP_01_05_AGREEMENTID"] == "ATP0105"
    assert props["CAT_01_03_DATASETID"] == "CAT0103"
    assert sum(key.endswith(("_OFFERID", "_AGREEMENTID")) for key in props) == 15 + 16


def test_only_the_configured_secret_is_accepted(cut: TckProvider, http: HttpClient) -> None:
    url = f"{cut.connector.dsp_url()}/catalog/datasets/CAT0101"
    good = http.get(url, headers={"Authorization": "tck-secret"}).json()
    assert good["@id"] == "CAT0101"
    refused = http.get(url, headers={"Authorization": "Bearer tck-secret"}, allow_status=(401,))
    assert refused.status_code == 401
    assert http.get(url, allow_status=(401,)).status_code == 401
    assert "s3cret" not in repr(TckAuthenticator("s3cret"))


def test_catalog_scenario_dataset_is_absent(cut: TckProvider, http: HttpClient) -> None:
    url = f"{cut.connector.dsp_url()}/catalog/datasets/CAT0103"
    missing = http.get(url, headers={"Authorization": "tck-secret"}, allow_status=(404,))
    assert missing.status_code == 404
    assert missing.json()["@type"] == "CatalogError"


def test_seeded_agreements_exist(cut: TckProvider) -> None:
    agreement = cut.connector.store.get_agreement("ATP0101")
    assert agreement is not None
    assert agreement.assignee == "TCK_PARTICIPANT"


def test_parse_results_reads_scenarios_and_class_failures() -> None:
    text = (
        "SUCCESSFUL\tCN:01-01: Verify contract request\tx.Test#cn_01_01\t12\t\n"
        "SKIPPED\tTP:02-04: Verify transfer\tx.Test#tp_02_04\t0\tdisabled\n"
        "CLASS_FAILED\tTP_03: negative\tx.Test\t0\tNoClassDefFoundError\n"
        "garbage\n"
    )
    results, failures = parse_results(text)
    assert results["CN:01-01"].status == "SUCCESSFUL"
    assert results["CN:01-01"].title == "Verify contract request"
    assert results["TP:02-04"].message == "disabled"
    assert failures == ["TP_03: negative: NoClassDefFoundError"]
