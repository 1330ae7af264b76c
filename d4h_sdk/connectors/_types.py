"""Value types shared by every connector backend: who to talk to, and what a process looks like now.

These types are the vocabulary of the :class:`~d4h_sdk.connectors.Connector` protocol. They are
version-neutral: an EDC Management API v3/v4 backend and a direct DSP 2025-1/2024-1 backend both produce them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.models import Catalog, Offer
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.policy import Agreement
from d4h_sdk.models.transfer import TransferState

__all__ = [
    "DSP_2024_1",
    "DSP_2025_1",
    "CatalogPage",
    "NegotiationStatus",
    "Provider",
    "Publication",
    "PublishedAsset",
    "TransferStatus",
]

DSP_2025_1 = "dataspace-protocol-http:2025-1"
"""The protocol id of DSP 2025-1 (EDC's ``protocol`` field)."""

DSP_2024_1 = "dataspace-protocol-http:2024/1"
"""The protocol id EDC uses for DSP 2024/1 (plain ``dataspace-protocol-http`` is the older DSP 0.8)."""

_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class Provider:
    """A provider connector to talk to.

    Attributes:
        address: The provider's DSP endpoint (EDC's ``counterPartyAddress``), e.g.
            ``https://hospital.example/api/dsp`` or a versioned base such as ``.../api/dsp/2025-1``.
        participant_id: The provider's participant id or DID (EDC's ``counterPartyId``), when known.
        protocol: The protocol id to use (:data:`DSP_2025_1` or :data:`DSP_2024_1`); ``None`` lets the
            backend choose (version discovery for DSP, the connector's default for EDC).

    Raises:
        ConfigurationError: The address is not an http(s) URL.
    """

    address: str
    participant_id: str | None = None
    protocol: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.address, str) or not self.address.startswith(_SCHEMES):
            raise ConfigurationError(
                f"provider address must be the http(s) URL of its DSP endpoint, got {self.address!r}"
            )
        object.__setattr__(self, "address", self.address.rstrip("/"))


@dataclass(frozen=True)
class CatalogPage:
    """One page of a provider's catalog.

    Attributes:
        catalog: The catalog page as a typed model.
        next_cursor: An opaque cursor for the next page (pass it back to ``request_catalog``), or ``None``
            on the last page.
    """

    catalog: Catalog
    next_cursor: str | None = None


@dataclass(frozen=True)
class NegotiationStatus:
    """A contract negotiation as the local connector sees it now.

    Attributes:
        id: The local negotiation id (EDC's id, or the consumer process id for DSP).
        state: The DSP state the negotiation is in (EDC's transient states map to the state they lead to).
        raw_state: The state exactly as the backend reported it (e.g. EDC's ``REQUESTING``).
        provider: The counter-party, when known.
        agreement_id: The agreement id once AGREED or later.
        agreement: The agreement itself, when the backend has it at hand.
        code: The termination or error code, if any.
        reason: Termination or error reasons as text.
    """

    id: str
    state: NegotiationState
    raw_state: str
    provider: Provider | None = None
    agreement_id: str | None = None
    agreement: Agreement | None = None
    code: str | None = None
    reason: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransferStatus:
    """A transfer process as the local connector sees it now.

    Attributes:
        id: The local transfer id (EDC's id, or the consumer process id for DSP).
        state: The DSP state (EDC's transient states map to the state they lead to).
        raw_state: The state exactly as the backend reported it.
        agreement_id: The agreement the transfer runs under.
        transfer_type: E.g. ``HttpData-PULL`` or ``HttpData-PUSH``.
        code: The termination or error code, if any.
        reason: Termination or error reasons as text.
    """

    id: str
    state: TransferState
    raw_state: str
    agreement_id: str | None = None
    transfer_type: str | None = None
    code: str | None = None
    reason: tuple[str, ...] = ()


@dataclass(frozen=True)
class Publication:
    """What a provider publishes: an asset with its data address, and the policy that governs it.

    Attributes:
        asset_id: The asset (and DSP dataset) id.
        properties: Asset properties, e.g. from :func:`d4h_sdk.health.to_asset_properties` (compact
            JSON-LD terms or full IRIs).
        data_address: Where the data plane reads the data: an EDC DataAddress as a plain mapping, e.g.
            ``{"type": "HttpData", "baseUrl": "https://fhir.hospital.example/export/1"}``.
        contract_policy: The ODRL policy offered for the asset (becomes the contract policy).
        access_policy: The policy deciding catalog visibility; ``None`` means the contract policy.
        policy_id: The id of the contract policy definition (default ``<asset_id>-policy``).
        contract_definition_id: The id of the contract definition (default ``<asset_id>-contract``).
    """

    asset_id: str
    properties: Mapping[str, Any]
    data_address: Mapping[str, Any]
    contract_policy: Offer
    access_policy: Offer | None = None
    policy_id: str = ""
    contract_definition_id: str = ""

    def __post_init__(self) -> None:
        if not self.asset_id or not isinstance(self.asset_id, str):
            raise ConfigurationError("a publication needs a non-empty asset_id")
        if "type" not in self.data_address:
            raise ConfigurationError(
                f"the data address of {self.asset_id!r} needs a 'type' (e.g. 'HttpData'), got "
                f"{sorted(self.data_address)}"
            )
        if not self.policy_id:
            object.__setattr__(self, "policy_id", f"{self.asset_id}-policy")
        if not self.contract_definition_id:
            object.__setattr__(self, "contract_definition_id", f"{self.asset_id}-contract")


@dataclass(frozen=True)
class PublishedAsset:
    """The ids a publication created at the provider connector.

    Attributes:
        asset_id: The asset id.
        policy_id: The contract policy definition id.
        access_policy_id: The access policy definition id (equal to ``policy_id`` when there is one policy).
        contract_definition_id: The contract definition id.
    """

    asset_id: str
    policy_id: str
    access_policy_id: str
    contract_definition_id: str
