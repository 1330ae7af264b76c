"""The provider's contract negotiation record and its own moves: pure, no I/O.

:class:`NegotiationRecord` is a negotiation as the provider stores it. The provider's moves (:func:`offer`,
:func:`agree`, :func:`finalize`, :func:`terminate`) check the transition and return a
:class:`~d4h_sdk.sandbox._sm_common.Step`: the new record and the callback message to send to the consumer.
:func:`initial_offer` and :func:`offered` make a provider-initiated negotiation. The consumer's messages
are decided by :func:`d4h_sdk.sandbox._negotiation_sm.on_message`, which re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from d4h_sdk.errors import NegotiationError
from d4h_sdk.models._base import WireModel, canonical_dict
from d4h_sdk.models.negotiation import (
    ContractAgreementMessage,
    ContractNegotiation,
    ContractNegotiationEventMessage,
    ContractNegotiationTerminationMessage,
    ContractOfferMessage,
    NegotiationEventType,
    NegotiationState,
)
from d4h_sdk.models.policy import Agreement, Offer
from d4h_sdk.sandbox._sm_common import Party, SendCallback, Step, callback_path, new_pid, utc_now

__all__ = [
    "NegotiationRecord",
    "advance",
    "agree",
    "finalize",
    "initial_offer",
    "offer",
    "offered",
    "terminate",
]


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


def advance(
    record: NegotiationRecord, state: NegotiationState, now: datetime, **changes: Any
) -> NegotiationRecord:
    """The record moved to ``state`` at ``now`` (version bumped, other ``changes`` applied)."""
    return replace(record, state=state, version=record.version + 1, updated_at=now, **changes)


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
    after = advance(record, NegotiationState.OFFERED, utc_now(now), offer=offer, offer_from="provider")
    message = ContractOfferMessage(
        provider_pid=record.provider_pid,
        consumer_pid=record.consumer_pid,
        offer=offer,
        callback_address=provider_address,
    )
    return Step(after, _send(record, "offers", message))


def initial_offer(
    offer: Offer,
    *,
    callback_address: str,
    provider_address: str | None = None,
    make_pid: Callable[[], str] = new_pid,
) -> SendCallback:
    """Start a provider-initiated negotiation: the ContractOfferMessage for ``POST /negotiations/offers``.

    Nothing is stored yet: the consumer's 201 answer names its ``consumerPid``; then :func:`offered` makes
    the record.

    Args:
        offer: The offer; it needs an ``@id`` and a ``target`` (the dataset).
        callback_address: The consumer's DSP callback base URL.
        provider_address: Our DSP base URL, sent as ``callbackAddress`` (both versions require it here).
        make_pid: Generator of the new provider pid.

    Returns:
        The callback: the message (with a fresh ``providerPid`` and no ``consumerPid``) and where to POST it.

    Raises:
        NegotiationError: The offer has no ``@id`` or no target, or no callback address is given.
    """
    if not offer.id or not offer.target:
        raise NegotiationError("an offer needs an @id and a target (the dataset) before it can be sent")
    if not callback_address:
        raise NegotiationError("a provider-initiated offer needs the consumer's callback address")
    message = ContractOfferMessage(provider_pid=make_pid(), offer=offer, callback_address=provider_address)
    return SendCallback(callback_address, "/negotiations/offers", message)


def offered(
    message: ContractOfferMessage,
    callback_address: str,
    consumer_pid: str,
    *,
    counterparty: str | None,
    dialect: str | None,
    now: datetime | None = None,
) -> NegotiationRecord:
    """The record of a provider-initiated negotiation the consumer acknowledged: state OFFERED.

    Args:
        message: The ContractOfferMessage of :func:`initial_offer`.
        callback_address: The consumer's callback base URL.
        consumer_pid: The ``consumerPid`` of the consumer's answer.
        counterparty: The consumer participant id (only it may continue the negotiation).
        dialect: The wire dialect the offer was sent in.
        now: The current time.

    Returns:
        The new record (version 1, the offer made by the provider).
    """
    moment = utc_now(now)
    return NegotiationRecord(
        provider_pid=message.provider_pid,
        consumer_pid=consumer_pid,
        callback_address=callback_address,
        state=NegotiationState.OFFERED,
        offer=message.offer,
        offer_from="provider",
        dataset_id=message.offer.target,
        created_at=moment,
        updated_at=moment,
        counterparty=counterparty,
        dialect=dialect,
    )


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
    after = advance(record, NegotiationState.AGREED, moment, agreement=agreement)
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
    after = advance(record, NegotiationState.FINALIZED, utc_now(now))
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
    after = advance(
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
