"""Contract negotiation against the sandbox provider, over real HTTP, in both DSP versions."""

from __future__ import annotations

import time

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.models import (
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    ContractNegotiation,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractRequestMessage,
)
from d4h_sdk.models.negotiation import NegotiationEventType, NegotiationState
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import Dsp, Receiver, SchemaCheck, new_pid, requested_offer

DIALECTS = ("dsp-2025-1", "dsp-2024-1")


def _request(sandbox: Sandbox, receiver: Receiver, dataset: str, key: str) -> ContractRequestMessage:
    return ContractRequestMessage(
        consumer_pid=new_pid(),
        offer=requested_offer(sandbox, dataset, key),
        callback_address=receiver.callback,
    )


def negotiate(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, dialect: str, schema: SchemaCheck | None = None
) -> tuple[Dsp, str, str, ContractAgreementMessage]:
    """Run a negotiation of research-lab for diabetes-sample to FINALIZED; return pids and the agreement."""
    client = Dsp(sandbox, http, sandbox.participants["research-lab"], dialect)
    request = _request(sandbox, receiver, "diabetes-sample", "open")
    response = client.post("/negotiations/request", request)
    assert response.status_code == 201, response.text
    if schema is not None:
        assert schema(dialect, "ContractNegotiation", response.json()) == []
    ack = wire.decode(response.content)
    assert isinstance(ack, ContractNegotiation) and ack.consumer_pid == request.consumer_pid
    assert ack.state is NegotiationState.REQUESTED
    provider_pid = ack.provider_pid
    received = receiver.wait(f"/negotiations/{request.consumer_pid}/agreement")
    if schema is not None:
        assert schema(dialect, "ContractAgreementMessage", received.body) == []
    agreement = wire.decode(received.body)
    assert isinstance(agreement, ContractAgreementMessage)
    verification = ContractAgreementVerificationMessage(
        provider_pid=provider_pid, consumer_pid=request.consumer_pid
    )
    assert (
        client.post(f"/negotiations/{provider_pid}/agreement/verification", verification).status_code == 200
    )
    event = receiver.wait(f"/negotiations/{request.consumer_pid}/events")
    if schema is not None:
        assert schema(dialect, "ContractNegotiationEventMessage", event.body) == []
    finalized = wire.decode(event.body)
    assert isinstance(finalized, ContractNegotiationEventMessage)
    assert finalized.event_type is NegotiationEventType.FINALIZED
    return client, provider_pid, request.consumer_pid, agreement


@pytest.mark.parametrize("dialect", DIALECTS)
def test_negotiation_reaches_finalized(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck, dialect: str
) -> None:
    client, provider_pid, consumer_pid, message = negotiate(sandbox, http, receiver, dialect, schema)
    lab = sandbox.participants["research-lab"]
    agreement = message.agreement
    assert message.provider_pid == provider_pid and message.consumer_pid == consumer_pid
    assert agreement.assigner == sandbox.provider.did
    assert agreement.assignee == lab.did
    assert agreement.target == "diabetes-sample"
    assert agreement.timestamp is not None and agreement.id
    callback = receiver.wait(f"/negotiations/{consumer_pid}/agreement")
    assert callback.authorization is not None and callback.authorization.startswith("Bearer ")
    token = lab.token_verifier.verify(callback.authorization)  # a provider SI token addressed to the lab
    assert token.issuer == sandbox.provider.did
    response = client.get(f"/negotiations/{provider_pid}")
    assert response.status_code == 200
    assert schema(dialect, "ContractNegotiation", response.json()) == []
    state = wire.decode(response.content)
    assert isinstance(state, ContractNegotiation) and state.state is NegotiationState.FINALIZED
    assert sandbox.connector.store.get_agreement(agreement.id or "") == agreement


@pytest.mark.parametrize("dialect", DIALECTS)
def test_policy_refusal_terminates_with_the_reason(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck, dialect: str
) -> None:
    ad = Dsp(sandbox, http, sandbox.participants["ad-company"], dialect)
    request = _request(sandbox, receiver, "diabetes-sample", "open")
    assert ad.post("/negotiations/request", request).status_code == 201
    received = receiver.wait(f"/negotiations/{request.consumer_pid}/termination")
    assert schema(dialect, "ContractNegotiationTerminationMessage", received.body) == []
    message = wire.decode(received.body)
    assert isinstance(message, ContractNegotiationTerminationMessage)
    assert message.code == "POLICY_PROHIBITED"
    assert any("membershipStatus" in str(reason) for reason in message.reason)


def test_undecided_policy_terminates_naming_the_missing_claim(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver
) -> None:
    lab = Dsp(sandbox, http, sandbox.participants["research-lab"], "dsp-2025-1")
    request = _request(sandbox, receiver, "diabetes-cohort", "research")
    assert lab.post("/negotiations/request", request).status_code == 201
    message = wire.decode(receiver.wait(f"/negotiations/{request.consumer_pid}/termination").body)
    assert isinstance(message, ContractNegotiationTerminationMessage)
    assert message.code == "POLICY_UNDECIDED"
    assert any("permitIssued" in str(reason) for reason in message.reason)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_forbidden_transitions_are_400_with_an_error_body(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck, dialect: str
) -> None:
    client, provider_pid, consumer_pid, _ = negotiate(sandbox, http, receiver, dialect)
    pids = {"provider_pid": provider_pid, "consumer_pid": consumer_pid}
    attempts = [
        ("events", ContractNegotiationEventMessage(**pids, event_type=NegotiationEventType.ACCEPTED)),
        ("termination", ContractNegotiationTerminationMessage(**pids, reason=("late",))),
    ]
    for leaf, message in attempts:
        response = client.post(f"/negotiations/{provider_pid}/{leaf}", message)
        assert response.status_code == 400, (leaf, response.text)
        assert schema(dialect, "ContractNegotiationError", response.json()) == []
    # the wrong message type on an endpoint is refused too
    wrong = client.post(f"/negotiations/{provider_pid}/events", ContractAgreementVerificationMessage(**pids))
    assert wrong.status_code == 400


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_resent_verification_is_acknowledged_and_finalized_again(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck, dialect: str
) -> None:
    # EDC re-sends its verification when the FINALIZED event overtook the answer to the first one; a 400
    # there made it terminate an agreement both sides had verified.
    client, provider_pid, consumer_pid, _ = negotiate(sandbox, http, receiver, dialect)
    events = f"/negotiations/{consumer_pid}/events"
    verification = ContractAgreementVerificationMessage(provider_pid=provider_pid, consumer_pid=consumer_pid)
    again = client.post(f"/negotiations/{provider_pid}/agreement/verification", verification)
    assert again.status_code == 200, again.text
    deadline = time.monotonic() + 10
    while sum(r.path.endswith(events) for r in receiver.received) < 2:
        assert time.monotonic() < deadline, "the FINALIZED event was not sent again"
        time.sleep(0.02)
    second = [r for r in receiver.received if r.path.endswith(events)][1]
    assert schema(dialect, "ContractNegotiationEventMessage", second.body) == []
    resent = wire.decode(second.raw)
    assert isinstance(resent, ContractNegotiationEventMessage)
    assert resent.event_type is NegotiationEventType.FINALIZED
    state = wire.decode(client.get(f"/negotiations/{provider_pid}").content)
    assert isinstance(state, ContractNegotiation) and state.state is NegotiationState.FINALIZED
    # another participant's verification of it is still unknown to it
    other = Dsp(sandbox, http, sandbox.participants["ad-company"], dialect)
    assert other.post(f"/negotiations/{provider_pid}/agreement/verification", verification).status_code == 404


def test_consumer_termination_and_then_nothing(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck
) -> None:
    lab = Dsp(sandbox, http, sandbox.participants["research-lab"], "dsp-2025-1")
    request = _request(sandbox, receiver, "diabetes-sample", "open")
    ack = wire.decode(lab.post("/negotiations/request", request).content)
    assert isinstance(ack, ContractNegotiation)
    receiver.wait(f"/negotiations/{request.consumer_pid}/agreement")
    pids = {"provider_pid": ack.provider_pid, "consumer_pid": request.consumer_pid}
    termination = ContractNegotiationTerminationMessage(**pids, reason=("changed my mind",))
    assert lab.post(f"/negotiations/{ack.provider_pid}/termination", termination).status_code == 200
    state = wire.decode(lab.get(f"/negotiations/{ack.provider_pid}").content)
    assert isinstance(state, ContractNegotiation) and state.state is NegotiationState.TERMINATED
    again = lab.post(
        f"/negotiations/{ack.provider_pid}/agreement/verification",
        ContractAgreementVerificationMessage(**pids),
    )
    assert again.status_code == 400
    assert schema("dsp-2025-1", "ContractNegotiationError", again.json()) == []


def test_unknown_and_unauthorised_negotiations_are_404(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck
) -> None:
    client, provider_pid, consumer_pid, _ = negotiate(sandbox, http, receiver, "dsp-2025-1")
    unknown = new_pid()
    response = client.get(f"/negotiations/{unknown}")
    assert response.status_code == 404
    assert schema("dsp-2025-1", "ContractNegotiationError", response.json()) == []
    message = ContractNegotiationTerminationMessage(provider_pid=unknown, consumer_pid=consumer_pid)
    assert client.post(f"/negotiations/{unknown}/termination", message).status_code == 404
    assert client.get(f"/negotiations/{provider_pid}", token=False).status_code == 404
    other = Dsp(sandbox, http, sandbox.participants["ad-company"], "dsp-2025-1")
    assert other.get(f"/negotiations/{provider_pid}").status_code == 404


def test_creating_request_without_token_is_401_and_unknown_offer_is_400(
    sandbox: Sandbox, http: HttpClient, receiver: Receiver, schema: SchemaCheck
) -> None:
    lab = Dsp(sandbox, http, sandbox.participants["research-lab"], "dsp-2025-1")
    request = _request(sandbox, receiver, "diabetes-sample", "open")
    response = lab.post("/negotiations/request", request, token=False)
    assert response.status_code == 401
    assert schema("dsp-2025-1", "ContractNegotiationError", response.json()) == []
    bad = request.model_copy(update={"offer": request.offer.model_copy(update={"id": "urn:offer:nope"})})
    response = lab.post("/negotiations/request", bad)
    assert response.status_code == 400
    assert "urn:offer:nope" in response.text
    assert schema("dsp-2025-1", "ContractNegotiationError", response.json()) == []
