"""Which model a canonical ``@type`` term stands for, per family of dialects."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from d4h_sdk import models as m
from d4h_sdk.errors import UnknownMessageError
from d4h_sdk.models._base import Node, WireModel, validate_model

__all__ = ["DSP_MODELS", "EDC_MODELS", "build"]

_DSP: list[type[WireModel]] = [
    m.Catalog,
    m.Dataset,
    m.DataService,
    m.Distribution,
    m.CatalogRequestMessage,
    m.DatasetRequestMessage,
    m.CatalogError,
    m.ContractRequestMessage,
    m.ContractOfferMessage,
    m.ContractAgreementMessage,
    m.ContractAgreementVerificationMessage,
    m.ContractNegotiationEventMessage,
    m.ContractNegotiationTerminationMessage,
    m.ContractNegotiation,
    m.ContractNegotiationError,
    m.TransferRequestMessage,
    m.TransferStartMessage,
    m.TransferCompletionMessage,
    m.TransferSuspensionMessage,
    m.TransferTerminationMessage,
    m.TransferProcess,
    m.TransferError,
    m.DataAddress,
    m.Offer,
    m.Agreement,
]
DSP_MODELS: Mapping[str, type[WireModel]] = MappingProxyType({cls.MESSAGE_TYPE: cls for cls in _DSP})
"""2025-1 ``@type`` term -> model, for the DSP dialects."""

_EDC: list[type[WireModel]] = [
    m.EdcContractNegotiation,
    m.EdcTransferProcess,
    m.EdcContractAgreement,
    m.EdrEntry,
    m.IdResponse,
    m.CatalogRequest,
    m.DatasetRequest,
    m.ContractRequest,
    m.TransferRequest,
    m.QuerySpec,
    m.Criterion,
    m.CallbackAddress,
    m.TerminateNegotiation,
    m.SuspendTransfer,
    m.TerminateTransfer,
]
_EDC_TABLE: dict[str, type[WireModel]] = {cls.MESSAGE_TYPE: cls for cls in _EDC}
_EDC_TABLE.update(
    {"NegotiationState": m.EdcState, "TransferState": m.EdcState, "DataAddress": m.EndpointDataReference}
)
EDC_MODELS: Mapping[str, type[WireModel]] = MappingProxyType(_EDC_TABLE)
"""EDC Management API ``@type`` term -> model (DSP types such as Catalog fall back to :data:`DSP_MODELS`)."""

_DID_SERVICE_TYPES = {"CatalogService", "DataService"}


def _model_for(doc: Mapping[str, Any], table: Mapping[str, type[WireModel]]) -> type[WireModel]:
    type_term = doc.get("@type")
    if isinstance(type_term, list) and len(type_term) == 1:
        type_term = type_term[0]
    if isinstance(type_term, str) and type_term in _DID_SERVICE_TYPES and "serviceEndpoint" in doc:
        return m.DidService
    if table is EDC_MODELS and ("consumerPid" in doc or "providerPid" in doc):
        table = DSP_MODELS  # a DSP process object in EDC's compaction, not a Management API record
    if isinstance(type_term, str):
        model = table.get(type_term) or DSP_MODELS.get(type_term)
        if model is not None:
            return model
        raise UnknownMessageError(f"no model for @type {type_term!r}")
    if "protocolVersions" in doc:
        return m.VersionResponse
    if isinstance(doc.get("type"), str) and doc["type"] in _DID_SERVICE_TYPES and "serviceEndpoint" in doc:
        return m.DidService
    raise UnknownMessageError("the message has no @type the SDK knows; expected a DSP or EDC message")


def build(canonical: Mapping[str, Any], table: Mapping[str, type[WireModel]] = DSP_MODELS) -> WireModel:
    """Validate a canonical document into its model.

    Raises:
        UnknownMessageError: The ``@type`` is not one the SDK models.
        DecodeError: The document does not match the model (the message lists what is wrong).
    """
    model = _model_for(canonical, table)
    data = dict(canonical)
    data.pop("@context", None)
    if model is m.DidService and "@type" in data:  # the DID context aliases id/type to @id/@type
        data["type"] = data.pop("@type")
        if "@id" in data:
            data["id"] = data.pop("@id")
    if not issubclass(model, Node):
        data.pop("@type", None)
    return validate(model, data)


def validate(model: type[WireModel], data: Any) -> WireModel:
    """Validate ``data`` (a dict, or JSON bytes) into ``model``; pydantic errors become DecodeError."""
    return validate_model(model, data)
