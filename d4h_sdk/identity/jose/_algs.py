"""Which JOSE algorithms a key may use, and the one place where jwcrypto checks a signature."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from d4h_sdk.errors import ConfigurationError, InvalidSignatureError
from d4h_sdk.identity.jose._codec import b64url_decode

__all__ = [
    "ALG_FOR_KEY",
    "ECDSA_SIGNATURE_LENGTHS",
    "MIN_RSA_BITS",
    "SUPPORTED_ALGORITHMS",
    "algorithms_for_key",
    "check_policy_algorithms",
    "key_label",
    "verify_signature",
]

_RSA_ALGS = ("PS256", "PS384", "PS512", "RS256", "RS384", "RS512")

ALG_FOR_KEY: Mapping[tuple[str, str | None], tuple[str, ...]] = MappingProxyType(
    {
        ("EC", "P-256"): ("ES256",),
        ("EC", "P-384"): ("ES384",),
        ("EC", "P-521"): ("ES512",),
        ("EC", "secp256k1"): ("ES256K",),
        ("OKP", "Ed25519"): ("EdDSA", "Ed25519"),
        ("RSA", None): _RSA_ALGS,
    }
)
"""``(kty, crv)`` -> the JOSE algorithms a key of that type may verify (``crv`` is ``None`` for RSA).

The first entry is the one to emit; ``Ed25519`` (RFC 9864) is accepted on verify next to ``EdDSA``, which
EDC requires on the wire.
"""

SUPPORTED_ALGORITHMS: frozenset[str] = frozenset(alg for algs in ALG_FOR_KEY.values() for alg in algs)
"""Every algorithm the SDK signs or verifies with: asymmetric only, never ``none`` or ``HS*``."""

ECDSA_SIGNATURE_LENGTHS: Mapping[str, int] = MappingProxyType(
    {"ES256": 64, "ES256K": 64, "ES384": 96, "ES512": 132}
)
"""Length of a JOSE (raw ``r||s``) ECDSA signature per algorithm."""

MIN_RSA_BITS = 2048
"""Smallest RSA modulus accepted for verification."""


def check_policy_algorithms(algorithms: tuple[str, ...]) -> None:
    """Refuse an allow-list with ``none``, symmetric or unknown algorithms.

    Raises:
        ConfigurationError: The list is empty or names an algorithm the SDK never accepts.
    """
    if not algorithms:
        raise ConfigurationError("the algorithm allow-list is empty; give at least one algorithm or None")
    bad = [alg for alg in algorithms if alg not in SUPPORTED_ALGORITHMS]
    if bad:
        raise ConfigurationError(
            f"algorithm(s) {bad} are not accepted; use asymmetric algorithms from "
            f"{sorted(SUPPORTED_ALGORITHMS)}"
        )


def key_label(key: Mapping[str, Any]) -> str:
    """Describe a JWK's type for messages: ``EC P-256``, ``OKP Ed25519``, ``RSA``."""
    kty, crv = key.get("kty"), key.get("crv")
    return f"{kty} {crv}" if crv is not None and kty != "RSA" else str(kty)


def algorithms_for_key(key: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the algorithms a public JWK may verify, from its ``kty`` and ``crv`` (never its ``alg``).

    Args:
        key: A JWK as a mapping.

    Raises:
        InvalidSignatureError: The key type cannot verify JWS (``oct``, unknown curve, RSA under 2048 bits).
    """
    kty = key.get("kty")
    crv = key.get("crv") if kty != "RSA" else None
    if kty == "oct":
        raise InvalidSignatureError("symmetric (oct) keys are never used to verify tokens: give a public key")
    algs = (
        ALG_FOR_KEY.get((kty, crv))
        if isinstance(kty, str) and (crv is None or isinstance(crv, str))
        else None
    )
    if algs is None:
        raise InvalidSignatureError(
            f"the key type {key_label(key)} cannot verify tokens; supported: EC P-256/P-384/P-521/"
            "secp256k1, OKP Ed25519, RSA"
        )
    if kty == "RSA":
        modulus = key.get("n")
        if not isinstance(modulus, str):
            raise InvalidSignatureError("the RSA key has no modulus 'n'")
        bits = len(b64url_decode(modulus, "key modulus").lstrip(b"\0")) * 8
        if bits < MIN_RSA_BITS:
            raise InvalidSignatureError(f"the RSA key has {bits} bits; at least {MIN_RSA_BITS} are required")
    return algs


def verify_signature(key: Mapping[str, Any], alg: str, signing_input: bytes, signature: bytes) -> None:
    """Check a JWS signature with jwcrypto, using only ``key``.

    The caller has already checked that ``alg`` is allowed for the key and by the policy.

    Raises:
        InvalidSignatureError: The key is unusable or the signature does not verify.
    """
    from cryptography.exceptions import InvalidSignature
    from jwcrypto.common import JWException
    from jwcrypto.jwa import JWA
    from jwcrypto.jwk import JWK

    expected = ECDSA_SIGNATURE_LENGTHS.get(alg)
    if expected is not None and len(signature) != expected:
        hint = " (it looks DER-encoded; JOSE needs raw r||s)" if signature[:1] == b"\x30" else ""
        raise InvalidSignatureError(
            f"the {alg} signature is {len(signature)} bytes, expected {expected}{hint}"
        )
    try:
        jwk = JWK(**dict(key))
    except (JWException, ValueError, TypeError) as exc:
        raise InvalidSignatureError(f"the verification key is not a valid JWK: {type(exc).__name__}") from exc
    try:
        JWA.signing_alg(alg).verify(jwk, signing_input, signature)
    except InvalidSignature as exc:
        raise InvalidSignatureError(f"the {alg} signature does not verify with the given key") from exc
    except (JWException, ValueError, TypeError) as exc:
        # InvalidJWKUsage / InvalidJWKOperation (use=enc, key_ops without verify) and wrong curve end here.
        raise InvalidSignatureError(f"the key cannot verify {alg} signatures: {type(exc).__name__}") from exc
