"""DspConnector's consumer-under-test mode without Java: webhooks, static auth and scripted reactions.

A fake TCK provider (no ``/.well-known/dspace-version``, DSP endpoints right under its address, like the TCK's
callback server) records what the consumer sends; the tests post the provider's messages to the consumer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient, HttpResponse
from d4h_sdk.connectors._dsp_tck import NEGOTIATION_WEBHOOK, TRANSFER_WEBHOOK, TckConsumer
from d4h_sdk.models import (
    ContractAgreementMessage,
    ContractNegotiationEventMessage,
    ContractOfferMessage,
    Offer,
    TransferStartMessage,
)
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.negotiation import NegotiationEventType
from d4h_sdk.models.policy import Agreement
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router, json_response

SECRET = "tck-secret"
AUTH = {"Authorization": SECRET}


@dataclass
class FakeTck:
    """The TCK's provider side: acknowledges requests (provider pid ``p-<consumer pid>``), records messages."""

    server: LoopbackServer
    received: list[tuple[str, Any]] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def handle(self, request: Request, params: Any) -> Response:
        body: Any = request.get_json(silent=True)
        with self.cond:
            self.received.append((request.path, body))
            self.cond.notify_all()
        if request.path.endswith("/request"):
            noun = "ContractNegotiation" if "/negotiations/" in request.path else "TransferProcess"
            ack = {
                "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
                "@type": noun,
                "providerPid": "p-" + body["consumerPid"],
                "consumerPid": body["consumerPid"],
                "state": "REQUESTED",
            }
            return json_response(ack, 201)
        return Response(b"", status=200)

    def wait(self, suffix: str, count: int = 1, timeout: float = 5.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [body for path, body in self.received if path.endswith(suffix)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"no {suffix}; got {[p for p, _ in self.received]}"
                self.cond.wait(left)


@pytest.fixture()
def tck() -> Iterator[FakeTck]:
    router = Router()
    holder: list[FakeTck] = []
    for method in ("GET", "POST"):
        router.add(method, "/{rest:path}", lambda request, params: holder[0].handle(request, params))
    with LoopbackServer(router, name="fake-tck") as server:
        holder.append(FakeTck(server))
        yield holder[0]


@pytest.fixture()
def cut() -> Iterator[TckConsumer]:
    with TckConsumer(secret=SECRET, step_delay_s=0.01) as consumer:
        yield consumer


@pytest.fixture(scope="module")
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=(2, 5), max_retries=0) as client:
        yield client


def _webhook(http: HttpClient, cut: TckConsumer, path: str, body: Any, **headers: str) -> HttpResponse:
    return http.post(cut.webhook_url + path, json=body, headers=headers or AUTH, allow_status=range(400, 500))


def _negotiate(http: HttpClient, cut: TckConsumer, tck: FakeTck, dataset: str) -> str:
    body = {
        "providerId": "TCK_PARTICIPANT",
        "offerId": f"offer{dataset}",
        "datasetId": dataset,
        "connectorAddress": tck.server.url,
    }
    before = len(tck.wait("/negotiations/request", 0))
    assert _webhook(http, cut, NEGOTIATION_WEBHOOK, body).status_code == 200
    request = tck.wait("/negotiations/request", before + 1)[-1]
    assert request["offer"]["@id"] == f"offer{dataset}" and request["offer"]["target"] == dataset
    assert request["callbackAddress"] == cut.connector.callback_url
    pid: str = request["consumerPid"]
    return pid


def _callback(http: HttpClient, cut: TckConsumer, path: str, message: WireModel) -> HttpResponse:
    body = wire.encode(message, dialect="dsp-2025-1")
    return http.post(cut.connector.callback_url + path, json=body, headers=AUTH, allow_status=range(400, 500))


def _state(http: HttpClient, cut: TckConsumer, noun: str, pid: str) -> str:
    body = http.get(f"{cut.connector.callback_url}/{noun}/{pid}", headers=AUTH).json()
    state: str = body["state"]
    return state


def _wait_state(http: HttpClient, cut: TckConsumer, noun: str, pid: str, state: str) -> None:
    deadline = time.monotonic() + 5
    while (current := _state(http, cut, noun, pid)) != state:
        assert time.monotonic() < deadline, f"{noun} {pid} still {current}, expected {state}"
        time.sleep(0.02)


def _offer(pid: str, dataset: str) -> ContractOfferMessage:
    offer = Offer.model_validate(
        {
            "@id": f"offer{dataset}",
            "target": dataset,
            "assigner": "TCK_PARTICIPANT",
            "permission": [{"action": "use"}],
        }
    )
    return ContractOfferMessage(provider_pid="p-" + pid, consumer_pid=pid, offer=offer)


def _agreement(pid: str, dataset: str) -> ContractAgreementMessage:
    agreement = Agreement(
        id="urn:uuid:agreement",
        target=dataset,
        assigner="TCK_PARTICIPANT",
        assignee="did:web:x",
        permission=(),
    )
    return ContractAgreementMessage(provider_pid="p-" + pid, consumer_pid=pid, agreement=agreement)


def _finalized(pid: str) -> ContractNegotiationEventMessage:
    return ContractNegotiationEventMessage(
        provider_pid="p-" + pid, consumer_pid=pid, event_type=NegotiationEventType.FINALIZED
    )


def test_properties_name_every_consumer_scenario(cut: TckConsumer) -> None:
    props = cut.properties(callback_port=18083)
    assert (
        props["dataspacetck.dsp.connector.negotiation.initiate.url"] == cut.webhook_url + NEGOTIATION_WEBHOOK
    )
    assert props["dataspacetck.dsp.connector.transfer.initiate.url"] == cut.webhook_url + TRANSFER_WEBHOOK
    assert props["dataspacetck.dsp.connector.http.headers.authorization"] == SECRET
    assert props["CN_C_03_06_DATASETID"] == "ACNC0306"
    assert props["TP_C_01_05_AGREEMENTID"] == "ATPC0105" and props["TP_C_01_05_FORMAT"] == "HttpData-PULL"
    ids = [v for k, v in props.items() if k.endswith(("_DATASETID", "_AGREEMENTID"))]
    assert len(ids) == 32 and len(set(ids)) == 32


def test_webhooks_and_callbacks_take_only_the_secret(cut: TckConsumer, http: HttpClient) -> None:
    body = {
        "providerId": "x",
        "offerId": "offerA",
        "datasetId": "A",
        "connectorAddress": "http://127.0.0.1:9",
    }
    assert (
        _webhook(http, cut, NEGOTIATION_WEBHOOK, body, Authorization="Bearer tck-secret").status_code == 401
    )
    assert http.post(cut.webhook_url + NEGOTIATION_WEBHOOK, json=body, allow_status=(401,)).status_code == 401
    assert _webhook(http, cut, "/tck/other", body).status_code == 404
    assert _webhook(http, cut, NEGOTIATION_WEBHOOK, {"offerId": 3}).status_code == 400
    unknown = {
        "providerId": "x",
        "agreementId": "nope",
        "format": "HttpData-PULL",
        "connectorAddress": "http://h",
    }
    refused = _webhook(http, cut, TRANSFER_WEBHOOK, unknown)
    assert refused.status_code == 400 and "nope" in refused.json()["error"]
    url = f"{cut.connector.callback_url}/negotiations/urn:uuid:x"
    assert http.get(url, allow_status=(401,)).status_code == 401
    assert "tck-secret" not in repr(cut) + repr(cut.connector)


def test_accepting_scenario_runs_to_finalized(cut: TckConsumer, tck: FakeTck, http: HttpClient) -> None:
    pid = _negotiate(http, cut, tck, "ACNC0101")
    assert _callback(http, cut, f"/negotiations/{pid}/offers", _offer(pid, "ACNC0101")).status_code == 200
    event = tck.wait("/events")[-1]
    assert event["eventType"] == "ACCEPTED" and event["providerPid"] == "p-" + pid
    assert (
        _callback(http, cut, f"/negotiations/{pid}/agreement", _agreement(pid, "ACNC0101")).status_code == 200
    )
    tck.wait("/agreement/verification")
    assert _callback(http, cut, f"/negotiations/{pid}/events", _finalized(pid)).status_code == 200
    assert _state(http, cut, "negotiations", pid) == "FINALIZED"


def test_counter_offer_scenario_sends_a_request_with_both_pids(
    cut: TckConsumer, tck: FakeTck, http: HttpClient
) -> None:
    pid = _negotiate(http, cut, tck, "ACNC0102")
    _callback(http, cut, f"/negotiations/{pid}/offers", _offer(pid, "ACNC0102"))
    counter = tck.wait(f"/negotiations/p-{pid}/request")[-1]
    assert counter["@type"] == "ContractRequestMessage" and counter["consumerPid"] == pid
    assert counter["providerPid"] == "p-" + pid and "callbackAddress" not in counter
    assert counter["offer"]["@id"] != "offerACNC0102" and counter["offer"]["target"] == "ACNC0102"
    _wait_state(http, cut, "negotiations", pid, "REQUESTED")


def test_strict_mode_refuses_finalized_before_verification(
    cut: TckConsumer, tck: FakeTck, http: HttpClient
) -> None:
    early = _negotiate(http, cut, tck, "ACNC0301")
    assert _callback(http, cut, f"/negotiations/{early}/events", _finalized(early)).status_code == 400
    assert _state(http, cut, "negotiations", early) == "REQUESTED"
    unverified = _negotiate(http, cut, tck, "ACNC0306")
    _callback(http, cut, f"/negotiations/{unverified}/offers", _offer(unverified, "ACNC0306"))
    tck.wait("/events")
    _wait_state(http, cut, "negotiations", unverified, "ACCEPTED")
    agreement = _agreement(unverified, "ACNC0306")
    assert _callback(http, cut, f"/negotiations/{unverified}/agreement", agreement).status_code == 200
    assert (
        _callback(http, cut, f"/negotiations/{unverified}/events", _finalized(unverified)).status_code == 400
    )
    assert _state(http, cut, "negotiations", unverified) == "AGREED"
    assert not [path for path, _ in tck.received if path.endswith("/verification")]


def test_transfer_scenario_completes_after_the_start(
    cut: TckConsumer, tck: FakeTck, http: HttpClient
) -> None:
    body = {
        "providerId": "TCK_PARTICIPANT",
        "agreementId": "ATPC0202",
        "format": "HttpData-PULL",
        "connectorAddress": tck.server.url,
    }
    assert _webhook(http, cut, TRANSFER_WEBHOOK, body).status_code == 200
    request = tck.wait("/transfers/request")[-1]
    assert request["agreementId"] == "ATPC0202" and request["format"] == "HttpData-PULL"
    pid = request["consumerPid"]
    start = TransferStartMessage(provider_pid="p-" + pid, consumer_pid=pid)
    assert _callback(http, cut, f"/transfers/{pid}/start", start).status_code == 200
    completion = tck.wait(f"/transfers/p-{pid}/completion")[-1]
    assert completion["@type"] == "TransferCompletionMessage"
    _wait_state(http, cut, "transfers", pid, "COMPLETED")
