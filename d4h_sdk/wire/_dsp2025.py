"""The DSP 2025-1 dialect: plain terms under ``["https://w3id.org/dspace/2025/1/context.jsonld"]``.

The canonical form *is* the 2025-1 compaction, so encoding adds the context and applies the few rules the
2025-1 schemas add over 2024-1 (who may carry a ``callbackAddress``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d4h_sdk.wire._terms import CONTEXT_2025_1

__all__ = ["to_2025"]

_NO_CALLBACK_WITH = {
    "ContractRequestMessage": "providerPid",  # a counter-request must not carry callbackAddress
    "ContractOfferMessage": "consumerPid",  # a counter-offer must not carry callbackAddress
}


def _typed_services(node: Any) -> Any:
    """The 2025-1 schemas want ``@type: DataService`` on every inline data service."""
    if isinstance(node, list):
        return [_typed_services(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out = {key: _typed_services(value) for key, value in node.items()}
    for key in ("accessService", "service"):
        value = out.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and "@type" not in item:
                item["@type"] = "DataService"
    return out


def to_2025(canonical: Mapping[str, Any]) -> dict[str, Any]:
    """Write a canonical message in the 2025-1 compaction, with its ``@context``."""
    body: dict[str, Any] = _typed_services(canonical)
    message_type = body.get("@type")
    if message_type == "ContractAgreementMessage" or (
        message_type in _NO_CALLBACK_WITH and _NO_CALLBACK_WITH[message_type] in body
    ):
        body.pop("callbackAddress", None)
    if "protocolVersions" in body:
        body.pop("@type", None)
        return body
    if message_type == "DidService":
        body.pop("@type", None)
        return {"@context": [CONTEXT_2025_1, "https://www.w3.org/ns/did/v1"], **body}
    return {"@context": [CONTEXT_2025_1], **body}
