"""Issue credentials and presentations as JWTs: VC-DM 1.1 (``vc``/``vp`` claims) and 2.0 (VC-JOSE)."""

from __future__ import annotations

import copy
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from d4h_sdk.errors import ConfigurationError, D4HError
from d4h_sdk.identity.jose import sign_compact
from d4h_sdk.identity.signing import Signer
from d4h_sdk.identity.vc._dates import parse_datetime
from d4h_sdk.identity.vc._envelope import VC_MEDIA_TYPE, VP_MEDIA_TYPE, data_url
from d4h_sdk.identity.vc._keys import controller_did, issuer_id
from d4h_sdk.identity.vc._models import VcVersion

__all__ = ["PRESENTATION_EXCHANGE_CONTEXT", "VC_V1_CONTEXT", "VC_V2_CONTEXT", "issue_vc_jwt", "issue_vp_jwt"]

VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PRESENTATION_EXCHANGE_CONTEXT = "https://identity.foundation/presentation-exchange/submission/v1"


def _signer_did(signer: Signer) -> str:
    key_id = signer.key_id
    if not isinstance(key_id, str) or not key_id.startswith("did:") or "#" not in key_id:
        raise ConfigurationError(
            "the signer's key_id must be a DID URL (did:...#key) so verifiers can find the key"
        )
    return controller_did(key_id)


def _version(version: str) -> VcVersion:
    if version not in ("1.1", "2.0"):
        raise ConfigurationError(f"version must be '1.1' or '2.0', got {version!r}")
    return "1.1" if version == "1.1" else "2.0"


def _lifetime(lifetime_s: float | None) -> float | None:
    if lifetime_s is not None and not (math.isfinite(lifetime_s) and lifetime_s > 0):
        raise ConfigurationError(f"lifetime_s must be positive or None, got {lifetime_s}")
    return lifetime_s


def _epoch(credential: Mapping[str, Any], name: str) -> int | None:
    if name not in credential:
        return None
    try:
        return int(parse_datetime(credential[name], name).timestamp())
    except D4HError as exc:
        raise ConfigurationError(f"the credential's {exc}") from exc


def _subject_id(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    first = subject[0] if isinstance(subject, list) and subject else subject
    if isinstance(first, Mapping) and isinstance(first.get("id"), str):
        return str(first["id"])
    return None


def issue_vc_jwt(
    signer: Signer,
    credential: Mapping[str, Any],
    *,
    version: VcVersion = "1.1",
    lifetime_s: float | None = None,
    clock: Callable[[], float] = time.time,
    typ: str | None = None,
) -> str:
    """Sign a credential as a JWT.

    * ``1.1``: claims ``iss`` (issuer), ``sub`` (``credentialSubject.id``), ``nbf`` (``issuanceDate`` or
      now), ``iat``, ``exp`` (``expirationDate``, else now + ``lifetime_s``), ``jti`` (``id``, else a
      ``urn:uuid``) and ``vc`` (the credential); header ``typ: JWT``.
    * ``2.0`` (VC-JOSE): the payload is the credential itself plus ``iss``, ``sub``, ``iat`` and, with
      ``lifetime_s``, ``exp``; header ``typ: vc+jwt``.

    A missing ``issuer`` is set to the signer's DID; a different one is refused (verifiers would reject
    the key).

    Args:
        signer: The issuer's signing backend; ``key_id`` must be a DID URL of the issuer.
        credential: The credential (``@context``, ``type``, ``credentialSubject``, ...).
        version: ``1.1`` or ``2.0``.
        lifetime_s: Seconds until the JWT expires, when the credential sets no expiry.
        clock: Epoch-seconds clock.
        typ: Override the ``typ`` header (e.g. ``vc+ld+jwt`` for some Gaia-X peers).

    Returns:
        The compact JWT.

    Raises:
        ConfigurationError: Bad version, lifetime, dates or issuer, or a signer without a DID key id.
        SigningError: The signer failed.
    """
    version = _version(version)
    lifetime = _lifetime(lifetime_s)
    issuer = _signer_did(signer)
    document = copy.deepcopy(dict(credential))
    declared = issuer_id(document.get("issuer"))
    if "issuer" not in document:
        document["issuer"] = issuer
    elif declared != issuer:
        raise ConfigurationError(f"the credential's issuer {declared!r} is not the signer's DID {issuer!r}")
    now = int(clock())
    subject = _subject_id(document)
    if version == "1.1":
        claims: dict[str, Any] = {"iss": issuer}
        if subject is not None:
            claims["sub"] = subject
        claims["nbf"] = _epoch(document, "issuanceDate") or now
        claims["iat"] = now
        expires = _epoch(document, "expirationDate")
        if expires is None and lifetime is not None:
            expires = now + int(lifetime)
        if expires is not None:
            claims["exp"] = expires
        identifier = document.get("id")
        claims["jti"] = identifier if isinstance(identifier, str) else f"urn:uuid:{uuid.uuid4()}"
        claims["vc"] = document
        return sign_compact(signer, claims, typ=typ or "JWT")
    if "vc" in document or "vp" in document:
        raise ConfigurationError("a VC 2.0 credential may not contain 'vc' or 'vp' members")
    payload = dict(document)
    payload["iss"] = issuer
    if subject is not None:
        payload.setdefault("sub", subject)
    payload["iat"] = now
    if lifetime is not None:
        payload["exp"] = now + int(lifetime)
    return sign_compact(signer, payload, typ=typ or "vc+jwt")


def issue_vp_jwt(
    signer: Signer,
    credentials: Sequence[str],
    *,
    audience: str,
    version: VcVersion = "1.1",
    nonce: str | None = None,
    lifetime_s: float = 60,
    clock: Callable[[], float] = time.time,
) -> str:
    """Sign a presentation of credential JWTs for one verifier, as EDC / IdentityHub do.

    * ``1.1``: claims ``iss``/``sub`` (holder), ``aud``, ``iat``, ``nbf``, ``exp``, ``jti``, ``nonce`` and
      ``vp = {"@context": [credentials v1, presentation-exchange], "type": "VerifiablePresentation",
      "holder": ..., "verifiableCredential": [<VC JWTs>]}``.
    * ``2.0``: an inner ``vp+jwt`` whose payload is a VC 2.0 presentation with ``holder`` and
      ``EnvelopedVerifiableCredential`` entries (``data:application/vc+jwt,<jwt>``), wrapped again in
      a JWT whose payload is an ``EnvelopedVerifiablePresentation`` with
      ``id = data:application/vp+jwt,<inner>`` (EDC's shape); both layers carry ``iss``, ``aud``,
      ``iat``, ``exp`` and ``jti``.

    Args:
        signer: The holder's signing backend; ``key_id`` must be a DID URL of the holder.
        credentials: Compact VC JWTs (a ``data:application/vc+jwt,`` prefix is removed).
        audience: The verifier's DID (the ``aud`` claim).
        version: ``1.1`` or ``2.0``.
        nonce: A verifier-chosen nonce to echo, if any.
        lifetime_s: Seconds until the presentation expires (EDC: 60).
        clock: Epoch-seconds clock.

    Returns:
        The compact JWT.

    Raises:
        ConfigurationError: Bad version, lifetime or audience, or a signer without a DID key id.
        SigningError: The signer failed.
    """
    version = _version(version)
    lifetime = _lifetime(lifetime_s)
    if lifetime is None:
        raise ConfigurationError("a presentation needs a lifetime")
    if not isinstance(audience, str) or not audience:
        raise ConfigurationError("audience must be the verifier's DID")
    holder = _signer_did(signer)
    prefix = f"data:{VC_MEDIA_TYPE},"
    tokens = [token.removeprefix(prefix) for token in credentials]
    if not all(isinstance(token, str) and token.count(".") == 2 for token in tokens):
        raise ConfigurationError("credentials must be compact VC JWTs")
    now = int(clock())

    def envelope_claims() -> dict[str, Any]:
        claims: dict[str, Any] = {"iss": holder, "sub": holder, "aud": audience, "iat": now, "nbf": now}
        claims["exp"] = now + int(lifetime)
        claims["jti"] = f"urn:uuid:{uuid.uuid4()}"
        if nonce is not None:
            claims["nonce"] = nonce
        return claims

    if version == "1.1":
        claims = envelope_claims()
        claims["vp"] = {
            "@context": [VC_V1_CONTEXT, PRESENTATION_EXCHANGE_CONTEXT],
            "type": "VerifiablePresentation",
            "holder": holder,
            "verifiableCredential": tokens,
        }
        return sign_compact(signer, claims, typ="JWT")
    inner = {
        "@context": [VC_V2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [
            {
                "@context": VC_V2_CONTEXT,
                "type": "EnvelopedVerifiableCredential",
                "id": data_url(VC_MEDIA_TYPE, t),
            }
            for t in tokens
        ],
        **envelope_claims(),
    }
    inner_token = sign_compact(signer, inner, typ="vp+jwt")
    outer = {
        "@context": [VC_V2_CONTEXT],
        "type": "EnvelopedVerifiablePresentation",
        "id": data_url(VP_MEDIA_TYPE, inner_token),
        **envelope_claims(),
    }
    return sign_compact(signer, outer, typ="vp+jwt")
