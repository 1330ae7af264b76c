"""The result of a successful negotiation: a contract the consumer can transfer data under."""

from __future__ import annotations

from dataclasses import dataclass

from d4h_sdk.connectors import Provider
from d4h_sdk.models.policy import Agreement

__all__ = ["Contract"]


@dataclass(frozen=True)
class Contract:
    """A finalised contract agreement, with what a transfer under it needs.

    Attributes:
        id: The agreement id (what EDC calls ``contractId``; the DSP ``agreementId``).
        negotiation_id: The local id of the negotiation that produced it.
        provider: The provider to transfer from.
        dataset_id: The dataset (asset) the agreement covers.
        policy: The agreed ODRL policy, when the backend returned it.
    """

    id: str
    negotiation_id: str | None
    provider: Provider
    dataset_id: str | None = None
    policy: Agreement | None = None
