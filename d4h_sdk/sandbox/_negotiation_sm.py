"""Provider-side contract negotiation state machine: pure, no I/O (events in, decisions out).

:func:`on_message` takes the negotiation as stored (or ``None``) and a decoded DSP message from the consumer
and returns an :class:`Outcome`: the new record, the HTTP status and body to answer with, and the effects the
connector must perform (evaluate a policy, notice a state change). The provider's own moves (:func:`offer`,
:func:`agree`, :func:`finalize`, :func:`terminate`; in :mod:`~d4h_sdk.sandbox._negotiation_moves`) check the
transition and return a :class:`Step`: the new record and the callback message to send to the consumer.

Models are version neutral, so the machine serves DSP 2024-1 and 2025-1 alike; the connector decodes and
encodes with :mod:`d4h_sdk.wire`. The effect and outcome types (:mod:`~d4h_sdk.sandbox._sm_common`) are
shared with the transfer machine; this module re-exports them and the moves, its historical home.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.negotiation import (
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    ContractNegotiationError,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractOfferMessage,
    ContractRequestMessage,
    NegotiationEventType,
    NegotiationState,
)
from d4h_sdk.sandbox._negotiation_moves import (
    NegotiationRecord,
    advance,
    agree,
    finalize,
    initial_offer,
    offer,
    offered,
    terminate,
)
from d4h_sdk.sandbox._sm_common import (
    CheckAgreement,
    Effect,
    EvaluatePolicy,
    Outcome,
    Party,
    SendCallback,
    StateChanged,
    Step,
    callback_path,
    new_pid,
    utc_now,
)

__all__ = [
    "CheckAgreement",
    "Effect",
    "EvaluatePolicy",
    "NegotiationRecord",
    "Outcome",
    "Party",
    "SendCallback",
    "StateChanged",
    "Step",
    "agree",
    "callback_path",
    "finalize",
    "initial_offer",
    "new_pid",
    "offer",
    "offered",
    "on_message",
    "terminate",
    "utc_now",
]

_NEGOTIATION_TYPES = (
    ContractRequestMessage,
    ContractOfferMessage,
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
)


# --- inbound messages --------------------------------------------------------------------------------------


def _error(
    status: int,
    reason: str,
    *,
    record: NegotiationRecord | None,
    message: WireModel,
    code: str,
) -> Outcome[NegotiationRecord]:
    provider_pid = record.provider_pid if record is not None else getattr(message, "provider_pid", None)
    consumer_pid = record.consumer_pid if record is not None else getattr(message, "consumer_pid", None)
    body = ContractNegotiationError(
        provider_pid=provider_pid, consumer_pid=consumer_pid, code=code, reason=(reason,)
    )
    return Outcome(record=record, status=status, body=body)


def _invalid(record: NegotiationRecord, message: WireModel, detail: str) -> Outcome[NegotiationRecord]:
    name = type(message).__name__
    text = f"{name} is not allowed in state {record.state.value}: {detail}"
    return _error(400, text, record=record, message=message, code="INVALID_STATE_TRANSITION")


def _changed(
    before: NegotiationRecord, after: NegotiationRecord, *extra: Effect, status: int = 200
) -> Outcome[NegotiationRecord]:
    note = StateChanged(after.provider_pid, before.state, after.state, "consumer")
    return Outcome(record=after, status=status, effects=(*extra, note))


def on_message(
    record: NegotiationRecord | None,
    message: WireModel,
    *,
    role: Literal["provider"] = "provider",
    participant_id: str | None = None,
    dialect: str | None = None,
    now: datetime | None = None,
    make_pid: Callable[[], str] = new_pid,
) -> Outcome[NegotiationRecord]:
    """Decide on a message the consumer sent to the provider.

    Args:
        record: The negotiation the message belongs to, as stored: found by the ``providerPid`` of the path,
            or, for an initial ContractRequestMessage, by the consumer's ``consumerPid`` (``None`` if new).
        message: The decoded message (any DSP model; wrong types are refused with 400).
        role: The side this machine plays; only ``"provider"`` is implemented.
        participant_id: The authenticated consumer; a negotiation of another participant answers 404.
        dialect: The wire dialect of the message, recorded on a new negotiation.
        now: The current time (injectable clock).
        make_pid: Generator of new provider pids.

    Returns:
        The outcome: new record, HTTP status (201/200/400/404/409), body and effects.

    Raises:
        ConfigurationError: ``role`` is not ``"provider"``.
    """
    if role != "provider":
        raise ConfigurationError(
            f"role {role!r} is not supported; the sandbox negotiation machine plays 'provider'"
        )
    moment = utc_now(now)
    if isinstance(message, ContractRequestMessage) and message.provider_pid is None:
        return _initial_request(record, message, participant_id, dialect, moment, make_pid)
    if not isinstance(message, _NEGOTIATION_TYPES):
        reason = f"{type(message).__name__} is not a contract negotiation message the provider accepts"
        return _error(400, reason, record=record, message=message, code="UNEXPECTED_MESSAGE")
    pid = getattr(message, "provider_pid", None)
    if record is None or (participant_id and record.counterparty and participant_id != record.counterparty):
        reason = f"no contract negotiation {pid} is known to this provider"
        return _error(404, reason, record=None, message=message, code="NOT_FOUND")
    if pid != record.provider_pid or message.consumer_pid != record.consumer_pid:
        reason = "the providerPid/consumerPid of the message do not match the negotiation"
        return _error(400, reason, record=record, message=message, code="PID_MISMATCH")
    if isinstance(message, ContractAgreementVerificationMessage) and record.state in _VERIFIED_STATES:
        return _verified_again(record)
    if record.state.is_final:
        return _invalid(record, message, "the negotiation is over; no further message is accepted")
    if isinstance(message, (ContractOfferMessage, ContractAgreementMessage)):
        return _invalid(record, message, "only the provider sends it")
    if isinstance(message, ContractRequestMessage):
        return _counter_request(record, message, moment)
    if isinstance(message, ContractNegotiationEventMessage):
        return _event(record, message, moment)
    if isinstance(message, ContractAgreementVerificationMessage):
        if record.state is not NegotiationState.AGREED:
            return _invalid(record, message, "only an agreement (state AGREED) can be verified")
        return _changed(record, advance(record, NegotiationState.VERIFIED, moment))
    assert isinstance(message, ContractNegotiationTerminationMessage)
    after = advance(
        record,
        NegotiationState.TERMINATED,
        moment,
        termination_code=message.code,
        termination_reason=tuple(message.reason),
        terminated_by="consumer",
    )
    return _changed(record, after)


_VERIFIED_STATES = (NegotiationState.VERIFIED, NegotiationState.FINALIZED)


def _verified_again(record: NegotiationRecord) -> Outcome[NegotiationRecord]:
    """A re-sent verification of a verified agreement: acknowledged again, nothing changes.

    A consumer re-sends its verification when it did not see the first answer (EDC does, when the FINALIZED
    event reached it while its verification request was still in flight). Refusing it would make such a
    consumer terminate an agreement both sides have verified. On a FINALIZED negotiation the FINALIZED event
    is sent again, since the consumer evidently missed it.
    """
    if record.state is not NegotiationState.FINALIZED:
        return Outcome(record=record, status=200)
    event = ContractNegotiationEventMessage(
        provider_pid=record.provider_pid,
        consumer_pid=record.consumer_pid,
        event_type=NegotiationEventType.FINALIZED,
    )
    resend = SendCallback(
        record.callback_address, callback_path("negotiations", record.consumer_pid, "events"), event
    )
    return Outcome(record=record, status=200, effects=(resend,))


def _initial_request(
    record: NegotiationRecord | None,
    message: ContractRequestMessage,
    participant_id: str | None,
    dialect: str | None,
    now: datetime,
    make_pid: Callable[[], str],
) -> Outcome[NegotiationRecord]:
    if not message.callback_address:
        reason = "an initial ContractRequestMessage needs a callbackAddress"
        return _error(400, reason, record=None, message=message, code="MISSING_CALLBACK_ADDRESS")
    if not message.offer.id:
        return _error(
            400, "the requested offer has no @id", record=None, message=message, code="INVALID_OFFER"
        )
    if record is not None:
        same = (
            record.consumer_pid == message.consumer_pid
            and record.callback_address == message.callback_address
            and (
                record.counterparty is None or participant_id is None or record.counterparty == participant_id
            )
            and _same_dataset(record, message)
        )
        if same:  # a re-sent initial request: answer with the existing negotiation
            return Outcome(record=record, status=201, body=record.ack())
        reason = f"consumerPid {message.consumer_pid} is already used by another contract negotiation"
        return _error(409, reason, record=record, message=message, code="CONSUMER_PID_IN_USE")
    created = NegotiationRecord(
        provider_pid=make_pid(),
        consumer_pid=message.consumer_pid,
        callback_address=message.callback_address,
        state=NegotiationState.REQUESTED,
        offer=message.offer,
        offer_from="consumer",
        dataset_id=message.offer.target,
        created_at=now,
        updated_at=now,
        counterparty=participant_id,
        dialect=dialect,
    )
    effects: tuple[Effect, ...] = (
        EvaluatePolicy(created.provider_pid, message.offer, created.dataset_id, participant_id, True),
        StateChanged(created.provider_pid, None, created.state, "consumer"),
    )
    return Outcome(record=created, status=201, body=created.ack(), effects=effects)


def _same_dataset(record: NegotiationRecord, message: ContractRequestMessage) -> bool:
    """A re-sent initial request asks for the same dataset (the current offer may have moved on since)."""
    return record.dataset_id == message.offer.target


def _counter_request(
    record: NegotiationRecord, message: ContractRequestMessage, now: datetime
) -> Outcome[NegotiationRecord]:
    if record.state is not NegotiationState.OFFERED:
        return _invalid(record, message, "a counter-offer answers a provider offer (state OFFERED)")
    target = message.offer.target
    if target is not None and record.dataset_id is not None and target != record.dataset_id:
        reason = f"the counter-offer targets {target}, but the negotiation is about {record.dataset_id}"
        return _error(400, reason, record=record, message=message, code="INVALID_OFFER")
    if not message.offer.id:
        return _error(
            400, "the counter-offer has no @id", record=record, message=message, code="INVALID_OFFER"
        )
    after = advance(record, NegotiationState.REQUESTED, now, offer=message.offer, offer_from="consumer")
    evaluate = EvaluatePolicy(
        record.provider_pid, message.offer, record.dataset_id, record.counterparty, False
    )
    return _changed(record, after, evaluate)


def _event(
    record: NegotiationRecord, message: ContractNegotiationEventMessage, now: datetime
) -> Outcome[NegotiationRecord]:
    if message.event_type is NegotiationEventType.FINALIZED:
        return _invalid(record, message, "only the provider sends the FINALIZED event")
    if record.offer_from == "consumer":
        return _invalid(record, message, "the current offer was made by the consumer; it cannot accept it")
    if record.state is not NegotiationState.OFFERED:
        return _invalid(record, message, "only a provider offer (state OFFERED) can be accepted")
    return _changed(record, advance(record, NegotiationState.ACCEPTED, now))
