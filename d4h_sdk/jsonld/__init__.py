"""Offline JSON-LD: bundled ``@context`` documents, a document loader, expand/compact, RDF graph views.

Every context the SDK meets is bundled (:data:`BUNDLED_CONTEXTS`); any other URL is refused unless a
:class:`DocumentLoader` is given an explicit allow-list or cache folder. :func:`fast_expand` expands DSP, EDC
and DCP messages without pyld and falls back to pyld for anything else. pyld and rdflib are imported on first
use only.
"""

from __future__ import annotations

from d4h_sdk.jsonld._graph import CatalogGraph, to_graph
from d4h_sdk.jsonld._loader import FETCH_MAX_BYTES, FETCH_TIMEOUT, DocumentLoader, cache_file_name
from d4h_sdk.jsonld._ops import can_fast_expand, compact, expand, fast_expand
from d4h_sdk.jsonld._registry import BUNDLED_CONTEXTS

__all__ = [
    "BUNDLED_CONTEXTS",
    "FETCH_MAX_BYTES",
    "FETCH_TIMEOUT",
    "CatalogGraph",
    "DocumentLoader",
    "cache_file_name",
    "can_fast_expand",
    "compact",
    "expand",
    "fast_expand",
    "to_graph",
]
