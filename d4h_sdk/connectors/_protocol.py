"""The :class:`Connector` protocol: what every connector backend does for a consumer (and a provider).

A backend is the participant's own EDC (:class:`~d4h_sdk.connectors.EdcConnector`, Management API v3/v4)
or the SDK speaking DSP straight to a provider (:class:`~d4h_sdk.connectors.DspConnector`). Ids returned
and accepted are always the *local* ids of the backend (EDC's ids, or the consumer process ids for DSP).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from d4h_sdk.connectors._types import (
    CatalogPage,
    NegotiationStatus,
    Provider,
    Publication,
    PublishedAsset,
    TransferStatus,
)
from d4h_sdk.models import Dataset, EndpointDataReference, Offer
from d4h_sdk.models.policy import Agreement
from d4h_sdk.models.transfer import DataAddress

__all__ = ["ChangeNotifier", "Connector", "PublishingConnector"]


@runtime_checkable
class Connector(Protocol):
    """A consumer-side connector backend. Every method raises ``d4h_sdk`` errors only."""

    @property
    def kind(self) -> str:
        """The backend and version, e.g. ``edc-v3``, ``edc-v4`` or ``dsp``."""
        ...

    def request_catalog(
        self, provider: Provider, *, cursor: str | None = None, page_size: int | None = None
    ) -> CatalogPage:
        """Request one catalog page from a provider; pass the previous page's ``next_cursor`` to go on."""
        ...

    def get_dataset(self, provider: Provider, dataset_id: str) -> Dataset:
        """Request one dataset (with its offers) from a provider."""
        ...

    def start_negotiation(self, provider: Provider, offer: Offer) -> str:
        """Send a contract request for ``offer`` (its ``target`` is the dataset); return the local id."""
        ...

    def get_negotiation(self, negotiation_id: str) -> NegotiationStatus:
        """The negotiation's current state."""
        ...

    def terminate_negotiation(self, negotiation_id: str, *, reason: str | None = None) -> None:
        """Terminate a negotiation that is not final yet."""
        ...

    def get_agreement(self, agreement_id: str) -> Agreement:
        """The contract agreement with this id."""
        ...

    def start_transfer(
        self,
        provider: Provider,
        agreement_id: str,
        *,
        transfer_type: str = "HttpData-PULL",
        data_destination: DataAddress | None = None,
    ) -> str:
        """Request a transfer under an agreement (push needs ``data_destination``); return the local id."""
        ...

    def get_transfer(self, transfer_id: str) -> TransferStatus:
        """The transfer's current state."""
        ...

    def suspend_transfer(self, transfer_id: str, *, reason: str | None = None) -> None:
        """Suspend a started transfer."""
        ...

    def resume_transfer(self, transfer_id: str) -> None:
        """Resume a suspended transfer."""
        ...

    def complete_transfer(self, transfer_id: str) -> None:
        """Signal that the consumer has received everything."""
        ...

    def terminate_transfer(self, transfer_id: str, *, reason: str | None = None) -> None:
        """Terminate a transfer that is not final yet."""
        ...

    def get_edr(self, transfer_id: str, *, refresh: bool = False) -> EndpointDataReference:
        """The endpoint data reference of a started pull transfer (``refresh`` asks for a new token)."""
        ...

    def close(self) -> None:
        """Release HTTP sessions, servers and threads (idempotent)."""
        ...


@runtime_checkable
class PublishingConnector(Connector, Protocol):
    """A connector that can also publish assets as a provider (EDC, and the sandbox's management facade)."""

    def publish(self, publication: Publication) -> PublishedAsset:
        """Create the asset, its policy definition(s) and a contract definition."""
        ...

    def unpublish(self, asset_id: str) -> None:
        """Remove the contract definition, policy definitions and asset created by :meth:`publish`."""
        ...

    def list_published(self) -> list[PublishedAsset]:
        """Every asset published through this connector (with its policy and contract definition ids)."""
        ...


@runtime_checkable
class ChangeNotifier(Protocol):
    """A backend that learns of state changes from callbacks, so waiting needs no polling."""

    def wait_for_change(self, process_id: str, timeout: float) -> bool:
        """Block until a callback for ``process_id`` arrives or ``timeout`` seconds pass; True if one came."""
        ...
