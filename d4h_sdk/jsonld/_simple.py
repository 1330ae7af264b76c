"""Expansion of documents whose only context is a flat map of prefixes and ``@vocab``.

EDC's Management API compacts its responses with such a context (``{"@vocab": edc, "edc": ..., "dcat": ...,
"odrl": ..., "dspace": ...}``): no type coercion, no containers, no scoped contexts. For that shape
expansion is a string mapping of keys and IRIs, done here with per-document caches of every key and type
seen; a 10,000-dataset catalog repeats the same few dozen keys. Anything outside the shape makes
:func:`simple_expand` return ``None`` and the general expander takes the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d4h_sdk.jsonld._context import DEFAULT_BASE, is_absolute, resolve_relative

__all__ = ["simple_expand"]

_GEN_DELIMS = (":", "/", "?", "#", "[", "]", "@")
_SCALARS = (str, int, float, bool)
_NODE_KEYWORDS = frozenset({"@id", "@type"})
_VALUE_KEYS = frozenset({"@value", "@type", "@language"})
_SAFE_RELATIVE = frozenset("./?#")


class _NotSimple(Exception):
    """The document leaves the flat-context subset."""


class _Expander:
    def __init__(self, context: Mapping[str, Any]) -> None:
        vocab = context.get("@vocab")
        self.vocab: str | None = vocab if isinstance(vocab, str) and is_absolute(vocab) else None
        if vocab is not None and self.vocab is None:
            raise _NotSimple
        self.terms: dict[str, str] = {}
        for key, value in context.items():
            if key == "@version" and value == 1.1:
                continue
            if key == "@vocab":
                continue
            if key.startswith("@") or ":" in key or not isinstance(value, str) or not is_absolute(value):
                raise _NotSimple
            self.terms[key] = value
        self.prefixes = {key: iri for key, iri in self.terms.items() if iri.endswith(_GEN_DELIMS)}
        self.keys: dict[str, str | None] = {}
        self.ids: dict[str, str] = {}

    def vocab_iri(self, value: str) -> str | None:
        cached = self.keys.get(value, "")
        if cached != "":
            return cached
        result = self.terms.get(value)
        if result is None:
            result = self._compact_iri(value)
        if result is None and self.vocab is not None:
            result = self.vocab + value
        self.keys[value] = result
        return result

    def id_iri(self, value: str) -> str:
        cached = self.ids.get(value)
        if cached is not None:
            return cached
        result = self._compact_iri(value)
        if result is None:
            if _SAFE_RELATIVE.intersection(value) or not value:
                result = resolve_relative(value)
            else:
                result = DEFAULT_BASE + value
        self.ids[value] = result
        return result

    def _compact_iri(self, value: str) -> str | None:
        colon = value.find(":")
        if colon <= 0:
            return None
        prefix, suffix = value[:colon], value[colon + 1 :]
        if prefix == "_" or suffix.startswith("//"):
            return value
        iri = self.prefixes.get(prefix)
        if iri is not None:
            return iri + suffix
        return value if is_absolute(value) else None

    def node(self, element: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in element.items():
            if key == "@id":
                if not isinstance(value, str):
                    raise _NotSimple
                out["@id"] = self.id_iri(value)
            elif key == "@type":
                types = value if isinstance(value, list) else [value]
                if not all(isinstance(item, str) for item in types):
                    raise _NotSimple
                expanded_types = [self.vocab_iri(item) for item in types]
                if any(item is None for item in expanded_types):
                    raise _NotSimple
                out["@type"] = expanded_types
            elif key.startswith("@"):
                raise _NotSimple
            else:
                iri = self.vocab_iri(key)
                if iri is None or value is None:
                    continue
                items = self.values(value)
                existing = out.get(iri)
                if existing is None:
                    out[iri] = items
                else:
                    existing.extend(items)
        return out

    def values(self, value: Any) -> list[Any]:
        if isinstance(value, list):
            result: list[Any] = []
            for item in value:
                if isinstance(item, list):
                    raise _NotSimple  # lists of lists need the full algorithm
                if item is not None:
                    result.extend(self.values(item))
            return result
        if isinstance(value, _SCALARS):
            return [{"@value": value}]
        if not isinstance(value, dict):
            raise _NotSimple
        if "@context" in value:
            raise _NotSimple
        if "@value" in value:
            return self.value_object(value)
        if "@list" in value or "@set" in value or "@graph" in value or "@reverse" in value:
            raise _NotSimple
        return [self.node(value)]

    def value_object(self, value: Mapping[str, Any]) -> list[Any]:
        if not _VALUE_KEYS.issuperset(value) or ("@type" in value and "@language" in value):
            raise _NotSimple
        literal = value["@value"]
        if literal is None:
            return []
        if not isinstance(literal, _SCALARS):
            raise _NotSimple
        out: dict[str, Any] = {"@value": literal}
        if "@type" in value:
            datatype = value["@type"]
            expanded = self.vocab_iri(datatype) if isinstance(datatype, str) else None
            if expanded is None or not isinstance(literal, str):
                raise _NotSimple
            out["@type"] = expanded
        if "@language" in value:
            language = value["@language"]
            if not isinstance(language, str) or not isinstance(literal, str):
                raise _NotSimple
            out["@language"] = language.lower()
        return [out]


def simple_expand(doc: Any) -> list[dict[str, Any]] | None:
    """Expand ``doc`` if its only context is a flat map of prefixes and ``@vocab``; else return ``None``.

    The result equals pyld's expansion of the same document (pyld's default document base included).
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("@context"), dict):
        return None
    try:
        expander = _Expander(doc["@context"])
        node = expander.node({key: value for key, value in doc.items() if key != "@context"})
    except _NotSimple:
        return None
    if not node or set(node) == {"@id"}:
        return []
    return [node]
