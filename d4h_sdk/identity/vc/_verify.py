"""Verify credential and presentation JWTs (VC-DM 1.1 and VC-JOSE 2.0, EDC's enveloped shapes).

Order for a credential: decode (unverified, to route) -> issuer and version -> trusted issuers -> the
``kid`` must be a key of the issuer (``<issuer>#...``) -> resolve the issuer DID, key under
``assertionMethod`` -> signature and JWT times (:func:`~d4h_sdk.identity.jose.verify_compact`) -> validity
dates of the credential. A presentation: the same with the holder and ``authentication``, the audience,
then every credential it carries; holder binding is reported, and enforced on request.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from d4h_sdk.errors import InvalidClaimsError, MalformedTokenError, UntrustedIssuerError
from d4h_sdk.identity.did import DidResolver
from d4h_sdk.identity.jose import JwtPolicy, peek, verify_compact
from d4h_sdk.identity.vc._dates import check_window, epoch_datetime, parse_datetime
from d4h_sdk.identity.vc._envelope import VC_MEDIA_TYPE, VP_MEDIA_TYPE, enveloped_tokens, types_of
from d4h_sdk.identity.vc._keys import RelationshipPolicy, check_trusted, issuer_id, resolve_key
from d4h_sdk.identity.vc._models import VcVersion, VerifiedCredential, VerifiedPresentation

__all__ = ["verify_vc_jwt", "verify_vp_jwt"]

_VP_TYPS = frozenset({"vp+jwt", "vp+ld+jwt", "vp+ld+json+jwt"})


def _typ(header: Mapping[str, Any]) -> str | None:
    typ = header.get("typ")
    return typ.lower().removeprefix("application/") if isinstance(typ, str) else None


def _check_kid(header: Mapping[str, Any], did: str, what: str) -> str:
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid.startswith(did + "#"):
        raise UntrustedIssuerError(
            f"{what} is signed with key id {kid!r}, which is not a key of {did!r} (expected '{did}#...')"
        )
    return kid


def _signed_claims(
    token: str,
    kid: str,
    *,
    relationship: str,
    resolver: DidResolver,
    policy: RelationshipPolicy,
    jwt_policy: JwtPolicy,
) -> dict[str, Any]:
    key = resolve_key(kid, relationship=relationship, resolver=resolver, policy=policy)
    _, claims = verify_compact(token, key=key, policy=jwt_policy)
    return claims


def _later(a: datetime.datetime | None, b: datetime.datetime | None) -> datetime.datetime | None:
    return a if b is None else b if a is None else max(a, b)


def _earlier(a: datetime.datetime | None, b: datetime.datetime | None) -> datetime.datetime | None:
    return a if b is None else b if a is None else min(a, b)


def _date(document: Mapping[str, Any], name: str) -> datetime.datetime | None:
    return parse_datetime(document[name], name) if name in document else None


def verify_vc_jwt(
    token: str,
    *,
    resolver: DidResolver,
    trusted_issuers: Collection[str] | None = None,
    clock: Callable[[], float] = time.time,
    leeway_s: float = 5,
    relationship_policy: RelationshipPolicy = "strict",
) -> VerifiedCredential:
    """Verify a credential JWT: VC-DM 1.1 (``vc`` claim) or VC-JOSE 2.0 (payload = credential).

    A ``data:application/vc+jwt,`` prefix is accepted. ``typ`` is checked leniently (``JWT``, ``vc+jwt``,
    ``vc+ld+jwt`` ... or none), but a presentation ``typ`` is refused.

    Args:
        token: The compact JWT.
        resolver: Resolves the issuer DID (did:key is derived locally).
        trusted_issuers: When given, the issuer DID must be one of these.
        clock: Epoch-seconds clock.
        leeway_s: Clock-skew tolerance for ``exp``/``nbf``/``iat`` and the validity dates.
        relationship_policy: ``strict``: the key must be under ``assertionMethod``; ``lax``: any
            verification method of the issuer (stock EDC documents list no relationships).

    Returns:
        The verified credential.

    Raises:
        MalformedTokenError: Not a credential JWT.
        UntrustedIssuerError: Untrusted issuer, a ``kid`` of another DID, or ``iss`` != ``issuer``.
        DidResolutionError: The issuer DID could not be resolved.
        VerificationMethodError: The key is unknown or not under ``assertionMethod`` (strict).
        InvalidSignatureError: The signature does not verify (``alg: none`` included).
        ExpiredTokenError: Expired or not yet valid.
        InvalidClaimsError: Malformed dates or claims.
    """
    token = token.removeprefix(f"data:{VC_MEDIA_TYPE},")
    header, claims = peek(token)
    if _typ(header) in _VP_TYPS:
        raise InvalidClaimsError(f"the token typ {header.get('typ')!r} is a presentation, not a credential")
    version: VcVersion
    if isinstance(claims.get("vc"), Mapping):
        version, credential = "1.1", dict(claims["vc"])
        issuer = claims.get("iss")
        inner = issuer_id(credential.get("issuer"))
        if inner is not None and inner != issuer:
            raise UntrustedIssuerError(f"the vc issuer {inner!r} differs from the token issuer {issuer!r}")
    elif "@context" in claims:
        if "vc" in claims or "vp" in claims:
            raise MalformedTokenError("a VC 2.0 JWT may not carry 'vc' or 'vp' claims")
        version, credential = "2.0", claims
        issuer = issuer_id(claims.get("issuer"))
        if "iss" in claims and claims["iss"] != issuer:
            raise UntrustedIssuerError(f"the iss claim differs from the credential issuer {issuer!r}")
    else:
        raise MalformedTokenError("the token is neither a VC 1.1 JWT (vc claim) nor a VC 2.0 credential")
    if not isinstance(issuer, str) or not issuer.startswith("did:"):
        raise UntrustedIssuerError(f"the credential issuer {issuer!r} is not a DID")
    if "VerifiableCredential" not in types_of(credential):
        raise InvalidClaimsError("the credential's type does not include VerifiableCredential")
    check_trusted(issuer, trusted_issuers, "the credential")
    kid = _check_kid(header, issuer, "the credential")
    jwt_policy = JwtPolicy(
        audience=None,
        issuer=issuer if version == "1.1" else None,
        required=(),
        max_age_s=None,
        leeway_s=leeway_s,
        clock=clock,
    )
    claims = _signed_claims(
        token,
        kid,
        relationship="assertionMethod",
        resolver=resolver,
        policy=relationship_policy,
        jwt_policy=jwt_policy,
    )
    credential = dict(claims["vc"]) if version == "1.1" else claims
    names = ("issuanceDate", "expirationDate") if version == "1.1" else ("validFrom", "validUntil")
    start, end = _date(credential, names[0]), _date(credential, names[1])
    check_window(start, end, now=clock(), leeway_s=leeway_s, what="the credential")
    # the JWT's own window (already checked) narrows the credential's
    start = _later(start, epoch_datetime(claims.get("nbf")))
    end = _earlier(end, epoch_datetime(claims.get("exp")))
    subject = claims.get("sub") if version == "1.1" else None
    subjects = credential.get("credentialSubject")
    first = subjects[0] if isinstance(subjects, list) and subjects else subjects
    if isinstance(first, Mapping) and isinstance(first.get("id"), str):
        subject = first["id"]
    return VerifiedCredential(
        issuer=issuer,
        subject=subject if isinstance(subject, str) else None,
        types=types_of(credential),
        credential=credential,
        expires_at=end,
        version=version,
        valid_from=start,
        key_id=kid,
        token=token,
    )


def _presentation_payload(
    token: str,
    *,
    resolver: DidResolver,
    audience: str | None,
    clock: Callable[[], float],
    leeway_s: float,
    relationship_policy: RelationshipPolicy,
    nonce: str | None,
) -> tuple[VcVersion, str, str, dict[str, Any], dict[str, Any]]:
    """Verify one presentation JWT layer; return version, holder, kid, claims and the VP document."""
    header, claims = peek(token)
    typ = _typ(header)
    if typ is not None and typ != "jwt" and typ not in _VP_TYPS:
        raise InvalidClaimsError(f"the token typ {header.get('typ')!r} is not a presentation typ")
    version: VcVersion
    if isinstance(claims.get("vp"), Mapping):
        version, document = "1.1", dict(claims["vp"])
    elif "@context" in claims:
        version, document = "2.0", claims
    else:
        raise MalformedTokenError("the token is neither a VC 1.1 VP JWT (vp claim) nor a VC 2.0 presentation")
    holder = claims.get("iss")
    declared = issuer_id(document.get("holder"))
    if holder is None:
        holder = declared
    elif declared is not None and declared != holder:
        raise UntrustedIssuerError(f"the presentation holder {declared!r} differs from the token issuer")
    if not isinstance(holder, str) or not holder.startswith("did:"):
        raise UntrustedIssuerError(f"the presentation holder {holder!r} is not a DID")
    kid = _check_kid(header, holder, "the presentation")
    jwt_policy = JwtPolicy(
        audience=audience,
        required=("exp",) if audience is not None else (),
        max_age_s=None,
        leeway_s=leeway_s,
        clock=clock,
    )
    claims = _signed_claims(
        token,
        kid,
        relationship="authentication",
        resolver=resolver,
        policy=relationship_policy,
        jwt_policy=jwt_policy,
    )
    if nonce is not None and claims.get("nonce") != nonce:
        raise InvalidClaimsError("the presentation nonce does not match the expected nonce")
    document = dict(claims["vp"]) if version == "1.1" else claims
    return version, holder, kid, claims, document


def _credential_tokens(document: Mapping[str, Any], version: VcVersion) -> list[str]:
    entries = document.get("verifiableCredential", [])
    entries = entries if isinstance(entries, list) else [entries]
    tokens: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            tokens.append(entry.removeprefix(f"data:{VC_MEDIA_TYPE},"))
        elif isinstance(entry, Mapping) and "EnvelopedVerifiableCredential" in types_of(entry):
            tokens.extend(enveloped_tokens(entry, VC_MEDIA_TYPE))
        else:
            raise MalformedTokenError(
                f"a VC {version} presentation JWT must carry credential JWTs (or enveloped ones); embedded "
                "credential objects are not accepted here (verify them with verify_data_integrity)"
            )
    return tokens


def verify_vp_jwt(
    token: str,
    *,
    resolver: DidResolver,
    audience: str,
    trusted_issuers: Collection[str] | None = None,
    clock: Callable[[], float] = time.time,
    leeway_s: float = 5,
    relationship_policy: RelationshipPolicy = "strict",
    nonce: str | None = None,
    require_holder_binding: bool = False,
) -> VerifiedPresentation:
    """Verify a presentation JWT and every credential in it.

    Accepted shapes: VC-DM 1.1 (``vp`` claim with VC JWT strings), VC 2.0 (payload = presentation with
    ``EnvelopedVerifiableCredential`` entries), and EDC's double wrap: an ``EnvelopedVerifiablePresentation``
    whose ``id`` holds ``data:application/vp+jwt,<inner>`` (split on ``;``); the inner presentations must
    be signed by the same holder, and carry the audience if they carry one at all.

    Args:
        token: The compact JWT.
        resolver: Resolves the holder and issuer DIDs (did:key is derived locally).
        audience: The verifier's own DID: ``aud`` must contain it (and ``exp`` is required).
        trusted_issuers: When given, every credential's issuer must be one of these.
        clock: Epoch-seconds clock.
        leeway_s: Clock-skew tolerance.
        relationship_policy: ``strict``: the holder key under ``authentication`` and issuer keys under
            ``assertionMethod``; ``lax``: any verification method (stock EDC documents).
        nonce: When given, the ``nonce`` claim must equal it.
        require_holder_binding: Refuse credentials whose subject is not the holder (otherwise this is only
            reported in :attr:`VerifiedPresentation.holder_bound`).

    Returns:
        The verified presentation.

    Raises:
        MalformedTokenError: Not a presentation JWT, or a malformed envelope.
        InvalidClaimsError: Wrong audience, nonce or typ, a missing ``exp``, or (on request) a credential
            not bound to the holder.
        UntrustedIssuerError: A key of another DID, a different holder in an inner layer, or an untrusted
            credential issuer.
        VerificationError: Any failure of :func:`verify_vc_jwt` for a carried credential.
    """
    common: dict[str, Any] = {
        "resolver": resolver,
        "clock": clock,
        "leeway_s": leeway_s,
        "relationship_policy": relationship_policy,
    }
    version, holder, kid, claims, document = _presentation_payload(
        token, audience=audience, nonce=nonce, **common
    )
    documents = [document]
    if "EnvelopedVerifiablePresentation" in types_of(document):
        documents = []
        for inner in enveloped_tokens(document, VP_MEDIA_TYPE):
            _, inner_holder, _, inner_claims, inner_document = _presentation_payload(
                inner, audience=audience if "aud" in peek(inner)[1] else None, nonce=None, **common
            )
            if inner_holder != holder:
                raise UntrustedIssuerError("an enveloped presentation is signed by another holder")
            if "EnvelopedVerifiablePresentation" in types_of(inner_document):
                raise MalformedTokenError("enveloped presentations may be nested only once")
            documents.append(inner_document)
    credentials: list[VerifiedCredential] = []
    for doc in documents:
        for credential_token in _credential_tokens(doc, version):
            credentials.append(verify_vc_jwt(credential_token, trusted_issuers=trusted_issuers, **common))
    bound = all(credential.subject == holder for credential in credentials)
    if require_holder_binding and not bound:
        raise InvalidClaimsError(
            "a credential in the presentation is not about its holder (credentialSubject.id)"
        )
    nonce_claim = claims.get("nonce")
    return VerifiedPresentation(
        holder=holder,
        credentials=tuple(credentials),
        version=version,
        presentation=documents[0] if len(documents) == 1 else {"presentations": documents},
        holder_bound=bound,
        nonce=nonce_claim if isinstance(nonce_claim, str) else None,
        key_id=kid,
    )
