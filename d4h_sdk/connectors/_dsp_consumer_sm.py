"""The consumer side of DSP negotiations and transfers as pure functions: records in, verdicts out.

No I/O happens here. :class:`~d4h_sdk.connectors.DspConnector` keeps one record per process, applies every
provider callback through :func:`on_negotiation_message` / :func:`on_transfer_message` and every message it
sends itself through :func:`check_move` (before) and :func:`advance` (after the provider's 2xx).

The rules follow the DSP transition tables (notes/dsp.md §4.5, §5.3), made tolerant of what a network does:

* a duplicate callback (same state, same content) is acknowledged (200) and changes nothing;
* out-of-order callbacks do not lose state: a FINALIZED event before the agreement moves to FINALIZED and
  the late agreement is still recorded; a callback that arrives before the provider's 201 was processed
  adopts the provider pid it carries. With ``strict=True`` (what DSP and its TCK require) a FINALIZED event
  is accepted only once the consumer has sent its verification (state VERIFIED, or AGREED with the
  verification in flight);
* a state never goes backwards (:func:`advance` only moves forward; SUSPENDED <-> STARTED is the one cycle);
* anything else (a message after a final state, a forbidden transition, the wrong sender) is refused (400).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from d4h_sdk.errors import NegotiationError, TransferError
from d4h_sdk.models._base import WireModel, canonical_dict
from d4h_sdk.models.negotiation import (
    ContractAgreementMessage,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractOfferMessage,
    NegotiationEventType,
    NegotiationState,
)
from d4h_sdk.models.policy import Agreement, Offer
from d4h_sdk.models.transfer import (
    DataAddress,
    TransferCompletionMessage,
    TransferStartMessage,
    TransferState,
    TransferSuspensionMessage,
    TransferTerminationMessage,
)

__all__ = [
    "NegotiationRecord",
    "TransferRecord",
    "Verdict",
    "advance",
    "check_move",
    "countered",
    "on_negotiation_message",
    "on_transfer_message",
    "reason_texts",
    "same_offer",
]

N = NegotiationState
T = TransferState

_NEGOTIATION_RANK = {
    N.REQUESTED: 0,
    N.OFFERED: 1,
    N.ACCEPTED: 2,
    N.AGREED: 3,
    N.VERIFIED: 4,
    N.FINALIZED: 5,
    N.TERMINATED: 5,
}
_TRANSFER_RANK = {T.REQUESTED: 0, T.STARTED: 1, T.SUSPENDED: 1, T.COMPLETED: 2, T.TERMINATED: 2}

_MOVES: dict[str, tuple[str, frozenset[Any]]] = {
    # consumer move -> (process kind, states it may be sent from)
    "accept": ("negotiation", frozenset({N.OFFERED})),
    "counter-offer": ("negotiation", frozenset({N.OFFERED})),
    "verify": ("negotiation", frozenset({N.AGREED})),
    "terminate-negotiation": ("negotiation", frozenset(s for s in N if not s.is_final)),
    "suspend": ("transfer", frozenset({T.STARTED})),
    "resume": ("transfer", frozenset({T.SUSPENDED})),
    "complete": ("transfer", frozenset({T.STARTED})),
    "terminate-transfer": ("transfer", frozenset(s for s in T if not s.is_final)),
}


@dataclass(frozen=True)
class NegotiationRecord:
    """What the consumer knows of one negotiation.

    Attributes:
        consumer_pid: Our process id (the local id).
        provider_pid: The provider's process id (``None`` until its 201 or first callback).
        state: The current state.
        offer: The offer we requested.
        provider_offer: The provider's latest (counter-)offer, if it made one.
        agreement: The agreement, once received.
        code: Termination code, if any.
        reason: Termination reasons as text.
        version: Incremented on every change.
        verification_sent: The consumer has sent (or is sending) its agreement verification.
    """

    consumer_pid: str
    provider_pid: str | None
    state: NegotiationState
    offer: Offer
    provider_offer: Offer | None = None
    agreement: Agreement | None = None
    code: str | None = None
    reason: tuple[str, ...] = ()
    version: int = 0
    verification_sent: bool = False


@dataclass(frozen=True)
class TransferRecord:
    """What the consumer knows of one transfer process.

    Attributes:
        consumer_pid: Our process id (the local id).
        provider_pid: The provider's process id (``None`` until its 201 or first callback).
        state: The current state.
        agreement_id: The agreement the transfer runs under.
        transfer_type: The format requested, e.g. ``HttpData-PULL``.
        data_address: The latest data address the provider sent (pull transfers).
        code: Termination or suspension code, if any.
        reason: Termination or suspension reasons as text.
        version: Incremented on every change.
    """

    consumer_pid: str
    provider_pid: str | None
    state: TransferState
    agreement_id: str
    transfer_type: str
    data_address: DataAddress | None = None
    code: str | None = None
    reason: tuple[str, ...] = ()
    version: int = 0


R = TypeVar("R", bound="NegotiationRecord | TransferRecord")


@dataclass(frozen=True)
class Verdict(Generic[R]):
    """The outcome of applying one provider message.

    Attributes:
        record: The record after the message (the same object when nothing changed).
        status: The HTTP status to answer: 200, or 400 for a refused message.
        error: Why the message was refused.
        actions: What the connector must do next: ``"verify"`` (send the verification), ``"offered"``
            (decide on a counter-offer), ``"started"`` (a transfer (re)started: nothing by default).
    """

    record: R
    status: int = 200
    error: str | None = None
    actions: tuple[str, ...] = field(default_factory=tuple)


def reason_texts(reasons: Iterable[Any]) -> tuple[str, ...]:
    """Turn DSP ``reason`` items (strings, ``{"@value": ...}`` objects, anything) into text."""
    out: list[str] = []
    for item in reasons:
        if isinstance(item, dict) and "@value" in item:
            out.append(str(item["@value"]))
        elif isinstance(item, WireModel):
            out.append(str(getattr(item, "value", item)))
        else:
            out.append(str(item))
    return tuple(out)


def same_offer(left: Offer | None, right: Offer | None) -> bool:
    """Whether two offers are the same policy (compared in canonical form, ``@type`` aside)."""
    if left is None or right is None:
        return left is right
    a, b = canonical_dict(left), canonical_dict(right)
    a.pop("@type", None)
    b.pop("@type", None)
    return a == b


def _bump(record: R, **changes: Any) -> R:
    return replace(record, version=record.version + 1, **changes)


def _refuse(record: R, error: str) -> Verdict[R]:
    return Verdict(record, 400, error)


def _pids_problem(
    record: NegotiationRecord | TransferRecord, consumer: str | None, provider: str
) -> str | None:
    if consumer is not None and consumer != record.consumer_pid:
        return f"consumerPid {consumer} does not match the process {record.consumer_pid}"
    if record.provider_pid is not None and provider != record.provider_pid:
        return f"providerPid {provider} does not match the process's {record.provider_pid}"
    return None


def on_negotiation_message(
    record: NegotiationRecord, message: WireModel, *, strict: bool = False
) -> Verdict[NegotiationRecord]:
    """Apply a provider's negotiation message (offer, agreement, event, termination) to ``record``.

    Args:
        record: The process.
        message: The provider's message.
        strict: Refuse a FINALIZED event before the consumer verified the agreement (the DSP table);
            otherwise it is accepted from any state but OFFERED (tolerates missed callbacks).
    """
    provider_pid = getattr(message, "provider_pid", "")
    problem = _pids_problem(record, getattr(message, "consumer_pid", None), provider_pid)
    if problem is not None:
        return _refuse(record, problem)
    state = record.state
    if record.provider_pid is None:
        record = replace(record, provider_pid=provider_pid)
    if isinstance(message, ContractOfferMessage):
        if state is N.REQUESTED or (
            state is N.OFFERED and not same_offer(record.provider_offer, message.offer)
        ):
            return Verdict(_bump(record, state=N.OFFERED, provider_offer=message.offer), actions=("offered",))
        if state is N.OFFERED:
            return Verdict(record)
        return _refuse(record, f"an offer is not expected in state {state.value}")
    if isinstance(message, ContractAgreementMessage):
        agreement = message.agreement
        if state in (N.REQUESTED, N.ACCEPTED):
            return Verdict(_bump(record, state=N.AGREED, agreement=agreement), actions=("verify",))
        if state in (N.AGREED, N.VERIFIED, N.FINALIZED):
            if record.agreement is None:  # the state ran ahead (reconciled, or FINALIZED came first)
                actions = ("verify",) if state is N.AGREED else ()
                return Verdict(_bump(record, agreement=agreement), actions=actions)
            if record.agreement.id == agreement.id:
                return Verdict(record)
            if state is N.AGREED and not record.verification_sent:
                # The provider sent its agreement again, newly minted (EDC does after a failed send): nothing
                # was verified yet, so the latest agreement is the one to verify.
                return Verdict(_bump(record, agreement=agreement), actions=("verify",))
            return _refuse(record, f"the negotiation already has agreement {record.agreement.id}")
        return _refuse(record, f"an agreement is not expected in state {state.value}")
    if isinstance(message, ContractNegotiationEventMessage):
        if message.event_type is not NegotiationEventType.FINALIZED:
            return _refuse(record, "only the consumer sends ACCEPTED events")
        if state is N.FINALIZED:
            return Verdict(record)
        verified = state is N.VERIFIED or (state is N.AGREED and record.verification_sent)
        if state.is_final or state is N.OFFERED or (strict and not verified):
            return _refuse(record, f"FINALIZED is not expected in state {state.value}")
        return Verdict(_bump(record, state=N.FINALIZED))
    if isinstance(message, ContractNegotiationTerminationMessage):
        if state is N.TERMINATED:
            return Verdict(record)
        if state.is_final:
            return _refuse(record, f"the negotiation is already {state.value}")
        reason = reason_texts(message.reason)
        return Verdict(_bump(record, state=N.TERMINATED, code=message.code, reason=reason))
    return _refuse(record, f"{type(message).__name__} is not a provider negotiation message")


def on_transfer_message(record: TransferRecord, message: WireModel) -> Verdict[TransferRecord]:
    """Apply a provider's transfer message (start, completion, suspension, termination) to ``record``."""
    provider_pid = getattr(message, "provider_pid", "")
    problem = _pids_problem(record, getattr(message, "consumer_pid", None), provider_pid)
    if problem is not None:
        return _refuse(record, problem)
    state = record.state
    if record.provider_pid is None:
        record = replace(record, provider_pid=provider_pid)
    if isinstance(message, TransferStartMessage):
        address = message.data_address or record.data_address
        if state in (T.REQUESTED, T.SUSPENDED):
            started = _bump(record, state=T.STARTED, data_address=address, code=None, reason=())
            return Verdict(started, actions=("started",))
        if state is T.STARTED:
            if address == record.data_address:
                return Verdict(record)
            return Verdict(_bump(record, data_address=address))  # a fresh token after a resume
        return _refuse(record, f"the transfer is already {state.value}")
    if isinstance(message, TransferCompletionMessage):
        if state is T.COMPLETED:
            return Verdict(record)
        if state is not T.STARTED:
            return _refuse(record, f"a transfer cannot complete from {state.value}")
        return Verdict(_bump(record, state=T.COMPLETED))
    if isinstance(message, TransferSuspensionMessage):
        if state is T.SUSPENDED:
            return Verdict(record)
        if state is not T.STARTED:
            return _refuse(record, f"a transfer cannot be suspended from {state.value}")
        reason = reason_texts(message.reason)
        return Verdict(_bump(record, state=T.SUSPENDED, code=message.code, reason=reason))
    if isinstance(message, TransferTerminationMessage):
        if state is T.TERMINATED:
            return Verdict(record)
        if state.is_final:
            return _refuse(record, f"the transfer is already {state.value}")
        reason = reason_texts(message.reason)
        return Verdict(_bump(record, state=T.TERMINATED, code=message.code, reason=reason))
    return _refuse(record, f"{type(message).__name__} is not a provider transfer message")


def check_move(record: NegotiationRecord | TransferRecord, move: str) -> None:
    """Check that the consumer may send ``move`` now.

    Args:
        record: The process.
        move: ``accept``, ``verify``, ``terminate-negotiation``, ``suspend``, ``resume``, ``complete`` or
            ``terminate-transfer``.

    Raises:
        NegotiationError: A negotiation move not allowed in the negotiation's state.
        TransferError: A transfer move not allowed in the transfer's state.
    """
    kind, allowed = _MOVES[move]
    if record.state in allowed:
        return
    verb = move.split("-")[0]
    text = (
        f"cannot {verb} {kind} {record.consumer_pid}: it is {record.state.value} "
        f"(allowed from {', '.join(sorted(s.value for s in allowed))})"
    )
    raise NegotiationError(text) if kind == "negotiation" else TransferError(text)


def countered(record: NegotiationRecord, offer: Offer) -> NegotiationRecord:
    """The record after the provider acknowledged the consumer's counter-offer: REQUESTED with ``offer``."""
    return _bump(record, state=N.REQUESTED, offer=offer)


def advance(record: R, state: NegotiationState | TransferState, **changes: Any) -> R:
    """Move ``record`` to ``state`` unless that would go backwards (or leave a final state).

    Used after a message the consumer sent was acknowledged, and when reconciling with the provider's view:
    a callback may have moved the process further meanwhile, and then the record stays as it is. Between
    STARTED and SUSPENDED (equal rank) the newer information wins.
    """
    current = record.state
    if current == state or current.is_final:
        return record
    ranks: dict[Any, int] = _NEGOTIATION_RANK if isinstance(record, NegotiationRecord) else _TRANSFER_RANK
    if ranks[state] < ranks[current]:
        return record
    return _bump(record, state=state, **changes)
