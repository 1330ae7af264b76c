"""The DSP 2024-1 dialect: every term prefixed (``dspace:``, ``dcat:``, ``odrl:``, ``dct:``).

Decoding renames the prefixed keys and values to the canonical (2025-1) terms by direct mapping; encoding
does the reverse. No JSON-LD processing is needed for documents in the official 2024-1 compaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d4h_sdk.errors import DecodeError, EncodeError
from d4h_sdk.wire._terms import (
    CONTEXT_2024_1,
    ODRL_VALUE_TERMS,
    STATE_VALUES,
    TERM_KINDS,
    vocab_literal,
)

__all__ = ["from_2024", "to_2024"]

_DSPACE_KEYS = (
    "consumerPid providerPid participantId agreementId callbackAddress offer agreement dataAddress eventType "
    "state code reason endpointType endpoint endpointProperties name value filter timestamp"
).split()
_ODRL_KEYS = (
    "hasPolicy permission prohibition obligation duty constraint and or xone andSequence action leftOperand "
    "operator rightOperand target assigner assignee profile"
).split()
_DCAT_KEYS = "service distribution accessService endpointURL endpointDescription".split()

_KEY_TO_TERM: dict[str, str] = {f"dspace:{key}": key for key in _DSPACE_KEYS}
_KEY_TO_TERM.update({f"odrl:{key}": key for key in _ODRL_KEYS})
_KEY_TO_TERM.update({f"dcat:{key}": key for key in _DCAT_KEYS})
_KEY_TO_TERM.update(
    {
        "dct:format": "format",
        "dcat:dataset": "dataset",
        "dspace:dataset": "dataset",
        "dspace:catalog": "catalog",
    }
)
_KEY_TO_TERM.update({key: key for key in TERM_KINDS if ":" in key})

_TERM_TO_KEY: dict[str, str] = {term: key for key, term in _KEY_TO_TERM.items()}
_TERM_TO_KEY.update({"dataset": "dcat:dataset", "catalog": "dspace:catalog"})

_DCAT_TYPES = {"Catalog", "Dataset", "DataService", "Distribution"}
_ODRL_TYPES = {"Offer", "Agreement", "Set", "Policy", "Permission", "Prohibition", "Duty", "Constraint"}
_VOCAB_PREFIXED_TERMS = {"action", "operator", "leftOperand"}


def _type_from(value: Any) -> Any:
    if isinstance(value, list):
        return [_type_from(item) for item in value]
    if isinstance(value, str) and ":" in value:
        prefix, _, name = value.partition(":")
        known = (
            (prefix == "dcat" and name in _DCAT_TYPES)
            or (prefix == "odrl" and name in _ODRL_TYPES)
            or (prefix == "dspace" and name[:1].isupper())
        )
        if known:
            return name
    return value


def _type_to(value: Any) -> Any:
    if isinstance(value, list):
        return [_type_to(item) for item in value]
    if not isinstance(value, str) or ":" in value:
        return value
    if value in _DCAT_TYPES:
        return f"dcat:{value}"
    if value in _ODRL_TYPES:
        return f"odrl:{value}"
    return f"dspace:{value}"


def _vocab_from(term: str, value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {"@id"}:
        value = value["@id"]
    if isinstance(value, list):
        return [_vocab_from(term, item) for item in value]
    if isinstance(value, str):
        return vocab_literal(term, value)
    return value


def _unwrap(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _generic_from(value: Any) -> Any:
    if isinstance(value, list):
        return _unwrap([_generic_from(item) for item in value])
    if isinstance(value, Mapping):
        if "@value" in value or set(value) == {"@id"}:
            return value["@value"] if set(value) == {"@value"} else dict(value)
        return from_2024(value)
    return value


def _literal(value: Any) -> Any:
    if isinstance(value, Mapping) and "@value" in value and "@language" not in value:
        return value["@value"]
    if isinstance(value, Mapping) and set(value) == {"@id"}:
        return value["@id"]
    return value


def _convert_from(term: str, key: str, value: Any) -> Any:
    kind = "id" if key == "dspace:dataset" else TERM_KINDS.get(term, "any")
    items = value if isinstance(value, list) else [value]
    if kind == "nodes":
        return [
            from_2024(item) if isinstance(item, Mapping) and "@value" not in item else item for item in items
        ]
    if kind == "node":
        return from_2024(value) if isinstance(value, Mapping) else value
    if kind == "ref":
        first = items[0] if items else None
        if isinstance(first, Mapping):
            return first["@id"] if set(first) == {"@id"} else from_2024(first)
        return first
    if kind == "vocab":
        return _vocab_from(term, _unwrap(value))
    if kind == "lang":
        default = "en" if key == "dct:title" else None
        return [
            {"@value": item, "@language": default} if default and isinstance(item, str) else item
            for item in items
        ]
    if kind == "literals":
        return [_literal(item) for item in items]
    if kind in ("id", "literal"):
        return _unwrap([_literal(item) for item in items])
    return _generic_from(value)


def from_2024(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Map a node in the 2024-1 compaction onto the canonical form.

    Raises:
        DecodeError: ``doc`` is not a JSON object.
    """
    if not isinstance(doc, Mapping):
        raise DecodeError("expected a JSON object in a DSP 2024-1 message")
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "@context":
            continue
        if key == "@type":
            out["@type"] = _type_from(value)
        elif key.startswith("@"):
            out[key] = value
        else:
            term = _KEY_TO_TERM.get(key)
            if term is None:
                out[key] = _generic_from(value)
            else:
                out[term] = _convert_from(term, key, value)
    return out


def _vocab_to(term: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_vocab_to(term, item) for item in value]
    if isinstance(value, str):
        if term in ("state", "eventType") and value in STATE_VALUES:
            return f"dspace:{value}"
        if term in _VOCAB_PREFIXED_TERMS and value in ODRL_VALUE_TERMS:
            return f"odrl:{value}"
    return value


def _node_to(value: Any) -> Any:
    return _to(value, parent_type=None) if isinstance(value, Mapping) and "@value" not in value else value


def _to(doc: Mapping[str, Any], parent_type: str | None) -> dict[str, Any]:
    own_type = doc.get("@type")
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "@type":
            out["@type"] = _type_to(value)
            continue
        if key.startswith("@"):
            out[key] = value
            continue
        term_kind = TERM_KINDS.get(key)
        if term_kind is None:
            out[key] = value
            continue
        wire_key = _TERM_TO_KEY.get(key, key)
        if key == "dataset" and own_type == "DatasetRequestMessage":
            wire_key = "dspace:dataset"
        if wire_key == "dspace:dataset":
            out[wire_key] = value
        elif key == "dct:title":
            out[wire_key] = _title_2024(value)
        elif key == "format" and isinstance(value, str) and own_type != "TransferRequestMessage":
            # a distribution's format is an IRI (2025-1 types it @vocab; the 2024-1 context does not)
            out[wire_key] = {"@id": value}
        elif key == "dcat:theme":  # the 2024-1 schema wants node references
            out[wire_key] = [{"@id": item} for item in (value if isinstance(value, list) else [value])]
        elif key == "dct:conformsTo" and isinstance(value, list) and len(value) == 1:
            out[wire_key] = value[0]  # the 2024-1 schema wants one string
        elif key == "profile":  # no @id coercion for odrl:profile in the 2024-1 context
            out[wire_key] = [{"@id": item} for item in (value if isinstance(value, list) else [value])]
        elif key == "duty":
            duties = [_node_to(item) for item in (value if isinstance(value, list) else [value])]
            out[wire_key] = duties[0] if len(duties) == 1 else duties  # the 2024-1 schema wants one object
        elif term_kind == "nodes":
            out[wire_key] = [_node_to(item) for item in (value if isinstance(value, list) else [value])]
        elif term_kind == "node":
            out[wire_key] = _node_to(value)
        elif term_kind == "ref":
            ref = {"@id": value, "@type": "dcat:DataService"} if isinstance(value, str) else _node_to(value)
            out[wire_key] = [ref]
        elif term_kind == "vocab":
            out[wire_key] = _vocab_to(key, value)
        else:
            out[wire_key] = value
    return out


def _title_2024(value: Any) -> Any:
    """The 2024-1 schema wants ``dct:title`` as one string (the context tags it English)."""
    items = value if isinstance(value, list) else [value]
    texts = [item if isinstance(item, str) else item.get("@value") for item in items]
    english = [
        item.get("@value")
        for item in items
        if isinstance(item, Mapping) and str(item.get("@language", "")).lower().startswith("en")
    ]
    chosen = english[0] if english else texts[0] if texts else None
    return chosen


_NEEDS_CALLBACK = {"ContractRequestMessage", "ContractOfferMessage", "ContractAgreementMessage"}


def to_2024(canonical: Mapping[str, Any]) -> dict[str, Any]:
    """Write a canonical message in the 2024-1 compaction, with its ``@context``.

    Raises:
        EncodeError: The message lacks something 2024-1 requires (e.g. ``callbackAddress``).
    """
    message_type = canonical.get("@type")
    if "serviceEndpoint" in canonical:
        raise EncodeError(
            "DID service entries for DSP exist only in 2025-1; encode with dialect='dsp-2025-1'"
        )
    if message_type in _NEEDS_CALLBACK and not canonical.get("callbackAddress"):
        raise EncodeError(f"DSP 2024-1 requires callbackAddress on {message_type}; set callback_address")
    body = _to(canonical, parent_type=None)
    return {"@context": CONTEXT_2024_1, **body}
