"""Assemble compact and detached JWS around a :class:`~d4h_sdk.identity.signing.Signer`.

The SDK builds the header and the signing input; the signer only returns the signature bytes, which are
checked for the JOSE form (an ECDSA signature of the wrong length, typically DER from a broken backend, is
refused here rather than sent to a peer that would reject it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d4h_sdk.errors import ConfigurationError, D4HError, SigningError
from d4h_sdk.identity.jose._algs import ECDSA_SIGNATURE_LENGTHS, SUPPORTED_ALGORITHMS
from d4h_sdk.identity.jose._codec import b64url_encode, dump_json
from d4h_sdk.identity.signing._protocol import Signer

__all__ = ["sign_compact", "sign_detached_b64false"]

_RESERVED_DETACHED = frozenset({"alg", "b64", "crit"})


def _algorithm(signer: Signer) -> str:
    alg = signer.algorithm
    if alg not in SUPPORTED_ALGORITHMS:
        raise ConfigurationError(
            f"the signer declares algorithm {alg!r}; the SDK signs only with {sorted(SUPPORTED_ALGORITHMS)}"
        )
    return alg


def _encode_header(header: Mapping[str, Any]) -> str:
    try:
        return b64url_encode(dump_json(header))
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"the JOSE header is not JSON-serialisable: {exc}") from exc


def _signature(signer: Signer, alg: str, signing_input: bytes) -> str:
    try:
        signature = signer.sign(signing_input)
    except D4HError:
        raise
    except Exception as exc:
        raise SigningError(f"the {type(signer).__name__} signer failed with {type(exc).__name__}") from exc
    if not isinstance(signature, (bytes, bytearray)):
        raise SigningError(
            f"the {type(signer).__name__} signer returned {type(signature).__name__}, not bytes"
        )
    if not signature:
        raise SigningError(f"the {type(signer).__name__} signer returned an empty signature")
    expected = ECDSA_SIGNATURE_LENGTHS.get(alg)
    if expected is not None and len(signature) != expected:
        hint = (
            " (it looks DER-encoded: convert it with ecdsa_der_to_jose)" if signature[:1] == b"\x30" else ""
        )
        raise SigningError(
            f"the {type(signer).__name__} signer returned a {len(signature)}-byte {alg} signature, "
            f"expected {expected} bytes of raw r||s{hint}"
        )
    return b64url_encode(bytes(signature))


def sign_compact(
    signer: Signer,
    payload: Mapping[str, Any] | bytes,
    *,
    typ: str | None = "JWT",
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign a payload as a compact JWS (a JWT when the payload is a claims mapping).

    The protected header is ``{"alg": signer.algorithm, "kid": signer.key_id, "typ": typ}`` plus ``headers``
    (``kid`` is left out when the signer has no key id, ``typ`` when it is ``None``).

    Args:
        signer: The signing backend.
        payload: JWT claims (serialised as compact UTF-8 JSON) or raw payload bytes.
        typ: The ``typ`` header; ``None`` leaves it out.
        headers: Extra protected header members; ``alg`` may not differ from the signer's algorithm.

    Returns:
        The compact serialisation ``header.payload.signature``.

    Raises:
        ConfigurationError: The signer's algorithm is not supported, ``headers`` tries to change ``alg``, or
            the header or claims are not JSON-serialisable.
        SigningError: The signer failed or returned a signature in the wrong form (for example DER).
    """
    alg = _algorithm(signer)
    header: dict[str, Any] = {"alg": alg}
    key_id = signer.key_id
    if key_id:
        header["kid"] = key_id
    if typ is not None:
        header["typ"] = typ
    if headers:
        if "alg" in headers and headers["alg"] != alg:
            raise ConfigurationError(f"headers set alg={headers['alg']!r} but the signer uses {alg!r}")
        header.update(headers)
    if isinstance(payload, (bytes, bytearray)):
        body = bytes(payload)
    else:
        try:
            body = dump_json(payload)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"the claims are not JSON-serialisable: {exc}") from exc
    signing_input = _encode_header(header) + "." + b64url_encode(body)
    return signing_input + "." + _signature(signer, alg, signing_input.encode("ascii"))


def sign_detached_b64false(
    signer: Signer, verify_data: bytes, *, headers: Mapping[str, Any] | None = None
) -> str:
    """Sign ``verify_data`` as a detached, unencoded-payload JWS (RFC 7797), as JsonWebSignature2020 uses.

    The header is ``{"alg": signer.algorithm, "b64": false, "crit": ["b64"]}`` plus ``headers``; the signing
    input is ``b64url(header) + "." + verify_data`` and the result is ``header..signature``.

    Args:
        signer: The signing backend.
        verify_data: The raw bytes to sign (for Data Integrity: the hashes of proof options and document).
        headers: Extra protected header members (for example ``kid``); not ``alg``, ``b64`` or ``crit``.

    Returns:
        The detached JWS ``header..signature``.

    Raises:
        ConfigurationError: The signer's algorithm is not supported or ``headers`` sets a reserved member.
        SigningError: The signer failed or returned a signature in the wrong form.
    """
    alg = _algorithm(signer)
    reserved = sorted(_RESERVED_DETACHED.intersection(headers or {}))
    if reserved:
        raise ConfigurationError(f"headers may not set {reserved} on a detached b64=false JWS")
    header: dict[str, Any] = {"alg": alg, "b64": False, "crit": ["b64"], **(headers or {})}
    encoded_header = _encode_header(header)
    signing_input = encoded_header.encode("ascii") + b"." + bytes(verify_data)
    return encoded_header + ".." + _signature(signer, alg, signing_input)
