"""Multibase base58btc (``z...``) for Data Integrity proof values, and did:key documents.

Decoding reuses the DID package's base58btc decoder; encoding is the inverse. A did:key DID carries its
public key, so its DID document is derived locally (no network): one Multikey verification method listed
under every relationship, as the did:key method specifies.
"""

from __future__ import annotations

from typing import Any

from d4h_sdk.errors import DidResolutionError, MalformedTokenError
from d4h_sdk.identity.did import DidDocument
from d4h_sdk.identity.did._multikey import MultikeyError, base58btc_decode, multibase_to_jwk

__all__ = ["did_key_document", "multibase_decode", "multibase_encode"]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def multibase_encode(data: bytes) -> str:
    """Encode bytes as multibase base58btc: ``z`` + base58btc(data).

    Args:
        data: The bytes (a signature, a multicodec-prefixed key).

    Returns:
        The multibase text.
    """
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    while number:
        number, digit = divmod(number, 58)
        chars.append(_ALPHABET[digit])
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "z" + "1" * zeros + "".join(reversed(chars))


def multibase_decode(value: object, what: str = "proofValue") -> bytes:
    """Decode a multibase base58btc value (``z...``).

    Args:
        value: The value read from a document.
        what: Its name, for the error message.

    Returns:
        The decoded bytes.

    Raises:
        MalformedTokenError: Not a string, not base58btc (``z`` header), or not decodable.
    """
    if not isinstance(value, str) or not value.startswith("z"):
        raise MalformedTokenError(f"{what} must be a multibase base58btc string starting with 'z'")
    try:
        return base58btc_decode(value[1:])
    except MultikeyError as exc:
        raise MalformedTokenError(f"{what} is not valid base58btc: {exc}") from exc


def did_key_document(did: str) -> DidDocument:
    """Derive the DID document of a did:key DID (Ed25519, P-256, P-384 or secp256k1 Multikey).

    Args:
        did: ``did:key:z...`` (without fragment).

    Returns:
        A document with one Multikey method ``did#<multibase>`` under every verification relationship.

    Raises:
        DidResolutionError: The DID is not a did:key with a supported, well-formed key.
    """
    multibase = did.removeprefix("did:key:")
    if not did.startswith("did:key:") or "#" in did or not multibase.startswith("z"):
        raise DidResolutionError(f"{did!r} is not a did:key DID with a base58btc Multikey")
    try:
        jwk = multibase_to_jwk(multibase)
    except MultikeyError as exc:
        raise DidResolutionError(f"the did:key {did!r} does not hold a valid key: {exc}") from exc
    if jwk is None:
        raise DidResolutionError(f"the did:key {did!r} holds a key type the SDK does not support")
    method_id = f"{did}#{multibase}"
    document: dict[str, Any] = {
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": multibase}
        ],
    }
    for relationship in ("authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"):
        document[relationship] = [method_id]
    return DidDocument.model_validate(document)
