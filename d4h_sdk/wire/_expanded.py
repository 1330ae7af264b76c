"""JSON-LD fallback: map an *expanded* document onto the canonical (DSP 2025-1 compact) form.

Any compaction (EDC's ``@vocab`` and prefixes, full IRIs, single objects instead of arrays, extra
contexts) expands to the same IRIs; this module turns those IRIs back into the canonical terms the models
use, with the value shape each term has (see :data:`d4h_sdk.wire._terms.TERM_KINDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d4h_sdk.errors import DecodeError
from d4h_sdk.jsonld._context import DEFAULT_BASE
from d4h_sdk.wire._terms import (
    DSPACE_NAMESPACES,
    EDC,
    TERM_KINDS,
    TYPE_TERMS,
    compact_iri,
    iri_to_term,
    vocab_literal,
    vocab_value,
)

__all__ = ["from_expanded"]


class _Canonicalizer:
    def __init__(self, prefixes: Mapping[str, str], *, edc_terms: bool) -> None:
        self.prefixes = prefixes
        self.edc_terms = edc_terms

    def type_term(self, iri: str) -> str:
        iri = _relative(iri)
        term = TYPE_TERMS.get(iri)
        if term is not None:
            return term
        if self.edc_terms and iri.startswith(EDC):
            return iri[len(EDC) :]
        return compact_iri(iri, self.prefixes)

    def node(self, node: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "@id" in node:
            out["@id"] = _relative(node["@id"])
        types = node.get("@type")
        if types:
            terms = [self.type_term(item) for item in types]
            out["@type"] = terms[0] if len(terms) == 1 else terms
        for key, values in node.items():
            if key in ("@id", "@type"):
                continue
            if key.startswith("@"):
                out[key] = values
                continue
            term = iri_to_term(key)
            if term is None:
                if self.edc_terms and key.startswith(EDC):
                    out[key[len(EDC) :]] = self.generic(values)
                else:
                    out[compact_iri(key, self.prefixes)] = self.generic(values)
                continue
            kind = TERM_KINDS[term]
            if term == "dataset" and key.startswith(DSPACE_NAMESPACES):
                kind = "id"  # DatasetRequestMessage.dataset is a reference, not a dcat:dataset node
            out[term] = self.convert(kind, values, term)
        return out

    def convert(self, kind: str, values: list[Any], term: str = "") -> Any:
        values = _flatten_lists(values)
        if kind == "nodes":
            return [self.node(item) if _is_node(item) else self.generic([item]) for item in values]
        if not values:
            return None
        if kind == "node":
            return self.node(values[0]) if _is_node(values[0]) else self.generic(values[:1])
        if kind == "ref":
            first = values[0]
            if isinstance(first, dict) and set(first) == {"@id"}:
                return _relative(first["@id"])
            return self.node(first) if _is_node(first) else self.generic([first])
        if kind == "lang":
            return [_lang(item) for item in values]
        if kind == "values":
            return [self.generic_item(item) for item in values]
        if kind == "literals":
            return [self.literal(item, keep_language=True) for item in values]
        if kind == "any":
            return self.generic(values)
        converted = [self.scalar(kind, item, term) for item in values]
        return converted[0] if len(converted) == 1 else converted

    def scalar(self, kind: str, item: Any, term: str = "") -> Any:
        if not isinstance(item, dict):
            return item
        if "@id" in item:
            iri = _relative(item["@id"])
            return vocab_value(iri, self.prefixes) if kind == "vocab" else iri
        value = item.get("@value")
        if kind == "vocab" and isinstance(value, str):
            return vocab_literal(term, value)
        return value

    def literal(self, item: Any, *, keep_language: bool) -> Any:
        if isinstance(item, dict):
            if "@language" in item and keep_language:
                return {"@value": item["@value"], "@language": item["@language"]}
            if "@value" in item:
                return item["@value"]
            if "@id" in item:
                return item["@id"]
        return item

    def generic(self, values: Any) -> Any:
        if not isinstance(values, list):
            return values
        items = [self.generic_item(item) for item in values]
        return items[0] if len(items) == 1 else items

    def generic_item(self, item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        if "@value" in item:
            if "@type" in item:
                return {"@value": item["@value"], "@type": compact_iri(item["@type"], self.prefixes)}
            if "@language" in item:
                return {"@value": item["@value"], "@language": item["@language"]}
            return item["@value"]
        if "@list" in item:
            return {"@list": [self.generic_item(child) for child in item["@list"]]}
        if set(item) == {"@id"}:
            return {"@id": compact_iri(_relative(item["@id"]), self.prefixes)}
        return self.node(item)


def _relative(iri: str) -> str:
    """Undo pyld's resolution of relative references against its placeholder document base."""
    if iri.startswith(DEFAULT_BASE):
        return iri[len(DEFAULT_BASE) :]
    return iri


def _flatten_lists(values: Any) -> list[Any]:
    if type(values) is not list:
        values = [values]
    for item in values:
        if type(item) is dict and "@list" in item:
            break
    else:
        unchanged: list[Any] = values
        return unchanged
    flat: list[Any] = []
    for item in values:
        if type(item) is dict and "@list" in item:
            flat.extend(item["@list"])
        else:
            flat.append(item)
    return flat


def _is_node(item: Any) -> bool:
    return isinstance(item, dict) and "@value" not in item and "@list" not in item


def _lang(item: Any) -> Any:
    if isinstance(item, dict):
        if "@language" in item:
            return {"@value": item.get("@value"), "@language": item["@language"]}
        return {"@value": item.get("@value", item.get("@id"))}
    return {"@value": item}


def from_expanded(expanded: Any, prefixes: Mapping[str, str], *, edc_terms: bool = False) -> dict[str, Any]:
    """Turn an expanded JSON-LD document (one top-level node) into the canonical compact form.

    Args:
        expanded: The output of JSON-LD expansion: a list holding one node object.
        prefixes: Prefixes used to compact IRIs that no model field names.
        edc_terms: Strip EDC's namespace from property and type IRIs (for Management API bodies).

    Raises:
        DecodeError: The document does not expand to exactly one node.
    """
    if isinstance(expanded, list) and len(expanded) == 1 and _is_node(expanded[0]):
        node = expanded[0]
        if set(node) == {"@graph"} and isinstance(node["@graph"], list) and len(node["@graph"]) == 1:
            node = node["@graph"][0]
        return _Canonicalizer(prefixes, edc_terms=edc_terms).node(node)
    count = len(expanded) if isinstance(expanded, list) else 0
    raise DecodeError(f"expected one JSON-LD node after expansion, found {count}: is this a DSP message?")
