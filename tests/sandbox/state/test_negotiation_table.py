"""Every (state, consumer message) pair of the provider's negotiation machine, in both DSP dialects."""

from __future__ import annotations

from typing import Any

import pytest

from d4h_sdk.models.negotiation import (
    ContractNegotiation,
    ContractNegotiationError,
    ContractNegotiationEventMessage,
    ContractRequestMessage,
    NegotiationEventType,
    NegotiationState,
)
from d4h_sdk.models.transfer import TransferCompletionMessage
from d4h_sdk.sandbox import _negotiation_sm as sm

from ._support import (
    CALLBACK,
    CPID,
    DATASET,
    DIALECTS,
    NEGOTIATION_MESSAGES,
    PPID,
    T0,
    assert_schema_valid,
    initial_request,
    make_offer,
    negotiation,
    pids,
    via_wire,
)

S = NegotiationState
ALIVE = [state for state in S if not state.is_final]

# The expected new state for each accepted (message, state); every other pair answers 400.
ACCEPTED: dict[tuple[str, NegotiationState], NegotiationState] = {
    ("counter-request", S.OFFERED): S.REQUESTED,
    ("event-accepted", S.OFFERED): S.ACCEPTED,
    ("verification", S.AGREED): S.VERIFIED,
    **{("termination", state): S.TERMINATED for state in ALIVE},
}

# Re-sent messages acknowledged without a change (EDC re-sends its verification when the FINALIZED event
# overtook the answer to it); see test_a_resent_verification_is_acknowledged.
REPEATED = {("verification", S.VERIFIED), ("verification", S.FINALIZED)}

TABLE = [
    pytest.param(name, state, ACCEPTED.get((name, state)), dialect, id=f"{dialect}-{state.value}-{name}")
    for dialect in DIALECTS
    for state in S
    for name in NEGOTIATION_MESSAGES
    if (name, state) not in REPEATED
]


@pytest.mark.parametrize(("name", "state", "expected", "dialect"), TABLE)
def test_every_state_and_message(name: str, state: S, expected: S | None, dialect: str) -> None:
    record = negotiation(state)
    message = via_wire(NEGOTIATION_MESSAGES[name](), dialect)
    outcome = sm.on_message(record, message, now=T0)
    if expected is None:
        assert outcome.status == 400, outcome
        assert outcome.record is record  # an error causes no state transition
        assert isinstance(outcome.body, ContractNegotiationError)
        assert outcome.error is outcome.body and not outcome.ok
        assert (outcome.body.provider_pid, outcome.body.consumer_pid) == (PPID, CPID)
        assert outcome.body.reason and outcome.effects == ()
        assert_schema_valid(outcome.body)
        return
    assert outcome.status == 200 and outcome.ok and outcome.body is None
    assert outcome.record is not None
    assert outcome.record.state is expected
    assert outcome.record.version == record.version + 1
    assert outcome.effects[-1] == sm.StateChanged(PPID, state, expected, "consumer")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("state", [S.VERIFIED, S.FINALIZED])
def test_a_resent_verification_is_acknowledged(state: S, dialect: str) -> None:
    record = negotiation(state)
    outcome = sm.on_message(record, via_wire(NEGOTIATION_MESSAGES["verification"](), dialect), now=T0)
    assert (outcome.status, outcome.body, outcome.record) == (200, None, record)
    if state is S.VERIFIED:  # the FINALIZED event is on its way
        assert outcome.effects == ()
        return
    (resend,) = outcome.effects  # the consumer missed the FINALIZED event: it is sent again
    assert isinstance(resend, sm.SendCallback) and resend.callback_address == CALLBACK
    assert resend.path == f"/negotiations/{CPID}/events"
    assert resend.message == ContractNegotiationEventMessage(
        provider_pid=PPID, consumer_pid=CPID, event_type=NegotiationEventType.FINALIZED
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_initial_request_creates_a_requested_negotiation(dialect: str) -> None:
    message = via_wire(initial_request(), dialect)
    outcome = sm.on_message(
        None, message, now=T0, make_pid=pids(), participant_id="did:web:c", dialect=dialect
    )
    assert outcome.status == 201
    record = outcome.record
    assert record is not None
    assert (record.provider_pid, record.consumer_pid, record.state) == (
        "urn:uuid:provider-0001",
        CPID,
        S.REQUESTED,
    )
    assert record.callback_address == CALLBACK and record.dataset_id == DATASET
    assert record.offer_id == "urn:uuid:offer-1" and record.offer_from == "consumer"
    assert (record.version, record.created_at, record.counterparty, record.dialect) == (
        1,
        T0,
        "did:web:c",
        dialect,
    )
    assert outcome.body == ContractNegotiation(
        provider_pid=record.provider_pid, consumer_pid=CPID, state=S.REQUESTED
    )
    assert_schema_valid(outcome.body)
    evaluate, changed = outcome.effects
    assert evaluate == sm.EvaluatePolicy(record.provider_pid, message.offer, DATASET, "did:web:c", True)  # type: ignore[attr-defined]
    assert changed == sm.StateChanged(record.provider_pid, None, S.REQUESTED, "consumer")


@pytest.mark.parametrize("state", list(S))
def test_resent_initial_request_returns_the_existing_negotiation(state: S) -> None:
    record = negotiation(state)
    outcome = sm.on_message(record, initial_request(), now=T0)
    assert (outcome.status, outcome.record, outcome.effects) == (201, record, ())
    assert outcome.body == record.ack()


def test_consumer_pid_reused_for_another_dataset_is_a_conflict() -> None:
    record = negotiation(S.OFFERED)
    other = ContractRequestMessage(
        consumer_pid=CPID, offer=make_offer(target="urn:uuid:other-dataset"), callback_address=CALLBACK
    )
    outcome = sm.on_message(record, other)
    assert outcome.status == 409 and outcome.record is record
    assert isinstance(outcome.body, ContractNegotiationError) and outcome.body.code == "CONSUMER_PID_IN_USE"
    assert_schema_valid(outcome.body)


def test_consumer_pid_reused_by_another_participant_is_a_conflict() -> None:
    record = negotiation(S.REQUESTED, counterparty="did:web:a")
    assert sm.on_message(record, initial_request(), participant_id="did:web:b").status == 409


@pytest.mark.parametrize("name", list(NEGOTIATION_MESSAGES))
@pytest.mark.parametrize("dialect", DIALECTS)
def test_unknown_provider_pid_is_404(name: str, dialect: str) -> None:
    outcome = sm.on_message(None, via_wire(NEGOTIATION_MESSAGES[name](), dialect))
    assert outcome.status == 404 and outcome.record is None
    assert isinstance(outcome.body, ContractNegotiationError)
    assert (outcome.body.provider_pid, outcome.body.consumer_pid) == (PPID, CPID)
    assert_schema_valid(outcome.body)


def test_a_negotiation_of_another_participant_is_404() -> None:
    record = negotiation(S.OFFERED, counterparty="did:web:owner")
    message = NEGOTIATION_MESSAGES["event-accepted"]()
    assert sm.on_message(record, message, participant_id="did:web:intruder").status == 404
    assert sm.on_message(record, message, participant_id="did:web:owner").status == 200


def test_known_pid_with_wrong_consumer_pid_is_400_not_404() -> None:
    message = NEGOTIATION_MESSAGES["termination"]().model_copy(
        update={"consumer_pid": "urn:uuid:someone-else"}
    )
    outcome = sm.on_message(negotiation(S.REQUESTED), message)
    assert outcome.status == 400
    assert isinstance(outcome.body, ContractNegotiationError) and outcome.body.code == "PID_MISMATCH"


def test_accepting_the_consumers_own_offer_is_400_with_a_reason() -> None:
    outcome = sm.on_message(negotiation(S.REQUESTED), NEGOTIATION_MESSAGES["event-accepted"]())
    assert outcome.status == 400
    assert isinstance(outcome.body, ContractNegotiationError)
    assert "made by the consumer" in outcome.body.reason[0]


def test_termination_records_code_reason_and_author() -> None:
    outcome = sm.on_message(negotiation(S.AGREED), NEGOTIATION_MESSAGES["termination"](), now=T0)
    assert outcome.record is not None
    assert (outcome.record.termination_code, outcome.record.termination_reason) == (
        "C1",
        ("consumer gave up",),
    )
    assert outcome.record.terminated_by == "consumer" and outcome.record.updated_at == T0


def test_counter_request_replaces_the_offer_and_asks_for_evaluation() -> None:
    outcome = sm.on_message(negotiation(S.OFFERED), NEGOTIATION_MESSAGES["counter-request"]())
    assert outcome.record is not None
    assert outcome.record.offer_id == "urn:uuid:offer-2" and outcome.record.offer_from == "consumer"
    assert isinstance(outcome.effects[0], sm.EvaluatePolicy) and outcome.effects[0].initial is False


def test_counter_request_for_another_dataset_is_400() -> None:
    message = NEGOTIATION_MESSAGES["counter-request"]().model_copy(
        update={"offer": make_offer("urn:uuid:offer-3", target="urn:uuid:elsewhere")}
    )
    assert sm.on_message(negotiation(S.OFFERED), message).status == 400


def test_initial_request_without_callback_or_offer_id_is_400() -> None:
    no_callback = ContractRequestMessage(consumer_pid=CPID, offer=make_offer())
    outcome = sm.on_message(None, no_callback)
    assert outcome.status == 400 and outcome.record is None
    no_id = ContractRequestMessage(consumer_pid=CPID, offer=make_offer(""), callback_address=CALLBACK)
    assert sm.on_message(None, no_id).status == 400


@pytest.mark.parametrize("record", [None, negotiation(S.REQUESTED)])
def test_a_message_of_another_protocol_is_400(record: Any) -> None:
    outcome = sm.on_message(record, TransferCompletionMessage(provider_pid=PPID, consumer_pid=CPID))
    assert outcome.status == 400 and outcome.record is record
    assert isinstance(outcome.body, ContractNegotiationError) and outcome.body.code == "UNEXPECTED_MESSAGE"


def test_only_the_provider_role_is_implemented() -> None:
    from d4h_sdk.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="provider"):
        sm.on_message(None, initial_request(), role="consumer")  # type: ignore[arg-type]
