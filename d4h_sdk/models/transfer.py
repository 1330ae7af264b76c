"""Transfer process: the process object, every transfer message, and data addresses."""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

from pydantic import Field

from d4h_sdk.models._base import Many, Node, PidPair, WireModel

__all__ = [
    "DataAddress",
    "EndpointProperty",
    "TransferCompletionMessage",
    "TransferError",
    "TransferProcess",
    "TransferRequestMessage",
    "TransferStartMessage",
    "TransferState",
    "TransferSuspensionMessage",
    "TransferTerminationMessage",
]


class TransferState(str, Enum):
    """The states of a transfer process in the Dataspace Protocol."""

    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    SUSPENDED = "SUSPENDED"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"

    @property
    def is_final(self) -> bool:
        """True for COMPLETED and TERMINATED."""
        return self in (TransferState.COMPLETED, TransferState.TERMINATED)


class EndpointProperty(Node):
    """A name/value property of a data address (e.g. ``authorization``, ``authType``)."""

    MESSAGE_TYPE: ClassVar[str] = "EndpointProperty"
    type: str | None = Field(default="EndpointProperty", alias="@type")

    name: str
    value: Any

    def __repr__(self) -> str:
        shown = "'***'" if self.name.lower() in {"authorization", "authkey", "token"} else repr(self.value)
        return f"EndpointProperty(name={self.name!r}, value={shown})"


class DataAddress(Node):
    """Where and how data is delivered or fetched: endpoint type, endpoint and properties."""

    MESSAGE_TYPE: ClassVar[str] = "DataAddress"
    type: str | None = Field(default="DataAddress", alias="@type")

    endpoint_type: str = Field(alias="endpointType")
    endpoint: str | None = None
    endpoint_properties: Many[EndpointProperty] = Field(default=(), alias="endpointProperties")

    def property(self, name: str) -> Any:
        """Return the value of the endpoint property ``name`` (``None`` if absent)."""
        for item in self.endpoint_properties:
            if item.name == name:
                return item.value
        return None

    def __repr__(self) -> str:
        names = [item.name for item in self.endpoint_properties]
        return (
            f"DataAddress(endpoint_type={self.endpoint_type!r}, endpoint={self.endpoint!r}, "
            f"properties={names})"
        )


class TransferRequestMessage(WireModel):
    """Consumer -> provider: start a transfer under an agreement, in a distribution's format."""

    MESSAGE_TYPE: ClassVar[str] = "TransferRequestMessage"

    consumer_pid: str = Field(alias="consumerPid")
    agreement_id: str = Field(alias="agreementId")
    format: str
    callback_address: str = Field(alias="callbackAddress")
    data_address: DataAddress | None = Field(default=None, alias="dataAddress")


class TransferStartMessage(PidPair):
    """The transfer started (provider), or resumes (either party); carries the pull data address."""

    MESSAGE_TYPE: ClassVar[str] = "TransferStartMessage"

    data_address: DataAddress | None = Field(default=None, alias="dataAddress")


class TransferCompletionMessage(PidPair):
    """Either party reports the transfer complete."""

    MESSAGE_TYPE: ClassVar[str] = "TransferCompletionMessage"


class TransferSuspensionMessage(PidPair):
    """Either party suspends the transfer."""

    MESSAGE_TYPE: ClassVar[str] = "TransferSuspensionMessage"

    code: str | None = None
    reason: Many[Any] = ()


class TransferTerminationMessage(PidPair):
    """Either party ends the transfer."""

    MESSAGE_TYPE: ClassVar[str] = "TransferTerminationMessage"

    code: str | None = None
    reason: Many[Any] = ()


class TransferProcess(PidPair):
    """The transfer process as a party reports it."""

    MESSAGE_TYPE: ClassVar[str] = "TransferProcess"

    state: TransferState


class TransferError(WireModel):
    """The error body of a failed transfer request."""

    MESSAGE_TYPE: ClassVar[str] = "TransferError"

    provider_pid: str | None = Field(default=None, alias="providerPid")
    consumer_pid: str | None = Field(default=None, alias="consumerPid")
    code: str | None = None
    reason: Many[Any] = ()
