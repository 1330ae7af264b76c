"""Contract negotiation: the negotiation object and every negotiation message of the Dataspace Protocol."""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

from pydantic import Field

from d4h_sdk.models._base import Many, PidPair, WireModel
from d4h_sdk.models.policy import Agreement, Offer

__all__ = [
    "ContractAgreementMessage",
    "ContractAgreementVerificationMessage",
    "ContractNegotiation",
    "ContractNegotiationError",
    "ContractNegotiationEventMessage",
    "ContractNegotiationTerminationMessage",
    "ContractOfferMessage",
    "ContractRequestMessage",
    "NegotiationEventType",
    "NegotiationState",
]


class NegotiationState(str, Enum):
    """The states of a contract negotiation in the Dataspace Protocol."""

    REQUESTED = "REQUESTED"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    AGREED = "AGREED"
    VERIFIED = "VERIFIED"
    FINALIZED = "FINALIZED"
    TERMINATED = "TERMINATED"

    @property
    def is_final(self) -> bool:
        """True for FINALIZED and TERMINATED."""
        return self in (NegotiationState.FINALIZED, NegotiationState.TERMINATED)


class NegotiationEventType(str, Enum):
    """Event types of a ContractNegotiationEventMessage."""

    ACCEPTED = "ACCEPTED"
    FINALIZED = "FINALIZED"


class ContractRequestMessage(WireModel):
    """Consumer -> provider: request a contract for an offer (initial request or counter-offer).

    An initial request carries ``callback_address`` and no ``provider_pid``; a counter-offer carries
    ``provider_pid`` (and, in 2025-1, no callback address).
    """

    MESSAGE_TYPE: ClassVar[str] = "ContractRequestMessage"

    consumer_pid: str = Field(alias="consumerPid")
    provider_pid: str | None = Field(default=None, alias="providerPid")
    offer: Offer
    callback_address: str | None = Field(default=None, alias="callbackAddress")


class ContractOfferMessage(WireModel):
    """Provider -> consumer: offer a contract (initial offer or counter-offer)."""

    MESSAGE_TYPE: ClassVar[str] = "ContractOfferMessage"

    provider_pid: str = Field(alias="providerPid")
    consumer_pid: str | None = Field(default=None, alias="consumerPid")
    offer: Offer
    callback_address: str | None = Field(default=None, alias="callbackAddress")


class ContractAgreementMessage(PidPair):
    """Provider -> consumer: the agreement, for the consumer to verify."""

    MESSAGE_TYPE: ClassVar[str] = "ContractAgreementMessage"

    agreement: Agreement
    callback_address: str | None = Field(default=None, alias="callbackAddress")


class ContractAgreementVerificationMessage(PidPair):
    """Consumer -> provider: the consumer verified the agreement."""

    MESSAGE_TYPE: ClassVar[str] = "ContractAgreementVerificationMessage"


class ContractNegotiationEventMessage(PidPair):
    """An event: ``ACCEPTED`` (consumer -> provider) or ``FINALIZED`` (provider -> consumer)."""

    MESSAGE_TYPE: ClassVar[str] = "ContractNegotiationEventMessage"

    event_type: NegotiationEventType = Field(alias="eventType")


class ContractNegotiationTerminationMessage(PidPair):
    """Either party ends the negotiation, with an optional code and reasons."""

    MESSAGE_TYPE: ClassVar[str] = "ContractNegotiationTerminationMessage"

    code: str | None = None
    reason: Many[Any] = ()


class ContractNegotiation(PidPair):
    """The negotiation as a party reports it: both process ids and the state."""

    MESSAGE_TYPE: ClassVar[str] = "ContractNegotiation"

    state: NegotiationState


class ContractNegotiationError(WireModel):
    """The error body of a failed negotiation request."""

    MESSAGE_TYPE: ClassVar[str] = "ContractNegotiationError"

    provider_pid: str | None = Field(default=None, alias="providerPid")
    consumer_pid: str | None = Field(default=None, alias="consumerPid")
    code: str | None = None
    reason: Many[Any] = ()
