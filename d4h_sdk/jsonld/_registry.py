"""The bundled ``@context`` documents: which URL is served from which data file, loaded lazily."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = ["BUNDLED_CONTEXTS", "bundled_document", "bundled_url"]

BUNDLED_CONTEXTS: Mapping[str, str] = MappingProxyType(
    {
        # Dataspace Protocol
        "https://w3id.org/dspace/2024/1/context.json": "dspace-2024-1.jsonld",
        "https://w3id.org/dspace/2025/1/context.jsonld": "dspace-2025-1.jsonld",
        "https://w3id.org/dspace/2025/1/odrl-profile.jsonld": "dspace-2025-1-odrl-profile.jsonld",
        # Eclipse EDC
        "https://w3id.org/edc/connector/management/v0.0.1": "edc-management-v1.jsonld",
        "https://w3id.org/edc/connector/management/v2": "edc-management-v2.jsonld",
        "https://w3id.org/edc/dspace/v0.0.1": "edc-dspace-v1.jsonld",
        # Decentralized Claims Protocol
        "https://w3id.org/dspace-dcp/v1.0/dcp.jsonld": "dcp-v1.0.jsonld",
        # W3C credentials, DIDs, security suites, ODRL
        "https://www.w3.org/2018/credentials/v1": "credentials-v1.jsonld",
        "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
        "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
        "https://w3id.org/security/suites/jws-2020/v1": "security-jws-2020-v1.jsonld",
        "https://w3id.org/security/suites/ed25519-2020/v1": "security-ed25519-2020-v1.jsonld",
        "https://w3id.org/security/multikey/v1": "security-multikey-v1.jsonld",
        "http://www.w3.org/ns/odrl.jsonld": "odrl-2.2.jsonld",
    }
)
"""Every context URL the SDK serves offline, mapped to its data file in ``d4h_sdk/jsonld/contexts``.

The ``http``/``https`` twin and the trailing-slash variant of each URL resolve to the same document.
"""


def _variant_key(url: str) -> str:
    """Return the scheme- and trailing-slash-insensitive key of a URL."""
    rest = url.split("://", 1)[1] if "://" in url else url
    return rest.rstrip("/")


_BY_VARIANT: Mapping[str, str] = MappingProxyType({_variant_key(url): url for url in BUNDLED_CONTEXTS})


def bundled_url(url: str) -> str | None:
    """Return the canonical bundled URL that ``url`` names, or ``None`` if it is not bundled.

    Args:
        url: A context URL, possibly the ``http``/``https`` twin or a trailing-slash variant of a bundled one.

    Returns:
        The key of :data:`BUNDLED_CONTEXTS` it resolves to, or ``None``.
    """
    if url in BUNDLED_CONTEXTS:
        return url
    if not url.startswith(("http://", "https://")):
        return None
    return _BY_VARIANT.get(_variant_key(url))


@functools.cache
def _parsed(canonical_url: str) -> Any:
    name = BUNDLED_CONTEXTS[canonical_url]
    text = resources.files("d4h_sdk.jsonld").joinpath("contexts").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def bundled_document(url: str) -> dict[str, Any] | None:
    """Return a fresh copy of the bundled document for ``url`` (any accepted variant), or ``None``.

    The parsed document is cached per process; callers get a deep copy they may change freely.

    Args:
        url: The context URL.

    Returns:
        The JSON-LD document, or ``None`` if ``url`` is not bundled.
    """
    canonical = bundled_url(url)
    if canonical is None:
        return None
    doc: dict[str, Any] = copy.deepcopy(_parsed(canonical))
    return doc
