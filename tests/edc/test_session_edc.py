"""``Session.edc`` (the SDK's EdcConnector) driving the consumer EDC against the provider EDC (marker ``edc``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from d4h_sdk import Session
from d4h_sdk.connectors import DSP_2024_1, EdcConnector, Provider
from d4h_sdk.errors import BadRequestError, NotFoundError, ServerError
from d4h_sdk.models.management import Criterion, QuerySpec
from d4h_sdk.models.negotiation import NegotiationState
from tests.edc._flows import asset_id
from tests.edc.conftest import SEEDED_ASSETS, DataServer, EdcSetup

pytestmark = pytest.mark.edc


def provider_of(edc: EdcSetup, version: str = "2025-1") -> Provider:
    """The provider EDC as the consumer EDC's counter-party: the DSP root plus the version path."""
    protocol = "dataspace-protocol-http:" + version
    return Provider(f"{edc.pair.provider.dsp_url}/{version}", edc.pair.provider.participant_id, protocol)


@pytest.fixture
def session(edc: EdcSetup) -> Iterator[Session]:
    consumer = edc.pair.consumer
    with Session.edc(consumer.management_url, api_key=consumer.api_key, api_version="v3") as opened:
        # EDC's public API wants the EDR token as is, although the EDR says authType "bearer".
        connector = opened.connector
        assert isinstance(connector, EdcConnector)
        connector.raw_edr_token = True
        yield opened


def test_api_version_is_detected_as_v3(edc: EdcSetup) -> None:
    # EDC 0.14 serves /v3 (+ /v4alpha), 0.15.1 /v3 + /v4beta: the probe of /v4 answers 404 on both.
    consumer = edc.pair.consumer
    with EdcConnector(consumer.management_url, api_key=consumer.api_key) as connector:
        assert connector.api_version == "v3"


def test_catalog_pages_through_more_than_50_datasets(edc: EdcSetup, session: Session) -> None:
    pages = list(session.catalog.pages(provider_of(edc)))
    ids = [dataset.id for page in pages for dataset in page.datasets]
    assert len(pages) >= 2  # EdcConnector's default page is 50
    assert len(ids) == len(set(ids))
    assert {asset_id(i) for i in range(SEEDED_ASSETS)} <= set(ids)


def test_catalog_over_dsp_2024_1(edc: EdcSetup, session: Session) -> None:
    ids = {dataset.id for _, dataset in session.catalog.datasets(provider_of(edc, "2024/1"))}
    assert {asset_id(i) for i in range(SEEDED_ASSETS)} <= ids
    assert DSP_2024_1 == "dataspace-protocol-http:2024/1"


def test_negotiate_and_pull(edc: EdcSetup, session: Session, data_server: DataServer) -> None:
    hit = session.catalog.get(provider_of(edc), asset_id(11))
    contract = session.negotiations.negotiate(hit, timeout=60)
    assert contract.id
    status = session.negotiations.recorded(state=NegotiationState.FINALIZED)
    assert [record.dataset_id for record in status] == [asset_id(11)]
    before = len(data_server.hits)
    with session.transfers.pull(contract, timeout=60) as download:
        body = json.loads(download.read_bytes())
    assert body == {"asset": 11, "rows": [1, 2, 3]}
    assert data_server.hits[before:] == [("/data/11", None)]
    # The agreement can be read back through the SDK.
    assert isinstance(session.connector, EdcConnector)
    agreement = session.connector.get_agreement(contract.id)
    assert agreement.target == asset_id(11)


def test_terminate_a_pending_negotiation(edc: EdcSetup, session: Session) -> None:
    # A provider that never answers keeps the negotiation in REQUESTING: termination is then certain.
    nowhere = Provider("http://127.0.0.1:9/protocol/2025-1", "nobody", "dataspace-protocol-http:2025-1")
    hit = session.catalog.get(provider_of(edc), asset_id(12))
    offer = hit.dataset.has_policy[0].model_copy(update={"assigner": "nobody", "target": asset_id(12)})
    negotiation_id = session.negotiations.start(offer, provider=nowhere)
    session.negotiations.terminate(negotiation_id, reason="changed my mind")
    status = session.negotiations.get(negotiation_id)
    assert status.state is NegotiationState.TERMINATED, status


def test_bad_requests_map_to_sdk_errors(edc: EdcSetup, session: Session) -> None:
    connector = session.connector
    assert isinstance(connector, EdcConnector)
    with pytest.raises(NotFoundError):
        session.negotiations.get("no-such-negotiation")
    odd = QuerySpec(filter_expression=(Criterion(operand_left="name", operator="~~", operand_right="x"),))
    with pytest.raises(BadRequestError) as refused:
        connector.query("assets", odd)
    assert refused.value.status_code == 400
    assert "~~" in str(refused.value)  # EDC's own message, kept in the SDK's error
    # A protocol EDC has no dispatcher for: EDC answers 502 (a gateway failure), the SDK a ServerError.
    bogus = Provider(f"{edc.pair.provider.dsp_url}/2025-1", "provider", "no-such-protocol")
    with pytest.raises(ServerError) as failed:
        connector.request_catalog(bogus)
    assert failed.value.status_code == 502
    assert "No provider dispatcher registered for protocol: no-such-protocol" in str(failed.value)
