"""Verify compact JWTs and detached JWS with every defence of ``notes/identity.md`` §9.

Order: size and shape before any parsing; header (algorithm allow-list intersected with the key type,
``crit``, ``typ``); signature with the given key only; then claims (required, times, issuer, audience,
subject, ``kid`` binding); the replay cache last, so that a rejected token never burns its ``jti``.
Header members that carry keys or key locations (``jwk``, ``jku``, ``x5u``, ``x5c``) are ignored: they are
never fetched and never used as a key. Error messages never contain the token.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from d4h_sdk.errors import ExpiredTokenError, InvalidSignatureError, UntrustedIssuerError
from d4h_sdk.identity.jose._algs import (
    SUPPORTED_ALGORITHMS,
    algorithms_for_key,
    check_policy_algorithms,
    key_label,
    verify_signature,
)
from d4h_sdk.identity.jose._codec import b64url_decode, load_json_object, split_compact
from d4h_sdk.identity.jose._errors import InvalidClaimsError, MalformedTokenError, ReplayedTokenError
from d4h_sdk.identity.jose._policy import DEFAULT_MAX_TOKEN_BYTES, JwtPolicy
from d4h_sdk.identity.jose._replay import ReplayCache

__all__ = ["peek", "verify_compact", "verify_detached_b64false"]

_DETACHED = re.compile(r"([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)")
_TIME_CLAIMS = ("exp", "nbf", "iat")


def _show(value: object, limit: int = 80) -> str:
    """A short, safe rendering of an untrusted value for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _when(epoch: float) -> str:
    try:
        return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return f"{epoch:g}"


def _checked_algorithm(
    header: Mapping[str, Any], key: Mapping[str, Any], accepted: Sequence[str] | None
) -> str:
    """Return the header's ``alg`` if the key type and the allow-list both accept it."""
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise MalformedTokenError("the token header has no 'alg'")
    if alg.lower() == "none":
        raise InvalidSignatureError("unsigned tokens (alg 'none') are never accepted")
    if alg.upper().startswith("HS"):
        raise InvalidSignatureError(
            f"symmetric algorithm {_show(alg)} is not accepted: tokens must be signed with the issuer's "
            "private key"
        )
    key_algs = algorithms_for_key(key)
    if accepted is not None and not set(key_algs).intersection(accepted):
        raise InvalidSignatureError(
            f"the {key_label(key)} key allows {list(key_algs)}, none of the accepted algorithms "
            f"{list(accepted)}"
        )
    if alg not in key_algs:
        if alg in SUPPORTED_ALGORITHMS:
            raise InvalidSignatureError(
                f"the token says alg {alg} but the {key_label(key)} key allows only {list(key_algs)}"
            )
        raise InvalidSignatureError(f"unknown or unsupported algorithm {_show(alg)}")
    if accepted is not None and alg not in accepted:
        raise InvalidSignatureError(f"algorithm {alg} is not in the accepted list {list(accepted)}")
    return alg


def _signature(encoded: str) -> bytes:
    signature = b64url_decode(encoded, "signature")
    if not signature:
        raise InvalidSignatureError("the token has no signature")
    return signature


def _check_typ(header: Mapping[str, Any], accepted: Sequence[str]) -> None:
    typ = header.get("typ")
    wanted = {value.lower().removeprefix("application/") for value in accepted}
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") not in wanted:
        raise InvalidClaimsError(f"the token typ {_show(typ)} is not one of {list(accepted)}")


def _time_claims(claims: Mapping[str, Any], policy: JwtPolicy) -> dict[str, float]:
    times: dict[str, float] = {}
    for name in _TIME_CLAIMS:
        if name in claims:
            value = claims[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidClaimsError(f"the '{name}' claim is not a NumericDate (seconds since the epoch)")
            times[name] = float(value)
    now = policy.clock()
    leeway = policy.leeway_s
    if "exp" in times and now >= times["exp"] + leeway:
        raise ExpiredTokenError(
            f"the token expired at {_when(times['exp'])} (now {_when(now)}, leeway {leeway:g} s)"
        )
    if "nbf" in times and times["nbf"] > now + leeway:
        raise ExpiredTokenError(
            f"the token is not valid before {_when(times['nbf'])} (now {_when(now)}, leeway {leeway:g} s)"
        )
    if "iat" in times:
        if times["iat"] > now + leeway:
            raise ExpiredTokenError(
                f"the token claims to be issued in the future, at {_when(times['iat'])} (now {_when(now)})"
            )
        if policy.max_age_s is not None and now - times["iat"] > policy.max_age_s + leeway:
            raise ExpiredTokenError(
                f"the token was issued {now - times['iat']:.0f} s ago, more than the maximum age of "
                f"{policy.max_age_s:g} s"
            )
    return times


def _check_audience(claims: Mapping[str, Any], accepted: Sequence[str]) -> None:
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else None
    if values is None or not all(isinstance(value, str) for value in values):
        raise InvalidClaimsError(f"the token has no valid 'aud' claim; expected {list(accepted)}")
    if not set(values).intersection(accepted):
        raise InvalidClaimsError(f"the token audience {_show(aud)} does not include {list(accepted)}")


def _check_claims(
    header: Mapping[str, Any], claims: Mapping[str, Any], policy: JwtPolicy
) -> dict[str, float]:
    missing = [name for name in policy.required if name not in claims]
    if missing:
        raise InvalidClaimsError(f"the token lacks required claim(s) {missing}")
    times = _time_claims(claims, policy)
    if policy.issuer is not None and claims.get("iss") != policy.issuer:
        raise UntrustedIssuerError(
            f"the token issuer {_show(claims.get('iss'))} is not the expected issuer {policy.issuer!r}"
        )
    if policy.audience is not None:
        _check_audience(claims, policy.audience)
    if policy.subject is not None and claims.get("sub") != policy.subject:
        raise InvalidClaimsError(
            f"the token subject {_show(claims.get('sub'))} is not the expected subject {policy.subject!r}"
        )
    if policy.require_kid_prefix:
        issuer = policy.issuer if policy.issuer is not None else claims.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise InvalidClaimsError("the token has no 'iss' claim to bind its key id to")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid.startswith(issuer + "#"):
            raise UntrustedIssuerError(
                f"the token key id {_show(kid)} is not a key of the issuer {issuer!r} "
                f"(it must start with '{issuer}#')"
            )
    return times


def _remember(
    claims: Mapping[str, Any], times: Mapping[str, float], policy: JwtPolicy, replay: ReplayCache
) -> None:
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidClaimsError("replay protection needs a non-empty 'jti' claim")
    bounds = []
    if "exp" in times:
        bounds.append(times["exp"] + policy.leeway_s)
    if "iat" in times and policy.max_age_s is not None:
        bounds.append(times["iat"] + policy.max_age_s + policy.leeway_s)
    if not bounds:
        raise InvalidClaimsError("replay protection needs an 'exp' claim, or 'iat' with a policy max_age_s")
    issuer = claims.get("iss")
    if not replay.check_and_add(
        jti, issuer=issuer if isinstance(issuer, str) else None, expires_at=min(bounds)
    ):
        raise ReplayedTokenError("the token id (jti) was already used: the token is being replayed")


def verify_compact(
    token: str,
    *,
    key: Mapping[str, Any],
    policy: JwtPolicy,
    replay: ReplayCache | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a compact JWT with one public key and a policy.

    Only ``key`` is used: ``jwk``, ``jku``, ``x5u`` and ``x5c`` header members are ignored (never fetched,
    never trusted). The algorithm must be allowed by the key type (``kty``/``crv``, never the JWK ``alg``)
    and by ``policy.algorithms``; ``none`` and ``HS*`` are always refused. Any ``crit`` header is refused.

    Args:
        token: The compact JWS (without a ``Bearer `` prefix).
        key: The issuer's public JWK.
        policy: The claim, header and size checks to apply.
        replay: A cache of seen ``jti`` values; when given, ``jti`` is required and a replay is refused.

    Returns:
        ``(header, claims)``.

    Raises:
        MalformedTokenError: Too large, not compact, bad base64url or JSON, or an unknown ``crit``.
        InvalidSignatureError: Disallowed algorithm, algorithm not matching the key, unusable key, or a
            signature that does not verify.
        ExpiredTokenError: Expired, not yet valid, issued in the future or older than ``max_age_s``.
        UntrustedIssuerError: Wrong ``iss``, or a ``kid`` that is not the issuer's (``require_kid_prefix``).
        InvalidClaimsError: Missing required claims, wrong ``aud``/``sub``/``typ``, malformed time claims.
        ReplayedTokenError: The ``jti`` was seen before.
    """
    encoded_header, encoded_payload, encoded_signature = split_compact(token, policy.max_token_bytes)
    header = load_json_object(b64url_decode(encoded_header, "header"), "header")
    alg = _checked_algorithm(header, key, policy.algorithms)
    if "crit" in header:
        raise MalformedTokenError(
            f"the token header marks {_show(header['crit'])} as critical; this verifier understands no "
            "critical header extensions"
        )
    if "b64" in header:
        raise MalformedTokenError("the 'b64' header is not allowed in a JWT")
    if policy.typ is not None:
        _check_typ(header, policy.typ)
    signing_input = f"{encoded_header}.{encoded_payload}".encode("ascii")
    verify_signature(key, alg, signing_input, _signature(encoded_signature))
    claims = load_json_object(b64url_decode(encoded_payload, "payload"), "payload")
    times = _check_claims(header, claims, policy)
    if replay is not None:
        _remember(claims, times, policy, replay)
    return header, claims


def peek(
    token: str, *, max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decode a compact JWT WITHOUT verifying it — unsafe: use the result only to route (pick a key, a DID).

    Nothing in the result is authenticated: never make a trust decision on it; call :func:`verify_compact`.

    Args:
        token: The compact JWS.
        max_token_bytes: Larger tokens are refused before parsing.

    Returns:
        ``(header, claims)``, unverified.

    Raises:
        MalformedTokenError: The token is not a well-formed compact JWT.
    """
    encoded_header, encoded_payload, _ = split_compact(token, max_token_bytes)
    header = load_json_object(b64url_decode(encoded_header, "header"), "header")
    claims = load_json_object(b64url_decode(encoded_payload, "payload"), "payload")
    return header, claims


def verify_detached_b64false(
    jws: str,
    verify_data: bytes,
    *,
    key: Mapping[str, Any],
    algorithms: Sequence[str] | None,
) -> dict[str, Any]:
    """Verify a detached, unencoded-payload JWS (``header..signature``, RFC 7797) over ``verify_data``.

    Args:
        jws: The detached JWS.
        verify_data: The raw bytes that were signed.
        key: The signer's public JWK.
        algorithms: Accepted algorithms (intersected with the key type), or ``None`` for what the key allows.

    Returns:
        The protected header.

    Raises:
        MalformedTokenError: Not a detached JWS, or its header is not ``b64: false`` with ``crit: ["b64"]``.
        InvalidSignatureError: Disallowed algorithm or a signature that does not verify.
        ConfigurationError: ``algorithms`` names an algorithm that is never accepted.
    """
    if algorithms is not None:
        algorithms = (algorithms,) if isinstance(algorithms, str) else tuple(algorithms)
        check_policy_algorithms(algorithms)
    if not isinstance(jws, str) or len(jws) > DEFAULT_MAX_TOKEN_BYTES:
        raise MalformedTokenError("the detached JWS is not a string of acceptable size")
    match = _DETACHED.fullmatch(jws)
    if match is None:
        raise MalformedTokenError("not a detached JWS: expected 'header..signature'")
    encoded_header, encoded_signature = match.groups()
    header = load_json_object(b64url_decode(encoded_header, "header"), "header")
    alg = _checked_algorithm(header, key, algorithms)
    crit = header.get("crit")
    if header.get("b64") is not False or not isinstance(crit, list) or "b64" not in crit:
        raise MalformedTokenError('the detached JWS header must have "b64": false and "crit": ["b64"]')
    unknown = [name for name in crit if name != "b64"]
    if unknown:
        raise MalformedTokenError(
            f"the JWS header marks {_show(unknown)} as critical; only 'b64' is understood"
        )
    signing_input = encoded_header.encode("ascii") + b"." + bytes(verify_data)
    verify_signature(key, alg, signing_input, _signature(encoded_signature))
    return header
