"""Smoke tests against real EDC runtimes: Management API, DSP catalog with pagination, negotiation, EDR pull."""

from __future__ import annotations

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.errors import AuthenticationError
from d4h_sdk.models import EndpointDataReference
from tests.edc._flows import asset_id, negotiate, request_catalog, start_pull_transfer
from tests.edc.conftest import SEEDED_ASSETS, DataServer, EdcSetup

pytestmark = pytest.mark.edc


def test_management_api_answers_with_the_key_only(edc: EdcSetup, http: HttpClient) -> None:
    body = {"@context": {"@vocab": "https://w3id.org/edc/v0.0.1/ns/"}, "@type": "QuerySpec", "limit": 100}
    assets = edc.provider.post("assets/request", body).json()
    assert sorted(a["@id"] for a in assets) == [asset_id(i) for i in range(SEEDED_ASSETS)]
    with pytest.raises(AuthenticationError):
        http.post(edc.provider.url("assets/request"), json=body, headers={"X-Api-Key": "wrong"})


def test_dsp_version_endpoint_lists_both_dsp_versions(edc: EdcSetup, http: HttpClient) -> None:
    answer = http.get(f"{edc.pair.provider.dsp_url}/.well-known/dspace-version").json()
    paths = {v["version"]: v["path"] for v in answer["protocolVersions"]}
    assert paths["2025-1"] == "/2025-1"
    assert paths["2024/1"] == "/2024/1"


def test_catalog_over_dsp_2025_1_pages_through_every_dataset(edc: EdcSetup) -> None:
    first = request_catalog(edc.consumer, edc.pair.provider, offset=0, limit=50)
    second = request_catalog(edc.consumer, edc.pair.provider, offset=50, limit=50)
    assert len(first.datasets) == 50
    assert len(second.datasets) == SEEDED_ASSETS - 50
    ids = {d.id for d in first.datasets} | {d.id for d in second.datasets}
    assert ids == {asset_id(i) for i in range(SEEDED_ASSETS)}
    assert first.participant_id == edc.pair.provider.participant_id
    assert all(d.has_policy for d in first.datasets)


def test_catalog_over_dsp_2024_1_pages_too(edc: EdcSetup) -> None:
    # EDC's in-memory asset index has no sort order of its own: compare sets, not sequences.
    pages = [
        request_catalog(edc.consumer, edc.pair.provider, version="2024/1", offset=offset, limit=30)
        for offset in (0, 30)
    ]
    assert [len(p.datasets) for p in pages] == [30, 30]
    assert {d.id for p in pages for d in p.datasets} == {asset_id(i) for i in range(SEEDED_ASSETS)}


def test_catalog_filter_selects_one_dataset(edc: EdcSetup) -> None:
    catalog = request_catalog(edc.consumer, edc.pair.provider, only=asset_id(42))
    assert [d.id for d in catalog.datasets] == [asset_id(42)]


def test_negotiation_transfer_and_edr_pull(edc: EdcSetup, data_server: DataServer, http: HttpClient) -> None:
    index = 7
    catalog = request_catalog(edc.consumer, edc.pair.provider, only=asset_id(index))
    (dataset,) = catalog.datasets
    assert dataset.id == asset_id(index)
    offer = dataset.has_policy[0].model_copy(
        update={"assigner": edc.pair.provider.participant_id, "target": dataset.id}
    )
    agreement_id = negotiate(edc.consumer, edc.pair.provider, offer)
    transfer_id = start_pull_transfer(edc.consumer, edc.pair.provider, agreement_id)
    # The EDR cache exists only as v3 (also on the newer runtime, where v4beta has none).
    address = edc.consumer.get(f"edrs/{transfer_id}/dataaddress", path="v3")
    edr = wire.decode(address.content, dialect="edc-v3")
    assert isinstance(edr, EndpointDataReference)
    assert edr.endpoint == edc.pair.provider.public_url
    assert edr.authorization
    before = len(data_server.hits)
    data = http.get(edr.endpoint, headers={"Authorization": edr.authorization}).json()
    assert data == {"asset": index, "rows": [1, 2, 3]}
    assert data_server.hits[before:] == [(f"/data/{index}", None)]  # the token never reaches the backend
    with pytest.raises(Exception) as refused:
        http.get(edr.endpoint, headers={"Authorization": "not-a-token"})
    assert getattr(refused.value, "status_code", None) in (401, 403)
