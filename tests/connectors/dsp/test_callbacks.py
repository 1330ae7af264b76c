"""The callback receiver against a scripted fake provider: races, duplicates, refusals, GETs, auth, waits."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.connectors import Provider
from d4h_sdk.connectors._dsp import DspConnector
from d4h_sdk.errors import ConfigurationError, NegotiationError, VerificationError
from d4h_sdk.models import (
    ContractAgreementMessage,
    ContractNegotiation,
    ContractNegotiationError,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractOfferMessage,
    Offer,
    TransferProcess,
    TransferStartMessage,
)
from d4h_sdk.models.negotiation import NegotiationEventType, NegotiationState
from d4h_sdk.models.policy import Agreement, Permission
from d4h_sdk.models.transfer import DataAddress, EndpointProperty, TransferError, TransferState

from .conftest import FakeProvider, d4h_threads, post_callback, provider_pid_for, wait_until

OFFER = Offer(
    id="urn:uuid:offer-1", target="ds-1", assigner="did:web:fake", permission=[Permission(action="use")]
)


def agreement_message(
    consumer_pid: str, agreement_id: str = "urn:uuid:agreement-1"
) -> ContractAgreementMessage:
    agreement = Agreement(
        id=agreement_id,
        target="ds-1",
        assigner="did:web:fake",
        assignee="did:web:consumer",
        timestamp="2026-01-01T00:00:00Z",
        permission=[Permission(action="use")],
    )
    return ContractAgreementMessage(
        provider_pid=provider_pid_for(consumer_pid), consumer_pid=consumer_pid, agreement=agreement
    )


def event(consumer_pid: str, kind: NegotiationEventType = NegotiationEventType.FINALIZED) -> Any:
    return ContractNegotiationEventMessage(
        provider_pid=provider_pid_for(consumer_pid), consumer_pid=consumer_pid, event_type=kind
    )


def start_message(consumer_pid: str, token: str = "secret-token") -> TransferStartMessage:
    address = DataAddress(
        endpoint_type="https://w3id.org/idsa/v4.1/HTTP",
        endpoint="http://127.0.0.1:9/data",
        endpoint_properties=[
            EndpointProperty(name="authorization", value=token),
            EndpointProperty(name="authType", value="bearer"),
        ],
    )
    return TransferStartMessage(
        provider_pid=provider_pid_for(consumer_pid), consumer_pid=consumer_pid, data_address=address
    )


def test_callbacks_before_the_201_are_not_lost(
    fake: FakeProvider, fake_dsp: DspConnector, http: HttpClient
) -> None:
    answers: list[int] = []

    def callback_first(path: str, body: dict[str, Any]) -> None:
        pid = body["consumerPid"]
        message = agreement_message(pid) if "negotiations" in path else start_message(pid)
        leaf = f"/negotiations/{pid}/agreement" if "negotiations" in path else f"/transfers/{pid}/start"
        answers.append(
            http.post(
                body["callbackAddress"] + leaf, json=wire.encode(message, dialect="dsp-2025-1")
            ).status_code
        )

    fake.on_request = callback_first
    negotiation_id = fake_dsp.start_negotiation(fake.provider, OFFER)
    fake.wait("/agreement/verification")
    status = wait_until(
        lambda: fake_dsp.get_negotiation(negotiation_id),
        lambda s: s.state is NegotiationState.VERIFIED,
        fake_dsp,
        negotiation_id,
    )
    assert status.state is NegotiationState.VERIFIED and status.agreement_id == "urn:uuid:agreement-1"
    transfer_id = fake_dsp.start_transfer(fake.provider, "urn:uuid:agreement-1")
    assert fake_dsp.get_transfer(transfer_id).state is TransferState.STARTED
    assert fake_dsp.get_edr(transfer_id).authorization == "secret-token"
    assert answers == [200, 200]


def test_duplicates_are_idempotent_and_finalized_before_agreed_keeps_both(
    fake: FakeProvider, fake_dsp: DspConnector, http: HttpClient
) -> None:
    first = fake_dsp.start_negotiation(fake.provider, OFFER)
    base = f"/negotiations/{first}"
    assert post_callback(http, fake_dsp, base + "/agreement", agreement_message(first)).status_code == 200
    assert post_callback(http, fake_dsp, base + "/agreement", agreement_message(first)).status_code == 200
    fake.wait("/agreement/verification")
    assert post_callback(http, fake_dsp, base + "/events", event(first)).status_code == 200
    assert post_callback(http, fake_dsp, base + "/events", event(first)).status_code == 200
    assert fake_dsp.get_negotiation(first).state is NegotiationState.FINALIZED

    second = fake_dsp.start_negotiation(fake.provider, OFFER)
    base = f"/negotiations/{second}"
    assert post_callback(http, fake_dsp, base + "/events", event(second)).status_code == 200
    assert fake_dsp.get_negotiation(second).state is NegotiationState.FINALIZED
    late = agreement_message(second, "urn:uuid:agreement-2")
    assert post_callback(http, fake_dsp, base + "/agreement", late).status_code == 200
    status = fake_dsp.get_negotiation(second)
    assert status.state is NegotiationState.FINALIZED and status.agreement_id == "urn:uuid:agreement-2"
    time.sleep(0.2)
    assert len(fake.wait("/agreement/verification")) == 1  # none for the finalized one


def test_impossible_transitions_are_400_with_a_dsp_error(
    fake: FakeProvider, fake_dsp: DspConnector, http: HttpClient
) -> None:
    pid = fake_dsp.start_negotiation(fake.provider, OFFER)
    base = f"/negotiations/{pid}"
    accepted = post_callback(http, fake_dsp, base + "/events", event(pid, NegotiationEventType.ACCEPTED))
    assert accepted.status_code == 400
    error = wire.decode(accepted.content)
    assert isinstance(error, ContractNegotiationError) and error.consumer_pid == pid and error.reason
    wrong_place = post_callback(http, fake_dsp, base + "/events", agreement_message(pid))
    assert wrong_place.status_code == 400
    other_provider = agreement_message(pid).model_copy(update={"provider_pid": "urn:uuid:someone-else"})
    assert post_callback(http, fake_dsp, base + "/agreement", other_provider).status_code == 400
    assert post_callback(http, fake_dsp, base + "/agreement", {"@type": "nonsense"}).status_code == 400
    post_callback(http, fake_dsp, base + "/events", event(pid))
    offer = ContractOfferMessage(provider_pid=provider_pid_for(pid), consumer_pid=pid, offer=OFFER)
    assert post_callback(http, fake_dsp, base + "/offers", offer).status_code == 400
    termination = ContractNegotiationTerminationMessage(provider_pid=provider_pid_for(pid), consumer_pid=pid)
    assert post_callback(http, fake_dsp, base + "/termination", termination).status_code == 400
    assert fake_dsp.get_negotiation(pid).state is NegotiationState.FINALIZED

    tid = fake_dsp.start_transfer(fake.provider, "urn:uuid:agreement-1")
    from d4h_sdk.models import TransferCompletionMessage

    completion = TransferCompletionMessage(provider_pid=provider_pid_for(tid), consumer_pid=tid)
    refused = post_callback(http, fake_dsp, f"/transfers/{tid}/completion", completion)
    assert refused.status_code == 400 and isinstance(wire.decode(refused.content), TransferError)
    assert fake_dsp.get_transfer(tid).state is TransferState.REQUESTED


def test_unknown_pids_are_404_and_consumer_gets_answer(
    fake: FakeProvider, fake_dsp: DspConnector, http: HttpClient
) -> None:
    unknown = "urn:uuid:00000000-0000-0000-0000-000000000000"
    missing = post_callback(http, fake_dsp, f"/negotiations/{unknown}/agreement", agreement_message(unknown))
    assert missing.status_code == 404 and isinstance(wire.decode(missing.content), ContractNegotiationError)
    gone = http.get(f"{fake_dsp.callback_url}/transfers/{unknown}", allow_status=[404])
    assert gone.status_code == 404 and isinstance(wire.decode(gone.content), TransferError)

    pid = fake_dsp.start_negotiation(fake.provider, OFFER)
    answer = wire.decode(http.get(f"{fake_dsp.callback_url}/negotiations/{pid}").content)
    assert isinstance(answer, ContractNegotiation)
    assert answer.state is NegotiationState.REQUESTED and answer.provider_pid == provider_pid_for(pid)
    tid = fake_dsp.start_transfer(fake.provider, "urn:uuid:agreement-1")
    post_callback(http, fake_dsp, f"/transfers/{tid}/start", start_message(tid))
    process = wire.decode(http.get(f"{fake_dsp.callback_url}/transfers/{tid}").content)
    assert isinstance(process, TransferProcess) and process.state is TransferState.STARTED


def test_counter_offers_equal_is_accepted_other_waits(
    fake: FakeProvider, fake_dsp: DspConnector, http: HttpClient
) -> None:
    same = fake_dsp.start_negotiation(fake.provider, OFFER)
    offer = ContractOfferMessage(provider_pid=provider_pid_for(same), consumer_pid=same, offer=OFFER)
    assert post_callback(http, fake_dsp, f"/negotiations/{same}/offers", offer).status_code == 200
    accepted = fake.wait(f"/negotiations/{provider_pid_for(same)}/events")
    assert wire.decode(accepted[0]).event_type is NegotiationEventType.ACCEPTED  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while fake_dsp.get_negotiation(same).state is not NegotiationState.ACCEPTED:
        assert time.monotonic() < deadline
        fake_dsp.wait_for_change(same, 0.5)

    other = fake_dsp.start_negotiation(fake.provider, OFFER)
    changed = OFFER.model_copy(update={"id": "urn:uuid:offer-2", "permission": (Permission(action="read"),)})
    counter = ContractOfferMessage(provider_pid=provider_pid_for(other), consumer_pid=other, offer=changed)
    assert post_callback(http, fake_dsp, f"/negotiations/{other}/offers", counter).status_code == 200
    assert fake_dsp.get_negotiation(other).state is NegotiationState.OFFERED
    time.sleep(0.1)
    assert not [p for p, _ in fake.received if p.endswith(f"{provider_pid_for(other)}/events")]
    fake_dsp.accept_offer(other)
    assert fake_dsp.get_negotiation(other).state is NegotiationState.ACCEPTED
    with pytest.raises(NegotiationError, match="cannot accept"):
        fake_dsp.accept_offer(other)


def test_callback_verifier_refuses_with_401(fake: FakeProvider, http: HttpClient) -> None:
    seen: list[str | None] = []

    def verifier(header: str | None) -> None:
        seen.append(header)
        if header != "Bearer good":
            raise VerificationError("bad token")

    with DspConnector(
        participant_id="did:web:consumer", token_source=None, callback_verifier=verifier, strict=False
    ) as dsp:
        pid = dsp.start_negotiation(fake.provider, OFFER)
        path = f"/negotiations/{pid}/events"
        refused = post_callback(http, dsp, path, event(pid), headers={"Authorization": "Bearer bad"})
        assert refused.status_code == 401
        assert http.get(f"{dsp.callback_url}/negotiations/{pid}", allow_status=[401]).status_code == 401
        assert dsp.get_negotiation(pid).state is NegotiationState.REQUESTED
        ok = post_callback(http, dsp, path, event(pid), headers={"Authorization": "Bearer good"})
        assert ok.status_code == 200 and dsp.get_negotiation(pid).state is NegotiationState.FINALIZED
    assert seen == ["Bearer bad", None, "Bearer good"]


def test_wait_for_change_wakes_on_a_callback(
    fake: FakeProvider, fake_dsp: DspConnector, http: HttpClient
) -> None:
    pid = fake_dsp.start_negotiation(fake.provider, OFFER)
    fake_dsp.get_negotiation(pid)
    began = time.monotonic()
    assert fake_dsp.wait_for_change(pid, 0.2) is False
    assert time.monotonic() - began >= 0.2
    timer = threading.Timer(
        0.2, lambda: post_callback(http, fake_dsp, f"/negotiations/{pid}/events", event(pid))
    )
    timer.start()
    began = time.monotonic()
    assert fake_dsp.wait_for_change(pid, 5) is True
    assert time.monotonic() - began < 2
    timer.join()
    assert fake_dsp.wait_for_change(pid, 0) is True  # not read since
    fake_dsp.get_negotiation(pid)
    assert fake_dsp.wait_for_change(pid, 0) is False


def test_reconciles_with_the_provider_and_never_goes_back(fake: FakeProvider, http: HttpClient) -> None:
    with DspConnector(participant_id="did:web:consumer", token_source=None, reconcile_after=0) as dsp:
        pid = dsp.start_negotiation(fake.provider, OFFER)
        fake.state = "TERMINATED"
        assert dsp.get_negotiation(pid).state is NegotiationState.TERMINATED
        tid = dsp.start_transfer(fake.provider, "urn:uuid:agreement-1")
        post_callback(http, dsp, f"/transfers/{tid}/start", start_message(tid))
        fake.state = "REQUESTED"
        assert dsp.get_transfer(tid).state is TransferState.STARTED
        assert any(path.endswith(f"/transfers/{provider_pid_for(tid)}") for path, _ in fake.received)


def test_local_errors_name_the_id(fake: FakeProvider, fake_dsp: DspConnector) -> None:
    for call in (
        fake_dsp.get_negotiation,
        fake_dsp.get_transfer,
        fake_dsp.get_agreement,
        fake_dsp.export_process,
        fake_dsp.get_edr,
        fake_dsp.complete_transfer,
        fake_dsp.terminate_negotiation,
    ):
        with pytest.raises(ConfigurationError, match="urn:uuid:nope"):
            call("urn:uuid:nope")
    with pytest.raises(ConfigurationError, match="urn:uuid:nope"):
        fake_dsp.wait_for_change("urn:uuid:nope", 0)
    with pytest.raises(ConfigurationError, match="target"):
        fake_dsp.start_negotiation(fake.provider, OFFER.model_copy(update={"target": None}))
    with pytest.raises(ConfigurationError, match="data_destination"):
        fake_dsp.start_transfer(fake.provider, "urn:uuid:a", transfer_type="HttpData-PUSH")
    with DspConnector(participant_id="did:web:c", token_source=_NeverCalled()) as dsp:
        with pytest.raises(ConfigurationError, match="participant_id"):
            dsp.start_negotiation(Provider(fake.provider.address), OFFER)
    with pytest.raises(ConfigurationError, match="versions"):
        DspConnector(participant_id="did:web:c", token_source=None, versions=("0.8",))


class _NeverCalled:
    def issue(self, audience: str, *, scopes: Any = ()) -> str:
        raise AssertionError("no token may be minted")


def test_close_leaves_no_thread_and_no_socket(fake: FakeProvider, http: HttpClient) -> None:
    before = set(threading.enumerate())
    dsp = DspConnector(participant_id="did:web:consumer", token_source=None)
    pid = dsp.start_negotiation(fake.provider, OFFER)
    post_callback(http, dsp, f"/negotiations/{pid}/agreement", agreement_message(pid))
    fake.wait("/agreement/verification")
    port = dsp.callback_port
    idle = socket.create_connection(("127.0.0.1", port))  # a client that never sends anything
    began = time.monotonic()
    dsp.close()
    dsp.close()
    idle.close()
    assert time.monotonic() - began < 3
    left = [t.name for t in set(threading.enumerate()) - before if not t.name.startswith("d4h-sandbox")]
    assert left == [] and not [name for name in d4h_threads() if name.startswith("d4h-dsp")]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_an_ingress_prefix_reaches_the_receiver(fake: FakeProvider, http: HttpClient) -> None:
    with DspConnector(
        participant_id="did:web:consumer",
        token_source=None,
        public_callback_url="http://ingress.example/cb",
        strict=False,
    ) as dsp:
        pid = dsp.start_negotiation(fake.provider, OFFER)
        request = fake.wait("/negotiations/request")[-1]
        assert request["callbackAddress"] == "http://ingress.example/cb"
        bound = f"http://127.0.0.1:{dsp.callback_port}/cb/negotiations/{pid}/events"
        assert http.post(bound, json=wire.encode(event(pid), dialect="dsp-2025-1")).status_code == 200
        assert dsp.get_negotiation(pid).state is NegotiationState.FINALIZED


def test_a_verification_refused_with_409_is_sent_again(
    fake: FakeProvider, fake_dsp: DspConnector, http: HttpClient
) -> None:
    """EDC answers 409 to a verification that arrives before it recorded its own agreement: send it again."""
    fake.refusals["/agreement/verification"] = [409, 409]
    pid = fake_dsp.start_negotiation(fake.provider, OFFER)
    assert (
        post_callback(http, fake_dsp, f"/negotiations/{pid}/agreement", agreement_message(pid)).status_code
        == 200
    )
    fake.wait("/agreement/verification", count=3)
    wait_until(
        lambda: fake_dsp.get_negotiation(pid), lambda s: s.state is NegotiationState.VERIFIED, fake_dsp, pid
    )


def test_a_newly_minted_agreement_replaces_an_unverified_one(
    fake: FakeProvider, fake_dsp: DspConnector, http: HttpClient
) -> None:
    """A provider that sends its agreement again with a new id before any verification got through is followed."""
    fake.refusals["/agreement/verification"] = [500]
    pid = fake_dsp.start_negotiation(fake.provider, OFFER)
    base = f"/negotiations/{pid}/agreement"
    assert (
        post_callback(http, fake_dsp, base, agreement_message(pid, "urn:uuid:agreement-1")).status_code == 200
    )
    fake.wait("/agreement/verification", count=1)
    deadline = time.monotonic() + 5  # until the connector has taken in that its verification failed
    while True:
        second = post_callback(http, fake_dsp, base, agreement_message(pid, "urn:uuid:agreement-2"))
        if second.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert second.status_code == 200
    status = wait_until(
        lambda: fake_dsp.get_negotiation(pid), lambda s: s.state is NegotiationState.VERIFIED, fake_dsp, pid
    )
    assert status.agreement_id == "urn:uuid:agreement-2"
    third = post_callback(http, fake_dsp, base, agreement_message(pid, "urn:uuid:agreement-3"))
    assert third.status_code == 400  # verified: another agreement is refused
