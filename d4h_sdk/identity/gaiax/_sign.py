"""Securing Gaia-X credentials: JsonWebSignature2020 for Tagus, VC-JOSE compact JWS for Loire."""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.gaiax._release import TAGUS_CONTEXT, VC_V2_CONTEXT, tagus_context_document
from d4h_sdk.identity.signing._protocol import Signer
from d4h_sdk.jsonld import DocumentLoader

__all__ = ["gaiax_document_loader", "loire_presentation", "sign_loire", "sign_tagus"]

_VC_DATA_PREFIX = "data:application/vc+jwt,"
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def gaiax_document_loader(
    *,
    allow: Iterable[str] = (),
    cache_dir: str | None = None,
    documents: Mapping[str, Mapping[str, Any]] | None = None,
) -> DocumentLoader:
    """Return an offline JSON-LD document loader that also knows the Tagus trust-framework context.

    Args:
        allow: Further context URLs that may be downloaded (see :class:`~d4h_sdk.jsonld.DocumentLoader`).
        cache_dir: A folder of cached context documents.
        documents: More documents keyed by URL (for example a service-specific ``@context``).

    Returns:
        A new loader; the Tagus context resolves with and without its trailing ``#``.
    """
    served: dict[str, Mapping[str, Any]] = {
        TAGUS_CONTEXT: tagus_context_document(),
        TAGUS_CONTEXT.rstrip("#"): tagus_context_document(),
    }
    served.update(documents or {})
    return DocumentLoader(allow=allow, cache_dir=cache_dir, documents=served)


def sign_tagus(
    credential: Mapping[str, Any],
    signer: Signer,
    *,
    verification_method: str,
    created: dt.datetime | None = None,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """Sign a Tagus credential with a JsonWebSignature2020 Data Integrity proof.

    The credential is canonicalised with URDNA2015 through an offline loader (:func:`gaiax_document_loader`
    by default), so a term that no context defines fails instead of being left unsigned.

    Args:
        credential: An unsigned Tagus credential (see the builders).
        signer: The issuer's signing backend (Gaia-X Tagus expects PS256 with an ``x5u`` chain in the DID).
        verification_method: The DID URL of the key in the issuer's DID document.
        created: The proof's ``created`` time (default now).
        loader: The JSON-LD document loader.

    Returns:
        A copy of the credential with a ``proof``.

    Raises:
        SigningError: The backend failed.
        JsonLdError: A context is neither bundled nor allowed.
        InvalidClaimsError: A term no context defines (it would be left unsigned).
    """
    from d4h_sdk.identity import vc

    return vc.sign_data_integrity(
        signer,
        credential,
        suite="JsonWebSignature2020",
        verification_method=verification_method,
        created=created,
        loader=loader or gaiax_document_loader(),
    )


def sign_loire(
    credential: Mapping[str, Any],
    signer: Signer,
    *,
    lifetime_s: float | None = None,
    typ: str = "vc+jwt",
) -> str:
    """Sign a Loire credential as a VC-JOSE compact JWS (payload = the credential).

    Args:
        credential: An unsigned Loire credential (see the builders).
        signer: The issuer's signing backend; its ``key_id`` (a DID URL of the issuer) becomes the ``kid``.
        lifetime_s: Optional validity in seconds (an ``exp`` claim).
        typ: The ``typ`` header; the Gaia-X ICAM 24.07 examples use ``vc+ld+json+jwt``.

    Returns:
        The compact JWS.

    Raises:
        ConfigurationError: The credential's issuer is not the signer's DID, or the key id is not a DID URL.
        SigningError: The backend failed.
    """
    from d4h_sdk.identity import vc

    return vc.issue_vc_jwt(signer, credential, version="2.0", lifetime_s=lifetime_s, typ=typ)


def loire_presentation(
    signer: Signer,
    credentials: Sequence[str],
    *,
    audience: str | None = None,
    nonce: str | None = None,
    lifetime_s: float = 300,
    typ: str = "vp+jwt",
    clock: Callable[[], float] = time.time,
) -> str:
    """Wrap signed Loire credentials into a signed VC 2.0 presentation, the body the compliance service takes.

    The payload is a ``VerifiablePresentation`` whose ``verifiableCredential`` entries are
    ``EnvelopedVerifiableCredential`` objects (``id = data:application/vc+jwt,<jwt>``), plus ``iss`` (the
    holder), ``iat``, ``exp`` and, when given, ``aud`` and ``nonce``: one JWS layer, not EDC's doubly
    wrapped presentation.

    Args:
        signer: The holder's (participant's) signing backend; its ``key_id`` must be a DID URL.
        credentials: Compact JWS credentials: participant, registration number, terms, offerings, resources.
        audience: An optional ``aud`` claim.
        nonce: An optional nonce.
        lifetime_s: Validity of the presentation in seconds.
        typ: The ``typ`` header (the media type the service receives is ``application/vp+jwt``).
        clock: Epoch-seconds clock.

    Returns:
        The presentation as a compact JWS.

    Raises:
        ConfigurationError: No credentials, a credential that is not a compact JWS, a bad lifetime, or a
            signer whose key id is not a DID URL.
        SigningError: The backend failed.
    """
    from d4h_sdk.identity.jose import sign_compact

    key_id = signer.key_id
    if not isinstance(key_id, str) or not key_id.startswith("did:") or "#" not in key_id:
        raise ConfigurationError("the signer's key_id must be a DID URL (did:...#key) of the holder")
    if not credentials:
        raise ConfigurationError("a presentation needs at least one credential")
    tokens = [token.removeprefix(_VC_DATA_PREFIX) for token in credentials]
    if not all(_COMPACT_JWS.match(token) for token in tokens):
        raise ConfigurationError("credentials must be compact JWS strings (see sign_loire)")
    if not (math.isfinite(lifetime_s) and lifetime_s > 0):
        raise ConfigurationError(f"lifetime_s must be positive, got {lifetime_s}")
    holder = key_id.split("#", 1)[0]
    now = int(clock())
    payload: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [
            {"@context": [VC_V2_CONTEXT], "type": "EnvelopedVerifiableCredential", "id": _VC_DATA_PREFIX + t}
            for t in tokens
        ],
        "iss": holder,
        "iat": now,
        "exp": now + int(lifetime_s),
    }
    if audience is not None:
        payload["aud"] = audience
    if nonce is not None:
        payload["nonce"] = nonce
    return sign_compact(signer, payload, typ=typ)
