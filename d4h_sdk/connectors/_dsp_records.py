"""The processes a :class:`~d4h_sdk.connectors.DspConnector` tracks, and their JSON form for a store.

:class:`Process` wraps one pure consumer record (:mod:`~d4h_sdk.connectors._dsp_consumer_sm`) with what the
connector needs around it: the provider, its versioned endpoint, when the record last changed, which version
a reader has seen, and whether it must be reconciled with the provider. :func:`export_process` and
:func:`restore_process` turn it into a JSON-serialisable dict and back; the data address is exported without
its authorization token (EDR tokens are short-lived secrets, never persisted).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from d4h_sdk.connectors._dsp_consumer_sm import NegotiationRecord, TransferRecord
from d4h_sdk.connectors._dsp_versions import Endpoint
from d4h_sdk.connectors._types import Provider
from d4h_sdk.errors import ConfigurationError, DecodeError
from d4h_sdk.models._base import canonical_dict, validate_model
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.policy import Agreement, Offer
from d4h_sdk.models.transfer import DataAddress, TransferState

__all__ = [
    "FORMAT_VERSION",
    "SECRET_PROPERTIES",
    "Process",
    "export_process",
    "is_secret_property",
    "restore_process",
]

FORMAT_VERSION = 1
"""Version of the exported record layout."""

SECRET_PROPERTIES = frozenset({"authorization", "authkey", "token", "refreshtoken", "refresh_token"})
"""Endpoint properties (lower case, last segment of an IRI or prefixed name) never exported."""


def is_secret_property(name: str) -> bool:
    """True for a credential property under any spelling: ``authorization``, ``edc:authorization``, an IRI."""
    local = re.split(r"[/#:]", name.strip())[-1].lower()
    return local in SECRET_PROPERTIES


@dataclass
class Process:
    """One negotiation or transfer as the connector tracks it (mutable; guarded by the connector's lock).

    Attributes:
        record: The pure state record.
        provider: The provider it runs with.
        endpoint: The provider's versioned DSP endpoint.
        touched: Monotonic time of the last change (callback, reply or reconciliation).
        seen: The record version a reader last saw (for ``wait_for_change``).
        reconcile: Ask the provider for its state at the next read (set after a restore).
        token_dropped: The data address lost its token in an export (a restored pull transfer).
    """

    record: NegotiationRecord | TransferRecord
    provider: Provider
    endpoint: Endpoint
    touched: float = field(default_factory=time.monotonic)
    seen: int = 0
    reconcile: bool = False
    token_dropped: bool = False

    @property
    def kind(self) -> str:
        """``negotiation`` or ``transfer``."""
        return "negotiation" if isinstance(self.record, NegotiationRecord) else "transfer"


def _without_secrets(address: DataAddress) -> dict[str, Any]:
    data = canonical_dict(address)
    props = [p for p in data.get("endpointProperties", []) if not is_secret_property(str(p.get("name", "")))]
    if props:
        data["endpointProperties"] = props
    else:
        data.pop("endpointProperties", None)
    return data


def export_process(process: Process) -> dict[str, Any]:
    """The JSON-serialisable form of ``process`` (no tokens)."""
    record = process.record
    out: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "kind": process.kind,
        "consumer_pid": record.consumer_pid,
        "provider_pid": record.provider_pid,
        "provider": {
            "address": process.provider.address,
            "participant_id": process.provider.participant_id,
            "protocol": process.provider.protocol,
        },
        "base_url": process.endpoint.base,
        "version": process.endpoint.version,
        "state": record.state.value,
        "code": record.code,
        "reason": list(record.reason),
    }
    if isinstance(record, NegotiationRecord):
        out["offer"] = canonical_dict(record.offer)
        out["provider_offer"] = canonical_dict(record.provider_offer) if record.provider_offer else None
        out["agreement"] = canonical_dict(record.agreement) if record.agreement else None
        out["agreement_id"] = record.agreement.id if record.agreement else None
    else:
        out["agreement_id"] = record.agreement_id
        out["transfer_type"] = record.transfer_type
        out["data_address"] = _without_secrets(record.data_address) if record.data_address else None
    return out


def _text(data: Mapping[str, Any], key: str, *, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"the exported DSP process record has no valid {key!r}")
    return value


def restore_process(data: Mapping[str, Any]) -> Process:
    """Rebuild a :class:`Process` from :func:`export_process` output (marked for reconciliation).

    Raises:
        ConfigurationError: The record is malformed or from a newer layout.
    """
    if not isinstance(data, Mapping) or data.get("format", FORMAT_VERSION) > FORMAT_VERSION:
        raise ConfigurationError("not a DSP process record this SDK version can read")
    try:
        provider_data = data["provider"]
        provider = Provider(
            provider_data["address"],
            participant_id=provider_data.get("participant_id"),
            protocol=provider_data.get("protocol"),
        )
        endpoint = Endpoint(base=_text(data, "base_url"), version=_text(data, "version"))
        common: dict[str, Any] = {
            "consumer_pid": _text(data, "consumer_pid"),
            "provider_pid": _text(data, "provider_pid", optional=True),
            "code": data.get("code"),
            "reason": tuple(str(r) for r in data.get("reason") or ()),
        }
        kind = data.get("kind")
        record: NegotiationRecord | TransferRecord
        dropped = False
        if kind == "negotiation":
            provider_offer = data.get("provider_offer")
            agreement = data.get("agreement")
            record = NegotiationRecord(
                state=NegotiationState(data["state"]),
                offer=validate_model(Offer, data["offer"]),
                provider_offer=validate_model(Offer, provider_offer) if provider_offer else None,
                agreement=validate_model(Agreement, agreement) if agreement else None,
                **common,
            )
        elif kind == "transfer":
            address = data.get("data_address")
            record = TransferRecord(
                state=TransferState(data["state"]),
                agreement_id=_text(data, "agreement_id"),
                transfer_type=_text(data, "transfer_type"),
                data_address=validate_model(DataAddress, address) if address else None,
                **common,
            )
            dropped = address is not None
        else:
            raise ConfigurationError(f"unknown DSP process kind {kind!r}")
    except (KeyError, TypeError, ValueError, DecodeError) as exc:
        if isinstance(exc, ConfigurationError):
            raise
        raise ConfigurationError(f"malformed DSP process record: {exc}") from exc
    return Process(record=record, provider=provider, endpoint=endpoint, reconcile=True, token_dropped=dropped)
