"""Provider-side contract negotiation state machine: pure, no I/O (events in, decisions out).

:func:`on_message` takes the negotiation as stored (or ``None``) and a decoded DSP message from the consumer
and returns an :class:`Outcome`: the new record, the HTTP status and body to answer with, and the effects the
connector must perform (evaluate a policy, notice a state change). The provider's own moves (:func:`offer`,
:func:`agree`, :func:`finalize`, :func:`terminate`) check the transition and return a :class:`Step`: the new
record and the callback message to send to the consumer.

Models are version neutral, so the machine serves DSP 2024-1 and 2025-1 alike; the connector decodes and
encodes with :mod:`d4h_sdk.wire`. The effect and outcome types here are shared with the transfer machine.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

from d4h_sdk.errors import ConfigurationError, NegotiationError
from d4h_sdk.models._base import WireModel, canonical_dict
from d4h_sdk.models.negotiation import (
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    ContractNegotiation,
    ContractNegotiationError,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractOfferMessage,
    ContractRequestMessage,
    NegotiationEventType,
    NegotiationState,
)
from d4h_sdk.models.policy import Agreement, Offer

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
    "new_pid",
    "offer",
    "on_message",
    "terminate",
    "utc_now",
]

Party = Literal["consumer", "provider"]
"""Which side of the protocol did something."""

R = TypeVar("R")

_NEGOTIATION_TYPES = (
    ContractRequestMessage,
    ContractOfferMessage,
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
)


def utc_now(now: datetime | None = None) -> datetime:
    """Return ``now`` (made timezone-aware as UTC if naive) or the current UTC time."""
    if now is None:
        return datetime.now(timezone.utc)
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def new_pid() -> str:
    """Return a fresh process id (``urn:uuid:...``)."""
    return f"urn:uuid:{uuid.uuid4()}"


def callback_path(kind: str, consumer_pid: str, leaf: str) -> str:
    """Return ``/{kind}/{consumerPid}/{leaf}`` with the pid percent-encoded (``:`` kept)."""
    return f"/{kind}/{quote(consumer_pid, safe=':@')}/{leaf}"


@dataclass(frozen=True)
class SendCallback:
    """Effect: POST ``message`` to the consumer at ``callback_address`` + ``path``.

    Attributes:
        callback_address: The consumer's callback address as it sent it.
        path: The path under the callback address, e.g. ``/negotiations/urn:uuid:.../offers``.
        message: The model to encode (in the consumer's dialect) and send.
    """

    callback_address: str
    path: str
    message: WireModel

    @property
    def url(self) -> str:
        """The full URL (a trailing ``/`` on the callback address is tolerated)."""
        return self.callback_address.rstrip("/") + self.path


@dataclass(frozen=True)
class EvaluatePolicy:
    """Effect: the consumer requested an offer; evaluate it and answer with a provider move.

    Attributes:
        provider_pid: The negotiation.
        offer: The offer the consumer asked for (initial request or counter-offer).
        dataset_id: The dataset the offer targets, if it names one.
        counterparty: The authenticated consumer participant id, if the connector gave one.
        initial: True for the initial request, False for a counter-request.
    """

    provider_pid: str
    offer: Offer
    dataset_id: str | None
    counterparty: str | None
    initial: bool


@dataclass(frozen=True)
class StateChanged:
    """Effect: the consumer moved a process to a new state (the connector may react, e.g. agree).

    Attributes:
        provider_pid: The process.
        previous: The state before (``None`` for a new process).
        state: The state now.
        by: Who caused the change.
    """

    provider_pid: str
    previous: Enum | None
    state: Enum
    by: Party


@dataclass(frozen=True)
class CheckAgreement:
    """Effect (transfer machine): a transfer was requested; check the agreement, then start or terminate it.

    Attributes:
        provider_pid: The transfer process.
        agreement_id: The agreement the consumer named (it must exist and cover the consumer).
        format: The requested format (from a distribution of the dataset).
        push: True for a push transfer (the consumer gave a data address), False for pull.
        counterparty: The authenticated consumer participant id, if the connector gave one.
    """

    provider_pid: str
    agreement_id: str
    format: str
    push: bool
    counterparty: str | None


Effect = SendCallback | EvaluatePolicy | CheckAgreement | StateChanged
"""Any effect of either machine."""


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """The decision on one inbound message.

    Attributes:
        record: The record after the message (unchanged when rejected; ``None`` if there is none).
        status: The HTTP status to answer with: 200, 201, 400, 404 or 409.
        body: The response body: the process object for 201, an error model (ContractNegotiationError or
            TransferError) for 4xx, ``None`` for 200.
        effects: What the connector must do next, in order.
    """

    record: R | None
    status: int
    body: WireModel | None = None
    effects: tuple[Effect, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the message was accepted (2xx)."""
        return self.status < 400

    @property
    def error(self) -> WireModel | None:
        """The error body when the message was rejected, else ``None``."""
        return self.body if self.status >= 400 else None


@dataclass(frozen=True)
class Step(Generic[R]):
    """The result of a provider move: the new record and the callback to send.

    Attributes:
        record: The record after the move (save it before or after sending, as the connector prefers).
        callback: The message to send to the consumer and where.
    """

    record: R
    callback: SendCallback

    @property
    def message(self) -> WireModel:
        """The message to send to the consumer."""
        return self.callback.message


@dataclass(frozen=True)
class NegotiationRecord:
    """A contract negotiation as the provider keeps it (immutable; every transition bumps ``version``).

    Attributes:
        provider_pid: Our id of the negotiation.
        consumer_pid: The consumer's id of it.
        callback_address: Where the consumer receives callbacks.
        state: The current state.
        offer: The current offer (the last one made, by either side).
        offer_from: Who made the current offer.
        dataset_id: The dataset under negotiation (the offer's target).
        agreement: The agreement, once agreed.
        version: Optimistic-concurrency version, 1 when created.
        created_at: When the negotiation was created.
        updated_at: When it last changed.
        counterparty: The authenticated consumer participant id, when known.
        dialect: The wire dialect the consumer spoke (``dsp-2025-1`` / ``dsp-2024-1``), when known.
        termination_code: The code of the termination, if terminated.
        termination_reason: The reasons of the termination, if terminated.
        terminated_by: Who terminated, if terminated.
    """

    provider_pid: str
    consumer_pid: str
    callback_address: str
    state: NegotiationState
    offer: Offer | None = None
    offer_from: Party = "consumer"
    dataset_id: str | None = None
    agreement: Agreement | None = None
    version: int = 1
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    counterparty: str | None = None
    dialect: str | None = None
    termination_code: str | None = None
    termination_reason: tuple[Any, ...] = ()
    terminated_by: Party | None = None

    @property
    def offer_id(self) -> str | None:
        """The ``@id`` of the current offer."""
        return self.offer.id if self.offer is not None else None

    def ack(self) -> ContractNegotiation:
        """Return the ContractNegotiation object that reports this negotiation (GET and 201 bodies)."""
        return ContractNegotiation(
            provider_pid=self.provider_pid, consumer_pid=self.consumer_pid, state=self.state
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (models in their canonical form) for storage."""
        return {
            "providerPid": self.provider_pid,
            "consumerPid": self.consumer_pid,
            "callbackAddress": self.callback_address,
            "state": self.state.value,
            "offer": canonical_dict(self.offer) if self.offer is not None else None,
            "offerFrom": self.offer_from,
            "datasetId": self.dataset_id,
            "agreement": canonical_dict(self.agreement) if self.agreement is not None else None,
            "version": self.version,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
            "counterparty": self.counterparty,
            "dialect": self.dialect,
            "terminationCode": self.termination_code,
            "terminationReason": list(self.termination_reason),
            "terminatedBy": self.terminated_by,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NegotiationRecord:
        """Rebuild a record from :meth:`to_dict` output."""
        offer_data = data.get("offer")
        agreement_data = data.get("agreement")
        return cls(
            provider_pid=data["providerPid"],
            consumer_pid=data["consumerPid"],
            callback_address=data["callbackAddress"],
            state=NegotiationState(data["state"]),
            offer=Offer.model_validate(offer_data) if offer_data is not None else None,
            offer_from=data.get("offerFrom", "consumer"),
            dataset_id=data.get("datasetId"),
            agreement=Agreement.model_validate(agreement_data) if agreement_data is not None else None,
            version=int(data["version"]),
            created_at=datetime.fromisoformat(data["createdAt"]),
            updated_at=datetime.fromisoformat(data["updatedAt"]),
            counterparty=data.get("counterparty"),
            dialect=data.get("dialect"),
            termination_code=data.get("terminationCode"),
            termination_reason=tuple(data.get("terminationReason") or ()),
            terminated_by=data.get("terminatedBy"),
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


def _advance(
    record: NegotiationRecord, state: NegotiationState, now: datetime, **changes: Any
) -> NegotiationRecord:
    return replace(record, state=state, version=record.version + 1, updated_at=now, **changes)


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
        return _changed(record, _advance(record, NegotiationState.VERIFIED, moment))
    assert isinstance(message, ContractNegotiationTerminationMessage)
    after = _advance(
        record,
        NegotiationState.TERMINATED,
        moment,
        termination_code=message.code,
        termination_reason=tuple(message.reason),
        terminated_by="consumer",
    )
    return _changed(record, after)


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
    after = _advance(record, NegotiationState.REQUESTED, now, offer=message.offer, offer_from="consumer")
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
    return _changed(record, _advance(record, NegotiationState.ACCEPTED, now))


# --- provider moves ----------------------------------------------------------------------------------------


def _require(record: NegotiationRecord, move: str, allowed: tuple[NegotiationState, ...]) -> None:
    if record.state not in allowed:
        names = ", ".join(state.value for state in allowed) or "no state"
        raise NegotiationError(
            f"cannot {move} contract negotiation {record.provider_pid} in state {record.state.value}; "
            f"allowed from {names}"
        )


def _send(record: NegotiationRecord, leaf: str, message: WireModel) -> SendCallback:
    return SendCallback(
        record.callback_address, callback_path("negotiations", record.consumer_pid, leaf), message
    )


def offer(
    record: NegotiationRecord,
    offer: Offer,
    *,
    provider_address: str | None = None,
    now: datetime | None = None,
) -> Step[NegotiationRecord]:
    """Make an offer (or counter-offer) to the consumer: REQUESTED -> OFFERED.

    Args:
        record: The negotiation.
        offer: The offer; it needs an ``@id``; a missing ``target`` is set to the negotiated dataset.
        provider_address: Our DSP base URL, sent as ``callbackAddress`` (DSP 2024-1 requires it; the 2025-1
            encoder leaves it out of a message that names the consumerPid).
        now: The current time.

    Returns:
        The new record and the ContractOfferMessage callback (``/negotiations/:consumerPid/offers``).

    Raises:
        NegotiationError: The negotiation is not in state REQUESTED, or the offer has no ``@id``/target.
    """
    _require(record, "offer in", (NegotiationState.REQUESTED,))
    if not offer.id:
        raise NegotiationError("an offer needs an @id (a URI) before it can be sent")
    if offer.target is None:
        if record.dataset_id is None:
            raise NegotiationError("the offer has no target and the negotiation names no dataset")
        offer = offer.model_copy(update={"target": record.dataset_id})
    after = _advance(record, NegotiationState.OFFERED, utc_now(now), offer=offer, offer_from="provider")
    message = ContractOfferMessage(
        provider_pid=record.provider_pid,
        consumer_pid=record.consumer_pid,
        offer=offer,
        callback_address=provider_address,
    )
    return Step(after, _send(record, "offers", message))


def agree(
    record: NegotiationRecord,
    agreement: Agreement,
    *,
    provider_address: str | None = None,
    now: datetime | None = None,
) -> Step[NegotiationRecord]:
    """Send the agreement: REQUESTED or ACCEPTED -> AGREED.

    Args:
        record: The negotiation.
        agreement: The agreement; it needs ``@id``, ``assigner`` and ``assignee``; a missing ``target`` is set
            to the negotiated dataset and a missing ``timestamp`` to ``now``.
        provider_address: Our DSP base URL (sent as ``callbackAddress``; DSP 2024-1 requires it).
        now: The current time.

    Returns:
        The new record (holding the agreement) and the ContractAgreementMessage callback.

    Raises:
        NegotiationError: The state does not allow an agreement, or the agreement lacks a required field.
    """
    _require(record, "agree in", (NegotiationState.REQUESTED, NegotiationState.ACCEPTED))
    moment = utc_now(now)
    missing = [name for name in ("id", "assigner", "assignee") if not getattr(agreement, name)]
    if missing:
        raise NegotiationError(f"the agreement lacks {', '.join(missing)}; DSP requires them")
    update: dict[str, Any] = {}
    if agreement.target is None:
        if record.dataset_id is None:
            raise NegotiationError("the agreement has no target and the negotiation names no dataset")
        update["target"] = record.dataset_id
    if agreement.timestamp is None:
        update["timestamp"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if update:
        agreement = agreement.model_copy(update=update)
    after = _advance(record, NegotiationState.AGREED, moment, agreement=agreement)
    message = ContractAgreementMessage(
        provider_pid=record.provider_pid,
        consumer_pid=record.consumer_pid,
        agreement=agreement,
        callback_address=provider_address,
    )
    return Step(after, _send(record, "agreement", message))


def finalize(record: NegotiationRecord, *, now: datetime | None = None) -> Step[NegotiationRecord]:
    """Finalize a verified agreement: VERIFIED -> FINALIZED.

    Returns:
        The new record and the ContractNegotiationEventMessage ``FINALIZED`` callback.

    Raises:
        NegotiationError: The negotiation is not in state VERIFIED.
    """
    _require(record, "finalize", (NegotiationState.VERIFIED,))
    after = _advance(record, NegotiationState.FINALIZED, utc_now(now))
    message = ContractNegotiationEventMessage(
        provider_pid=record.provider_pid,
        consumer_pid=record.consumer_pid,
        event_type=NegotiationEventType.FINALIZED,
    )
    return Step(after, _send(record, "events", message))


def terminate(
    record: NegotiationRecord,
    code: str | None = None,
    reason: tuple[Any, ...] | list[Any] = (),
    *,
    now: datetime | None = None,
) -> Step[NegotiationRecord]:
    """Terminate the negotiation from the provider side (any non-terminal state -> TERMINATED).

    Args:
        record: The negotiation.
        code: An optional machine-readable code.
        reason: Optional reasons (plain strings, or ``{"@value", "@language"}`` objects).
        now: The current time.

    Returns:
        The new record and the ContractNegotiationTerminationMessage callback.

    Raises:
        NegotiationError: The negotiation is already FINALIZED or TERMINATED.
    """
    allowed = tuple(state for state in NegotiationState if not state.is_final)
    _require(record, "terminate", allowed)
    reasons = tuple(reason)
    after = _advance(
        record,
        NegotiationState.TERMINATED,
        utc_now(now),
        termination_code=code,
        termination_reason=reasons,
        terminated_by="provider",
    )
    message = ContractNegotiationTerminationMessage(
        provider_pid=record.provider_pid, consumer_pid=record.consumer_pid, code=code, reason=reasons
    )
    return Step(after, _send(record, "termination", message))
