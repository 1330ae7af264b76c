"""EDC Management API (v3 and v4) request and response shapes, version-neutral."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from d4h_sdk.models._base import Many, WireModel
from d4h_sdk.models.policy import Agreement, Offer

__all__ = [
    "CallbackAddress",
    "CatalogRequest",
    "ContractRequest",
    "Criterion",
    "DatasetRequest",
    "EdcContractAgreement",
    "EdcContractNegotiation",
    "EdcState",
    "EdcTransferProcess",
    "EdrEntry",
    "IdResponse",
    "QuerySpec",
    "SuspendTransfer",
    "TerminateNegotiation",
    "TerminateTransfer",
    "TransferRequest",
]

DSP_2025_1_PROTOCOL = "dataspace-protocol-http:2025-1"


class CallbackAddress(WireModel):
    """A URL EDC calls back on events such as ``contract.negotiation`` or ``transfer.process.started``."""

    MESSAGE_TYPE: ClassVar[str] = "CallbackAddress"

    uri: str
    events: Many[str] = ()
    transactional: bool = False
    auth_key: str | None = Field(default=None, alias="authKey")
    auth_code_id: str | None = Field(default=None, alias="authCodeId", repr=False)


class Criterion(WireModel):
    """One filter of a QuerySpec: ``operand_left operator operand_right``."""

    MESSAGE_TYPE: ClassVar[str] = "Criterion"

    operand_left: str = Field(alias="operandLeft")
    operator: str = "="
    operand_right: Any = Field(default=None, alias="operandRight")


class QuerySpec(WireModel):
    """Paging, sorting and filtering of an EDC query (EDC's default page is 50)."""

    MESSAGE_TYPE: ClassVar[str] = "QuerySpec"

    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1)
    sort_order: str | None = Field(default=None, alias="sortOrder")
    sort_field: str | None = Field(default=None, alias="sortField")
    filter_expression: Many[Criterion] = Field(default=(), alias="filterExpression")


class _CounterParty(WireModel):
    counter_party_address: str = Field(alias="counterPartyAddress")
    counter_party_id: str | None = Field(default=None, alias="counterPartyId")
    protocol: str = DSP_2025_1_PROTOCOL


class CatalogRequest(_CounterParty):
    """Ask the participant's EDC to fetch a provider's catalog."""

    MESSAGE_TYPE: ClassVar[str] = "CatalogRequest"

    query_spec: QuerySpec | None = Field(default=None, alias="querySpec")
    additional_scopes: Many[str] = Field(default=(), alias="additionalScopes")


class DatasetRequest(_CounterParty):
    """Ask the participant's EDC to fetch one dataset of a provider."""

    MESSAGE_TYPE: ClassVar[str] = "DatasetRequest"

    id: str = Field(alias="@id")


class ContractRequest(_CounterParty):
    """Ask the participant's EDC to negotiate a contract for an offer (which needs assigner and target)."""

    MESSAGE_TYPE: ClassVar[str] = "ContractRequest"

    policy: Offer
    callback_addresses: Many[CallbackAddress] = Field(default=(), alias="callbackAddresses")


class TransferRequest(_CounterParty):
    """Ask the participant's EDC to start a transfer under an agreement."""

    MESSAGE_TYPE: ClassVar[str] = "TransferRequest"

    contract_id: str = Field(alias="contractId")
    transfer_type: str = Field(default="HttpData-PULL", alias="transferType")
    data_destination: dict[str, Any] | None = Field(default=None, alias="dataDestination")
    private_properties: dict[str, Any] | None = Field(default=None, alias="privateProperties")
    callback_addresses: Many[CallbackAddress] = Field(default=(), alias="callbackAddresses")


class TerminateNegotiation(WireModel):
    """Body of ``POST .../contractnegotiations/{id}/terminate``."""

    MESSAGE_TYPE: ClassVar[str] = "TerminateNegotiation"

    reason: str | None = None


class SuspendTransfer(WireModel):
    """Body of ``POST .../transferprocesses/{id}/suspend``."""

    MESSAGE_TYPE: ClassVar[str] = "SuspendTransfer"

    reason: str | None = None


class TerminateTransfer(WireModel):
    """Body of ``POST .../transferprocesses/{id}/terminate``."""

    MESSAGE_TYPE: ClassVar[str] = "TerminateTransfer"

    reason: str | None = None


class IdResponse(WireModel):
    """EDC's answer to a create call: the new id and its creation time (ms since the epoch)."""

    MESSAGE_TYPE: ClassVar[str] = "IdResponse"

    id: str = Field(alias="@id")
    created_at: int | None = Field(default=None, alias="createdAt")


class EdcState(WireModel):
    """EDC's ``NegotiationState`` / ``TransferState`` answer: just the state name."""

    MESSAGE_TYPE: ClassVar[str] = "EdcState"

    state: str


class EdcContractNegotiation(WireModel):
    """A negotiation as the EDC Management API reports it (states are EDC's superset of DSP's)."""

    MESSAGE_TYPE: ClassVar[str] = "ContractNegotiation"

    id: str = Field(alias="@id")
    role: str | None = Field(default=None, alias="type")
    state: str
    protocol: str | None = None
    counter_party_id: str | None = Field(default=None, alias="counterPartyId")
    counter_party_address: str | None = Field(default=None, alias="counterPartyAddress")
    contract_agreement_id: str | None = Field(default=None, alias="contractAgreementId")
    error_detail: str | None = Field(default=None, alias="errorDetail")
    created_at: int | None = Field(default=None, alias="createdAt")
    callback_addresses: Many[CallbackAddress] = Field(default=(), alias="callbackAddresses")


class EdcTransferProcess(WireModel):
    """A transfer process as the EDC Management API reports it."""

    MESSAGE_TYPE: ClassVar[str] = "TransferProcess"

    id: str = Field(alias="@id")
    role: str | None = Field(default=None, alias="type")
    state: str
    state_timestamp: int | None = Field(default=None, alias="stateTimestamp")
    contract_id: str | None = Field(default=None, alias="contractId")
    asset_id: str | None = Field(default=None, alias="assetId")
    transfer_type: str | None = Field(default=None, alias="transferType")
    correlation_id: str | None = Field(default=None, alias="correlationId")
    error_detail: str | None = Field(default=None, alias="errorDetail")
    callback_addresses: Many[CallbackAddress] = Field(default=(), alias="callbackAddresses")


class EdcContractAgreement(WireModel):
    """A contract agreement as the EDC Management API reports it."""

    MESSAGE_TYPE: ClassVar[str] = "ContractAgreement"

    id: str = Field(alias="@id")
    asset_id: str | None = Field(default=None, alias="assetId")
    consumer_id: str | None = Field(default=None, alias="consumerId")
    provider_id: str | None = Field(default=None, alias="providerId")
    contract_signing_date: int | None = Field(default=None, alias="contractSigningDate")
    policy: Agreement | None = None


class EdrEntry(WireModel):
    """An entry of EDC's EDR cache (v3): which transfer holds a usable endpoint data reference."""

    MESSAGE_TYPE: ClassVar[str] = "EndpointDataReferenceEntry"

    id: str | None = Field(default=None, alias="@id")
    transfer_process_id: str = Field(alias="transferProcessId")
    agreement_id: str | None = Field(default=None, alias="agreementId")
    asset_id: str | None = Field(default=None, alias="assetId")
    provider_id: str | None = Field(default=None, alias="providerId")
    contract_negotiation_id: str | None = Field(default=None, alias="contractNegotiationId")
    created_at: int | None = Field(default=None, alias="createdAt")
