"""The endpoint data reference (EDR): what a consumer needs to pull data from a provider's data plane."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from d4h_sdk.models._base import WireModel
from d4h_sdk.models.transfer import DataAddress

__all__ = ["EndpointDataReference"]


class EndpointDataReference(WireModel):
    """An endpoint and the short-lived authorization to call it.

    ``authorization`` is a secret: it never appears in ``repr`` or ``str``.
    """

    endpoint: str
    authorization: str | None = Field(default=None, repr=False)
    auth_type: str | None = Field(default="bearer", alias="authType")
    endpoint_type: str | None = Field(default=None, alias="endpointType")
    transfer_id: str | None = Field(default=None, alias="transferProcessId")
    agreement_id: str | None = Field(default=None, alias="agreementId")
    expires_at: float | None = Field(default=None, alias="expiresAt")

    @classmethod
    def from_data_address(cls, address: DataAddress, **extra: Any) -> EndpointDataReference:
        """Build an EDR from a DSP pull data address (``authorization`` / ``authType`` properties).

        Args:
            address: The data address of a TransferStartMessage.
            **extra: Further fields, e.g. ``transfer_id`` or ``agreement_id``.
        """
        if not address.endpoint:
            from d4h_sdk.errors import DecodeError

            raise DecodeError("the data address has no endpoint: it is not a pull data address")
        return cls(
            endpoint=address.endpoint,
            authorization=address.property("authorization"),
            auth_type=address.property("authType") or "bearer",
            endpoint_type=address.endpoint_type,
            **extra,
        )
