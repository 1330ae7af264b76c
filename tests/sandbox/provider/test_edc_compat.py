"""What Eclipse EDC consumers send and expect, against the sandbox provider (no EDC process needed).

The bodies below are the ones EDC 0.14 / 0.15.1 sent to the sandbox in the ``tests/edc`` interop suite.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.models import (
    Catalog,
    ContractAgreementVerificationMessage,
    ContractRequestMessage,
    Offer,
    TransferRequestMessage,
    TransferStartMessage,
)
from d4h_sdk.models.negotiation import ContractAgreementMessage, ContractNegotiation, NegotiationState
from d4h_sdk.sandbox._edc_interop import IamMockProvider, edc_2024_event_type, iam_mock_token
from d4h_sdk.sandbox._edr import EDC_NAMESPACE, pull_data_address
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import Dsp, Receiver, SchemaCheck, new_pid, requested_offer
from .test_transfer import _request_transfer, _start

EDC_ID = "https://w3id.org/edc/v0.0.1/ns/id"
EDC_2024_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "dspace": "https://w3id.org/dspace/2024/1/",
    "@vocab": "https://w3id.org/edc/v0.0.1/ns/",
    "edc": "https://w3id.org/edc/v0.0.1/ns/",
}


def edc_catalog_request(dialect: str, **query: Any) -> dict[str, Any]:
    """EDC's CatalogRequestMessage: its management QuerySpec as the DSP ``filter``."""
    spec = {"@type": "QuerySpec", "limit": 50, "offset": 0, "sortOrder": "ASC", "filterExpression": []}
    spec.update(query)
    if dialect == "dsp-2025-1":
        return {
            "@type": "CatalogRequestMessage",
            "filter": [spec],
            "@context": [
                "https://w3id.org/dspace/2025/1/context.jsonld",
                "https://w3id.org/edc/dspace/v0.0.1",
            ],
        }
    return {"@type": "dspace:CatalogRequestMessage", "dspace:filter": spec, "@context": EDC_2024_CONTEXT}


def _ids(response: Any) -> list[str]:
    catalog = wire.decode(response.content)
    assert isinstance(catalog, Catalog)
    return [str(dataset.id) for dataset in catalog.datasets]


@pytest.mark.parametrize("dialect", ["dsp-2025-1", "dsp-2024-1"])
def test_edc_query_spec_filter_is_accepted_and_pages(
    sandbox: Sandbox, http: HttpClient, schema: SchemaCheck, dialect: str
) -> None:
    lab = Dsp(sandbox, http, sandbox.participants["research-lab"], dialect)
    everything = lab.post("/catalog/request", edc_catalog_request(dialect))
    assert everything.status_code == 200, everything.text
    assert schema(dialect, "Catalog", everything.json()) == []
    visible = _ids(everything)
    assert len(visible) >= 3 and "Link" not in everything.headers
    first = lab.post("/catalog/request", edc_catalog_request(dialect, limit=2))
    assert _ids(first) == visible[:2]
    assert 'rel="next"' in first.headers["Link"]
    second = lab.post("/catalog/request", edc_catalog_request(dialect, offset=2, limit=2))
    assert _ids(second) == visible[2:4]
    # the Link header's query parameters win over the QuerySpec the client re-POSTs
    via_link = lab.post("/catalog/request?offset=1&limit=1", edc_catalog_request(dialect, limit=2))
    assert _ids(via_link) == visible[1:2]


@pytest.mark.parametrize("dialect", ["dsp-2025-1", "dsp-2024-1"])
def test_edc_query_spec_id_criteria_filter(sandbox: Sandbox, http: HttpClient, dialect: str) -> None:
    lab = Dsp(sandbox, http, sandbox.participants["research-lab"], dialect)
    one = {"operandLeft": EDC_ID, "operator": "=", "operandRight": "diabetes-sample"}
    response = lab.post("/catalog/request", edc_catalog_request(dialect, filterExpression=[one]))
    assert response.status_code == 200, response.text
    assert _ids(response) == ["diabetes-sample"]
    two = {"operandLeft": "id", "operator": "in", "operandRight": ["diabetes-sample", "diabetes-cohort"]}
    response = lab.post("/catalog/request", edc_catalog_request(dialect, filterExpression=[two]))
    assert sorted(_ids(response)) == ["diabetes-cohort", "diabetes-sample"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"filterExpression": [{"operandLeft": "name", "operator": "=", "operandRight": "x"}]}, "'name'"),
        ({"filterExpression": [{"operandLeft": EDC_ID, "operator": "like", "operandRight": "d%"}]}, "'like'"),
        ({"offset": -1}, "offset"),
        ({"limit": "many"}, "limit"),
    ],
)
def test_unsupported_query_specs_are_400(
    sandbox: Sandbox, http: HttpClient, schema: SchemaCheck, query: dict[str, Any], reason: str
) -> None:
    lab = Dsp(sandbox, http, sandbox.participants["research-lab"], "dsp-2025-1")
    response = lab.post("/catalog/request", edc_catalog_request("dsp-2025-1", **query))
    assert response.status_code == 400
    assert schema("dsp-2025-1", "CatalogError", response.json()) == []
    assert reason in response.text


def test_pull_data_address_names_the_edr_properties_also_by_edc_iri(schema: SchemaCheck) -> None:
    plain = pull_data_address("http://127.0.0.1:9/data/tp-1", "TOKEN-SECRET", transfer_id="tp-1")
    assert not any(item.name.startswith(EDC_NAMESPACE) for item in plain.endpoint_properties)
    address = pull_data_address(
        "http://127.0.0.1:9/data/tp-1", "TOKEN-SECRET", transfer_id="tp-1", edc_names=True
    )
    by_name = {item.name: item.value for item in address.endpoint_properties}
    for name in ("endpoint", "endpointType", "authorization", "authType"):
        assert by_name[EDC_NAMESPACE + name] == by_name[name]
    assert by_name[EDC_NAMESPACE + "endpoint"] == "http://127.0.0.1:9/data/tp-1"
    assert by_name[EDC_NAMESPACE + "authorization"] == "TOKEN-SECRET"
    assert "TOKEN-SECRET" not in repr(address)
    start = TransferStartMessage(provider_pid="urn:uuid:p", consumer_pid="urn:uuid:c", data_address=address)
    for dialect in ("dsp-2025-1", "dsp-2024-1"):
        assert schema(dialect, "TransferStartMessage", wire.encode(start, dialect=dialect)) == []


def test_edc_2024_event_type_becomes_a_node() -> None:
    event = {
        "@context": "https://w3id.org/dspace/2024/1/context.json",
        "@type": "dspace:ContractNegotiationEventMessage",
        "dspace:providerPid": "p",
        "dspace:consumerPid": "c",
        "dspace:eventType": "dspace:FINALIZED",
    }
    assert edc_2024_event_type(event)["dspace:eventType"] == {"@id": "dspace:FINALIZED"}
    assert event["dspace:eventType"] == "dspace:FINALIZED"  # not modified in place
    other = {"@type": "dspace:ContractAgreementMessage", "dspace:eventType": "dspace:FINALIZED"}
    assert edc_2024_event_type(other) is other


@pytest.fixture(scope="module")
def interop() -> Iterator[IamMockProvider]:
    with IamMockProvider() as provider:
        yield provider


@pytest.mark.parametrize(
    ("dialect", "version", "event_type"),
    [
        ("dsp-2025-1", "2025-1", "FINALIZED"),
        ("dsp-2024-1", "2024-1", {"@id": "dspace:FINALIZED"}),
    ],
)
def test_iam_mock_provider_speaks_edc(
    interop: IamMockProvider,
    http: HttpClient,
    receiver: Receiver,
    schema: SchemaCheck,
    dialect: str,
    version: str,
    event_type: Any,
) -> None:
    base = f"{interop.dsp_url}/{version}"
    headers = {"Authorization": iam_mock_token("consumer", base)}
    catalog = http.post(f"{base}/catalog/request", json=edc_catalog_request(dialect), headers=headers)
    assert sorted(_ids(catalog)) == ["interop-1", "interop-2", "interop-3"]
    dataset = wire.decode(catalog.content)
    assert isinstance(dataset, Catalog)
    offer: Offer = next(d for d in dataset.datasets if d.id == "interop-1").offers[0]
    request = ContractRequestMessage(
        consumer_pid=new_pid(),
        callback_address=receiver.callback,
        offer=offer.model_copy(update={"target": "interop-1", "assigner": interop.participant_id}),
    )
    created = http.post(
        f"{base}/negotiations/request", json=wire.encode(request, dialect=dialect), headers=headers
    )
    ack = wire.decode(created.content)
    assert created.status_code == 201 and isinstance(ack, ContractNegotiation)
    agreement = wire.decode(receiver.wait(f"/negotiations/{request.consumer_pid}/agreement").raw)
    assert isinstance(agreement, ContractAgreementMessage)
    assert receiver.received[-1].authorization is not None
    assert json.loads(receiver.received[-1].authorization)["clientId"] == interop.participant_id
    verification = ContractAgreementVerificationMessage(
        provider_pid=ack.provider_pid, consumer_pid=request.consumer_pid
    )
    verified = http.post(
        f"{base}/negotiations/{ack.provider_pid}/agreement/verification",
        json=wire.encode(verification, dialect=dialect),
        headers=headers,
    )
    assert verified.status_code == 200
    event = receiver.wait(f"/negotiations/{request.consumer_pid}/events").body
    key = "eventType" if dialect == "dsp-2025-1" else "dspace:eventType"
    assert event[key] == event_type
    transfer = TransferRequestMessage(
        consumer_pid=new_pid(),
        agreement_id=agreement.agreement.id or "",
        format="HttpData-PULL",
        callback_address=receiver.callback,
    )
    requested = http.post(
        f"{base}/transfers/request", json=wire.encode(transfer, dialect=dialect), headers=headers
    )
    assert requested.status_code == 201
    raw_start = receiver.wait(f"/transfers/{transfer.consumer_pid}/start")
    assert schema(dialect, "TransferStartMessage", raw_start.body) == []
    start = wire.decode(raw_start.raw)
    assert isinstance(start, TransferStartMessage) and start.data_address is not None
    address = start.data_address
    assert address.property(EDC_NAMESPACE + "endpoint") == address.endpoint  # what EDC's EDR keeps
    assert address.property(EDC_NAMESPACE + "authorization") == address.property("authorization")
    assert address.property(EDC_NAMESPACE + "authType") == "bearer"


def test_a_finalized_event_refused_with_409_is_sent_again(sandbox: Sandbox, http: HttpClient) -> None:
    # EDC answers 409 to a FINALIZED event that overtakes the answer to its verification (still VERIFYING)
    events: list[int] = []

    def on_event(request: Request, params: Mapping[str, str]) -> Response:
        events.append(409 if not events else 200)
        return Response(b"", status=events[-1])

    router = Router()
    router.add("POST", "/cb/negotiations/{pid}/events", on_event)
    router.add("POST", "/cb/negotiations/{pid}/agreement", lambda request, params: Response(b"", status=200))
    with LoopbackServer(router, name="edc-like-consumer") as server:
        lab = Dsp(sandbox, http, sandbox.participants["research-lab"], "dsp-2025-1")
        request = ContractRequestMessage(
            consumer_pid=new_pid(),
            callback_address=f"{server.url}/cb",
            offer=requested_offer(sandbox, "diabetes-sample", "open"),
        )
        ack = wire.decode(lab.post("/negotiations/request", request).content)
        assert isinstance(ack, ContractNegotiation)
        deadline = time.monotonic() + 10
        while _state(lab, ack.provider_pid) is not NegotiationState.AGREED:
            assert time.monotonic() < deadline, "no agreement"
            time.sleep(0.02)
        verification = ContractAgreementVerificationMessage(
            provider_pid=ack.provider_pid, consumer_pid=request.consumer_pid
        )
        path = f"/negotiations/{ack.provider_pid}/agreement/verification"
        assert lab.post(path, verification).status_code == 200
        while len(events) < 2:
            assert time.monotonic() < deadline, f"the FINALIZED event was not sent again: {events}"
            time.sleep(0.02)
    assert events == [409, 200]
    assert _state(lab, ack.provider_pid) is NegotiationState.FINALIZED


def _state(client: Dsp, provider_pid: str) -> NegotiationState:
    negotiation = wire.decode(client.get(f"/negotiations/{provider_pid}").content)
    assert isinstance(negotiation, ContractNegotiation)
    return negotiation.state


@pytest.mark.parametrize("scheme", ["Bearer ", ""])
def test_the_data_plane_takes_the_edr_token_with_or_without_bearer(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, scheme: str
) -> None:
    # EDC's consumer data plane and the SDK's raw_edr_token send the token as is
    _, request, _ = _request_transfer(sandbox, http, receiver, "dsp-2025-1")
    address = _start(receiver, request.consumer_pid).data_address
    assert address is not None
    token, endpoint = address.property("authorization"), address.endpoint
    assert isinstance(token, str) and isinstance(endpoint, str)
    ok = http.get(endpoint, headers={"Authorization": f"{scheme}{token}"}, allow_status=range(400, 600))
    assert ok.status_code == 200 and ok.content
    refused = http.get(endpoint, headers={"Authorization": f"{scheme}{token}x"}, allow_status=range(400, 600))
    assert refused.status_code == 401
