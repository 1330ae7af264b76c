"""Consumer calls: exact request bodies and paths for v3 and v4, responses read into the connector types."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from responses import matchers

from d4h_sdk import ConfigurationError, UnsupportedOperationError, models
from d4h_sdk.connectors import DSP_2025_1, Provider, PublishingConnector
from d4h_sdk.connectors._edc import EdcConnector
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.transfer import TransferState

from .conftest import MGMT, PROVIDER, catalog, ctx, id_response, offer, response_doc


def _post(
    mock: responses.RequestsMock, url: str, body: dict[str, Any], answer: Any, status: int = 200
) -> None:
    mock.post(url, json=answer, status=status, match=[matchers.json_params_matcher(body)])


def test_satisfies_the_publishing_connector_protocol(edc: EdcConnector, version: str) -> None:
    assert isinstance(edc, PublishingConnector)
    assert edc.kind == f"edc-{version}"
    assert edc.api_version == version


def test_catalog_pages_through_120_datasets_in_pages_of_50(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    for offset, count in ((0, 50), (50, 50), (100, 20)):
        body = {
            "@context": ctx(version),
            "@type": "CatalogRequest",
            "counterPartyAddress": PROVIDER.address,
            "counterPartyId": "did:web:provider.test",
            "protocol": "dataspace-protocol-http:2025-1",
            "querySpec": {"@type": "QuerySpec", "offset": offset, "limit": 50},
        }
        _post(mock, f"{MGMT}/{version}/catalog/request", body, catalog(count, start=offset))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = edc.request_catalog(PROVIDER, cursor=cursor)
        pages += 1
        seen.extend(str(dataset.id) for dataset in page.catalog.datasets)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"asset-{i}" for i in range(120)]


def test_catalog_page_size_and_a_full_last_page(mock: responses.RequestsMock) -> None:
    connector = EdcConnector(MGMT, api_version="v3", catalog_page_size=2)
    body = {
        "@context": ctx("v3"),
        "@type": "CatalogRequest",
        "counterPartyAddress": PROVIDER.address,
        "counterPartyId": "did:web:provider.test",
        "protocol": "dataspace-protocol-http:2025-1",
        "querySpec": {"@type": "QuerySpec", "offset": 2, "limit": 2},
    }
    _post(mock, f"{MGMT}/v3/catalog/request", body, catalog(2, start=2))
    page = connector.request_catalog(PROVIDER, cursor="2")
    assert page.next_cursor == "4"  # a full page: there may be more
    with pytest.raises(ConfigurationError, match="cursor"):
        connector.request_catalog(PROVIDER, cursor="next-please")


def test_get_dataset(mock: responses.RequestsMock, edc: EdcConnector, version: str) -> None:
    body = {
        "@context": ctx(version),
        "@id": "asset-7",
        "@type": "DatasetRequest",
        "counterPartyAddress": PROVIDER.address,
        "counterPartyId": "did:web:provider.test",
        "protocol": "dataspace-protocol-http:2025-1",
    }
    answer = {"@context": catalog(0)["@context"], **catalog(8)["dcat:dataset"][7]}
    _post(mock, f"{MGMT}/{version}/catalog/dataset/request", body, answer)
    dataset = edc.get_dataset(PROVIDER, "asset-7")
    assert dataset.id == "asset-7"
    assert dataset.offers[0].id == "offer-7"


def test_start_negotiation_sends_the_offer_with_target_and_assigner(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    policy: dict[str, Any] = {
        "@id": "offer-1",
        "@type": "Offer",
        "target": "asset-1",
        "assigner": "did:web:provider.test",
        "permission": [
            {
                "action": "use",
                "constraint": [
                    {
                        "leftOperand": "https://w3id.org/ds4h/purpose",
                        "operator": "eq",
                        "rightOperand": "research",
                    }
                ],
            }
        ],
    }
    if version == "v3":
        policy = {"@context": "http://www.w3.org/ns/odrl.jsonld", **policy}
    body = {
        "@context": ctx(version),
        "@type": "ContractRequest",
        "counterPartyAddress": PROVIDER.address,
        "counterPartyId": "did:web:provider.test",
        "protocol": "dataspace-protocol-http:2025-1",
        "policy": policy,
    }
    _post(mock, f"{MGMT}/{version}/contractnegotiations", body, id_response(version, "neg-1"))
    assert edc.start_negotiation(PROVIDER, offer()) == "neg-1"


def test_start_negotiation_fills_the_assigner_and_needs_a_target(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    with pytest.raises(ConfigurationError, match="target"):
        edc.start_negotiation(PROVIDER, offer().model_copy(update={"target": None}))
    mock.post(f"{MGMT}/{version}/contractnegotiations", json=id_response(version, "neg-2"))
    no_assigner = offer().model_copy(update={"assigner": None})
    assert edc.start_negotiation(PROVIDER, no_assigner) == "neg-2"
    sent = mock.calls[0].request.body
    assert isinstance(sent, bytes) and b'"assigner":"did:web:provider.test"' in sent


def test_v4_needs_the_counter_party_id() -> None:
    connector = EdcConnector(MGMT, api_version="v4")
    with pytest.raises(ConfigurationError, match="participant id"):
        connector.request_catalog(Provider("http://provider.test/api/dsp/2025-1"))


def test_get_negotiation_maps_state_agreement_and_error(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    record = {
        "@type": "ContractNegotiation",
        "@id": "neg-1",
        "type": "CONSUMER",
        "state": "AGREEING",
        "protocol": "dataspace-protocol-http:2025-1",
        "counterPartyId": "did:web:provider.test",
        "counterPartyAddress": PROVIDER.address,
        "createdAt": 1,
    }
    mock.get(f"{MGMT}/{version}/contractnegotiations/neg-1", json=response_doc(version, record))
    status = edc.get_negotiation("neg-1")
    assert (status.state, status.raw_state) == (NegotiationState.AGREED, "AGREEING")
    assert status.provider == Provider(PROVIDER.address, PROVIDER.participant_id, DSP_2025_1)
    final = {**record, "state": "FINALIZED", "contractAgreementId": "agr-1"}
    mock.get(f"{MGMT}/{version}/contractnegotiations/urn:uuid:n2", json=response_doc(version, final))
    assert edc.get_negotiation("urn:uuid:n2").agreement_id == "agr-1"
    failed = {**record, "state": "TERMINATED", "errorDetail": "Contract rejected: purpose not allowed"}
    mock.get(f"{MGMT}/{version}/contractnegotiations/neg-3", json=response_doc(version, failed))
    status = edc.get_negotiation("neg-3")
    assert status.state is NegotiationState.TERMINATED
    assert status.reason == ("Contract rejected: purpose not allowed",)


def test_terminate_negotiation(mock: responses.RequestsMock, edc: EdcConnector, version: str) -> None:
    body = {
        "@context": ctx(version),
        "@type": "TerminateNegotiation",
        "@id": "neg-1",
        "reason": "changed my mind",
    }
    mock.post(
        f"{MGMT}/{version}/contractnegotiations/neg-1/terminate",
        status=204,
        match=[matchers.json_params_matcher(body)],
    )
    edc.terminate_negotiation("neg-1", reason="changed my mind")


def test_get_agreement_returns_its_policy(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    record = {
        "@type": "ContractAgreement",
        "@id": "agr-1",
        "assetId": "asset-1",
        "providerId": "did:web:provider.test",
        "consumerId": "did:web:consumer.test",
        "contractSigningDate": 1700000000,
        "policy": {
            "@id": "agr-1",
            "@type": "odrl:Agreement",
            "odrl:permission": {"odrl:action": {"@id": "odrl:use"}},
            "odrl:target": {"@id": "asset-1"},
            "odrl:assigner": {"@id": "did:web:provider.test"},
            "odrl:assignee": {"@id": "did:web:consumer.test"},
        },
    }
    mock.get(f"{MGMT}/{version}/contractagreements/agr-1", json=response_doc("v3", record))
    agreement = edc.get_agreement("agr-1")
    assert isinstance(agreement, models.Agreement)
    assert (agreement.id, agreement.target, agreement.assignee) == (
        "agr-1",
        "asset-1",
        "did:web:consumer.test",
    )
    assert agreement.permission[0].action == "use"


def test_pull_transfer_request_and_status(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    body = {
        "@context": ctx(version),
        "@type": "TransferRequest",
        "counterPartyAddress": PROVIDER.address,
        "counterPartyId": "did:web:provider.test",
        "protocol": "dataspace-protocol-http:2025-1",
        "contractId": "agr-1",
        "transferType": "HttpData-PULL",
    }
    _post(mock, f"{MGMT}/{version}/transferprocesses", body, id_response(version, "tp-1"))
    assert edc.start_transfer(PROVIDER, "agr-1") == "tp-1"
    record = {
        "@type": "TransferProcess",
        "@id": "tp-1",
        "type": "CONSUMER",
        "state": "STARTUP_REQUESTED",
        "stateTimestamp": 1,
        "contractId": "agr-1",
        "transferType": "HttpData-PULL",
    }
    mock.get(f"{MGMT}/{version}/transferprocesses/tp-1", json=response_doc(version, record))
    status = edc.get_transfer("tp-1")
    assert (status.state, status.raw_state) == (TransferState.STARTED, "STARTUP_REQUESTED")
    assert (status.agreement_id, status.transfer_type) == ("agr-1", "HttpData-PULL")


def test_push_transfer_destination_v3_only(mock: responses.RequestsMock) -> None:
    destination = models.DataAddress(
        endpoint_type="HttpData",
        endpoint="http://consumer.test/sink",
        endpoint_properties=(models.EndpointProperty(name="authKey", value="X-Sink"),),
    )
    body = {
        "@context": ctx("v3"),
        "@type": "TransferRequest",
        "counterPartyAddress": PROVIDER.address,
        "counterPartyId": "did:web:provider.test",
        "protocol": "dataspace-protocol-http:2025-1",
        "contractId": "agr-1",
        "transferType": "HttpData-PUSH",
        "dataDestination": {"type": "HttpData", "baseUrl": "http://consumer.test/sink", "authKey": "X-Sink"},
    }
    _post(mock, f"{MGMT}/v3/transferprocesses", body, id_response("v3", "tp-2"))
    v3 = EdcConnector(MGMT, api_version="v3")
    assert (
        v3.start_transfer(PROVIDER, "agr-1", transfer_type="HttpData-PUSH", data_destination=destination)
        == "tp-2"
    )
    v4 = EdcConnector(MGMT, api_version="v4")
    with pytest.raises(UnsupportedOperationError, match="dataDestination"):
        v4.start_transfer(PROVIDER, "agr-1", transfer_type="HttpData-PUSH", data_destination=destination)


def test_suspend_resume_terminate_and_no_complete(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    base = f"{MGMT}/{version}/transferprocesses/tp-1"
    suspend = {"@context": ctx(version), "@type": "SuspendTransfer", "reason": "pause"}
    terminate = {"@context": ctx(version), "@type": "TerminateTransfer", "reason": "done early"}
    mock.post(f"{base}/suspend", status=204, match=[matchers.json_params_matcher(suspend)])
    mock.post(f"{base}/resume", status=204)
    mock.post(f"{base}/terminate", status=204, match=[matchers.json_params_matcher(terminate)])
    edc.suspend_transfer("tp-1", reason="pause")
    edc.resume_transfer("tp-1")
    edc.terminate_transfer("tp-1", reason="done early")
    assert mock.calls[1].request.body is None  # resume has no body
    with pytest.raises(UnsupportedOperationError, match="terminate it instead"):
        edc.complete_transfer("tp-1")


def test_query_helper(mock: responses.RequestsMock, edc: EdcConnector, version: str) -> None:
    spec = models.QuerySpec(
        offset=0,
        limit=10,
        filter_expression=(models.Criterion(operand_left="state", operand_right="FINALIZED"),),
    )
    body = {
        "@context": ctx(version),
        "@type": "QuerySpec",
        "offset": 0,
        "limit": 10,
        "filterExpression": [
            {"@type": "Criterion", "operandLeft": "state", "operator": "=", "operandRight": "FINALIZED"}
        ],
    }
    _post(mock, f"{MGMT}/{version}/contractnegotiations/request", body, [{"@id": "neg-1"}])
    assert edc.query("contractnegotiations", spec) == [{"@id": "neg-1"}]
