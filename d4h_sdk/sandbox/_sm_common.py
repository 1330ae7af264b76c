"""Types shared by the provider's pure state machines (negotiation and transfer): effects, outcomes, steps.

:func:`~d4h_sdk.sandbox._negotiation_sm.on_message` and :func:`~d4h_sdk.sandbox._transfer_sm.on_message`
return an :class:`Outcome` (new record, HTTP answer, :data:`Effect` items for the connector); the provider's
own moves return a :class:`Step` (new record and the :class:`SendCallback` for the consumer). Nothing here
does I/O.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Generic, Literal, TypeVar
from urllib.parse import quote

from d4h_sdk.models._base import WireModel
from d4h_sdk.models.policy import Offer

__all__ = [
    "CheckAgreement",
    "Effect",
    "EvaluatePolicy",
    "Outcome",
    "Party",
    "SendCallback",
    "StateChanged",
    "Step",
    "callback_path",
    "new_pid",
    "utc_now",
]

Party = Literal["consumer", "provider"]
"""Which side of the protocol did something."""

R = TypeVar("R")


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
