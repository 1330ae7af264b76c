"""did:web identities: DID <-> URL mapping, DID documents, resolvers and a ``did.json`` builder.

* :func:`did_web_to_url` / :func:`url_to_did_web` map between a did:web DID and its document URL;
* :class:`DidDocument` parses a document, normalising keys to JWKs (Multikey included) and relative ids;
  :meth:`DidDocument.key_for` selects a verification key the way DCP verifiers do;
* :class:`WebDidResolver` fetches documents over HTTPS with a timeout, size cap, TTL cache and ``id`` check;
  :class:`StaticDidResolver` serves fixed documents; both satisfy the :class:`DidResolver` protocol;
* :func:`build_did_document` writes a participant's ``did.json`` with DCP and DSP service entries.

The HTTP stack is imported only when a :class:`WebDidResolver` first fetches a document.
"""

from __future__ import annotations

from d4h_sdk.identity.did._builder import DEFAULT_RELATIONSHIPS, DID_CONTEXTS, build_did_document
from d4h_sdk.identity.did._document import RELATIONSHIPS, DidDocument, Service, VerificationMethod
from d4h_sdk.identity.did._errors import DidResolutionError, VerificationMethodError
from d4h_sdk.identity.did._resolver import DidResolver, StaticDidResolver, WebDidResolver
from d4h_sdk.identity.did._web import DidWebParts, did_web_to_url, parse_did_web, url_to_did_web

__all__ = [
    "DEFAULT_RELATIONSHIPS",
    "DID_CONTEXTS",
    "RELATIONSHIPS",
    "DidDocument",
    "DidResolutionError",
    "DidResolver",
    "DidWebParts",
    "Service",
    "StaticDidResolver",
    "VerificationMethod",
    "VerificationMethodError",
    "WebDidResolver",
    "build_did_document",
    "did_web_to_url",
    "parse_did_web",
    "url_to_did_web",
]
