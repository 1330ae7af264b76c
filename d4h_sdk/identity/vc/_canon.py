"""RDF canonicalisation for Data Integrity (URDNA2015, named explicitly) and the dropped-term check.

pyld's default normalisation algorithm is URGNA2012, which differs from URDNA2015 (RDFC-1.0) on graphs
with several blank nodes, so the algorithm is always passed. Every call goes through
:func:`d4h_sdk.jsonld._ops.run_pyld` (offline loader per call, pyld's context cache cleared).

pyld has no "safe mode": a property whose term no context defines is silently dropped during expansion,
so it changes neither the canonical form nor the signature. :func:`check_terms` expands the document
once more with a trap ``@vocab`` placed *before* its own contexts: a context that defines ``@vocab``
itself overrides the trap (its terms are defined), while a term or type no context defines expands into
the trap namespace and is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d4h_sdk.errors import MalformedTokenError, UndefinedTermError
from d4h_sdk.jsonld import DocumentLoader
from d4h_sdk.jsonld._ops import default_loader, run_pyld

__all__ = ["canonicalize", "check_terms"]

_TRAP = "urn:d4h-sdk:undefined-term:"


def _loader(loader: DocumentLoader | None) -> DocumentLoader:
    return loader if loader is not None else default_loader()


def canonicalize(document: Mapping[str, Any], *, loader: DocumentLoader | None = None) -> str:
    """Canonicalise a JSON-LD document to N-Quads with URDNA2015 (RDFC-1.0).

    Args:
        document: The compacted JSON-LD document.
        loader: Resolves context URLs; by default only bundled contexts.

    Returns:
        The canonical N-Quads text.

    Raises:
        JsonLdError: A context is unavailable or the document is not valid JSON-LD.
    """
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": _loader(loader),
    }
    result: str = run_pyld("canonicalisation", lambda jsonld: jsonld.normalize(dict(document), options))
    return result


def _trapped(found: list[str], node: Any) -> None:
    """Collect the names of trapped terms and types anywhere in an expanded document."""
    if isinstance(node, list):
        for item in node:
            _trapped(found, item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key.startswith(_TRAP):
            found.append(key[len(_TRAP) :])
        if key == "@type":
            types = value if isinstance(value, list) else [value]
            found.extend(t[len(_TRAP) :] for t in types if isinstance(t, str) and t.startswith(_TRAP))
        if key != "@value":
            _trapped(found, value)


def check_terms(document: Mapping[str, Any], *, loader: DocumentLoader | None = None, what: str) -> None:
    """Refuse a document with a property or type that its contexts do not define.

    Such a term is dropped by JSON-LD expansion, so a signature over the canonical form would not cover
    it: a document tampered with that way would otherwise verify.

    Args:
        document: The compacted JSON-LD document.
        loader: Resolves context URLs.
        what: Names the document in the message (``"the credential"``, ``"the proof options"``).

    Raises:
        InvalidClaimsError: A term or type is not defined by the document's contexts.
        MalformedTokenError: The document has no ``@context``.
        JsonLdError: A context is unavailable or the document is not valid JSON-LD.
    """
    context = document.get("@context")
    if context is None:
        raise MalformedTokenError(f"{what} has no @context: it is not a JSON-LD document")
    contexts = context if isinstance(context, list) else [context]
    probe = dict(document)
    probe["@context"] = [{"@vocab": _TRAP}, *contexts]
    options = {"documentLoader": _loader(loader)}
    expanded = run_pyld("expansion", lambda jsonld: jsonld.expand(probe, options))
    found: list[str] = []
    _trapped(found, expanded)
    if found:
        names = sorted(set(found))
        raise UndefinedTermError(
            f"{what} uses term(s) {names} that its @context does not define; JSON-LD processing would drop "
            "them, so the signature would not cover them (add the defining context or remove the terms)"
        )
