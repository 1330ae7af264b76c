"""EDC callback events: callbackAddresses of negotiations and transfers receive EDC event envelopes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import DSP_2025, WAIT_S, Mgmt, catalog_request, contract_request, datasets_of, offers_of

EDC = "https://w3id.org/edc/v0.0.1/ns/"


class Events:
    """A callback receiver recording EDC event envelopes."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        router = Router()
        router.add("POST", "/events", self._record)
        self.server = LoopbackServer(router, name="edc-events")

    def _record(self, request: Request, params: Any) -> Response:
        with self._cond:
            self.received.append(request.get_json())
            self._cond.notify_all()
        return Response(b"", status=204)

    def wait_for(self, event_type: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        with self._cond:
            while True:
                for event in self.received:
                    if event["type"] == event_type:
                        return event
                left = deadline - time.monotonic()
                assert left > 0, f"no {event_type} event; got {[e['type'] for e in self.received]}"
                self._cond.wait(left)


@pytest.fixture
def events() -> Iterator[Events]:
    receiver = Events()
    with receiver.server:
        yield receiver


def test_negotiation_and_transfer_events_reach_the_callback(
    lab_v4: Mgmt, sandbox: Sandbox, events: Events
) -> None:
    lab = lab_v4
    catalog = lab.ok("POST", "/catalog/request", catalog_request(sandbox, lab.context))
    offer = offers_of(next(d for d in datasets_of(catalog) if d["@id"] == "diabetes-sample"))[0]
    callback = {
        "@type": "CallbackAddress",
        "uri": f"{events.server.url}/events",
        "events": ["contract.negotiation", "transfer.process.started"],
        "transactional": False,
    }
    body = {
        **contract_request(sandbox, lab.context, offer, "diabetes-sample"),
        "callbackAddresses": [callback],
    }
    negotiation_id = lab.ok("POST", "/contractnegotiations", body)["@id"]
    finalized = events.wait_for("ContractNegotiationFinalized")
    assert finalized["payload"]["contractNegotiationId"] == negotiation_id
    agreement_id = finalized["payload"]["contractAgreement"]["@id"]
    assert agreement_id == lab.ok("GET", f"/contractnegotiations/{negotiation_id}")["contractAgreementId"]
    order = [
        e["type"] for e in events.received if e["payload"].get("contractNegotiationId") == negotiation_id
    ]
    assert order == [
        "ContractNegotiationRequested",
        "ContractNegotiationAgreed",
        "ContractNegotiationVerified",
        "ContractNegotiationFinalized",
    ]

    transfer = {
        "@context": lab.context,
        "@type": "TransferRequest",
        "counterPartyAddress": sandbox.provider_url,
        "counterPartyId": sandbox.provider.did,
        "protocol": DSP_2025,
        "contractId": agreement_id,
        "transferType": "HttpData-PULL",
        "callbackAddresses": [callback],
    }
    transfer_id = lab.ok("POST", "/transferprocesses", transfer)["@id"]
    started = events.wait_for("TransferProcessStarted")
    assert started["payload"]["transferProcessId"] == transfer_id
    properties = started["payload"]["dataAddress"]["properties"]
    assert properties[EDC + "endpoint"].startswith("http://127.0.0.1:") and properties[EDC + "authorization"]
    # only the subscribed transfer event: no TransferProcessRequested was sent
    assert "TransferProcessRequested" not in [e["type"] for e in events.received]
