"""JSON-LD helpers for the wire tests: a pyld loader serving the fixture contexts, EDC-style compaction, and a
canonical form of expanded documents (JSON-LD sets are unordered, ``@list`` is ordered)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from ._schemas import dsp_root, load_json

__all__ = [
    "EDC_DSPACE_CONTEXT",
    "EDC_VOCAB_CONTEXT",
    "canonical",
    "edc_compact",
    "fixture_loader",
    "pyld_expand",
]

EDC_VOCAB_CONTEXT: dict[str, str] = {
    "@vocab": "https://w3id.org/edc/v0.0.1/ns/",
    "edc": "https://w3id.org/edc/v0.0.1/ns/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "dspace": "https://w3id.org/dspace/2025/1/",
}
"""The context EDC compacts with (its ``@vocab`` plus prefixes): IRIs become ``dspace:consumerPid`` etc."""

EDC_DSPACE_CONTEXT: list[str] = [
    "https://w3id.org/dspace/2025/1/context.jsonld",
    "https://w3id.org/edc/dspace/v0.0.1",
]
"""EDC adds its own dspace context after the 2025-1 one in its 2025-1 protocol responses."""

_CONTEXT_FILES: dict[str, str] = {
    "https://w3id.org/dspace/2024/1/context.json": "2024-1/context/context.json",
    "https://w3id.org/dspace/2025/1/context.jsonld": "2025-1/context/context.jsonld",
    "https://w3id.org/dspace/2025/1/odrl-profile.jsonld": "2025-1/context/odrl-profile.jsonld",
    "https://w3id.org/edc/dspace/v0.0.1": "edc-v0.14.1/context/dspace-edc-context-v1.jsonld",
    "https://w3id.org/edc/connector/management/v0.0.1": "edc-v0.14.1/context/management-context-v1.jsonld",
    "https://w3id.org/edc/connector/management/v2": "edc-v0.14.1/context/management-context-v2.jsonld",
}

PyldLoader = Callable[[str, dict[str, Any]], dict[str, Any]]


def fixture_loader() -> PyldLoader:
    """Return a pyld document loader serving the official context files from the fixtures (no network)."""
    root = dsp_root()
    assert root is not None, "official fixtures are absent"
    documents = {url: load_json(root / rel) for url, rel in _CONTEXT_FILES.items()}

    def load(url: str, options: dict[str, Any]) -> dict[str, Any]:
        if url not in documents:
            raise LookupError(f"context {url} is not a fixture")
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(documents[url])}

    return load


def _pyld() -> Any:
    """pyld with its process-wide context cache emptied: pyld 3.3 returns wrong expansions from that cache
    (see d4h_sdk/jsonld/_ops.py), which made these tests depend on the order they ran in."""
    from pyld import jsonld

    jsonld._resolved_context_cache.clear()
    return jsonld


def pyld_expand(document: Any) -> list[Any]:
    """Expand a document with pyld and the fixture contexts.

    ``base`` is ``None``: pyld would otherwise resolve relative IRIs (the 2025-1 examples' ``"leftOperand":
    "dateTime"`` is one, the ODRL profile has no such term) against ``http://example.org/base/``.
    """
    jsonld = _pyld()
    options = {"documentLoader": fixture_loader(), "base": None}
    result: list[Any] = jsonld.expand(copy.deepcopy(document), options)
    return result


def edc_compact(document: Any, context: Any) -> dict[str, Any]:
    """Expand an official example, then compact it with ``context`` the way EDC writes its responses."""
    jsonld = _pyld()
    options = {"documentLoader": fixture_loader(), "base": None}
    expanded = jsonld.expand(copy.deepcopy(document), options)
    result: dict[str, Any] = jsonld.compact(expanded, {"@context": context}, options)
    return result


def canonical(value: Any) -> Any:
    """Return a canonical form of an expanded JSON-LD value for comparison.

    Arrays are sets in expanded JSON-LD, so their items are sorted by their canonical JSON text; the items of
    ``@list`` keep their order. A property with an empty set is dropped (it states nothing in RDF). Numbers
    are left alone (``1`` and ``1.0`` compare equal).
    """
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if item == [] and not key.startswith("@"):
                continue
            if key == "@list":
                result[key] = [canonical(v) for v in item]
            else:
                result[key] = canonical(item)
        return result
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value
