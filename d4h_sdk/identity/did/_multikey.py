"""Multikey (``publicKeyMultibase``) -> JWK, with our own base58btc decoder and point decompression.

A Multikey value is ``z`` (multibase base58btc) + base58btc(varint multicodec prefix + key bytes)
(W3C Controlled Identifiers 1.0, "Multikey"). Supported prefixes: ``0xed01`` Ed25519 (32 bytes),
``0x8024`` P-256 and ``0x8124`` P-384 (compressed points), ``0xe701`` secp256k1 (compressed point).
Compressed points are expanded with plain modular arithmetic (all three curves have ``p = 3 mod 4``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

__all__ = ["MultikeyError", "base58btc_decode", "multibase_to_jwk", "raw_ed25519_to_jwk"]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}
_MAX_CHARS = 512


class MultikeyError(ValueError):
    """A ``publicKeyMultibase`` value is malformed (private to the DID package; mapped by callers)."""


@dataclass(frozen=True)
class _Curve:
    name: str
    size: int
    p: int
    a: int
    b: int


_P256 = _Curve(
    "P-256",
    32,
    0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
    -3,
    0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
)
_P384 = _Curve(
    "P-384",
    48,
    2**384 - 2**128 - 2**96 + 2**32 - 1,
    -3,
    0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
)
_SECP256K1 = _Curve("secp256k1", 32, 2**256 - 2**32 - 977, 0, 7)

_PREFIXES: dict[bytes, _Curve | None] = {
    b"\xed\x01": None,  # Ed25519
    b"\x80\x24": _P256,
    b"\x81\x24": _P384,
    b"\xe7\x01": _SECP256K1,
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base58btc_decode(text: str) -> bytes:
    """Decode base58btc (the Bitcoin alphabet); leading ``1`` characters become zero bytes.

    Args:
        text: The encoded text, without the multibase ``z`` header.

    Returns:
        The decoded bytes.

    Raises:
        MultikeyError: A character is outside the alphabet, or the text is empty or too long.
    """
    if not text or len(text) > _MAX_CHARS:
        raise MultikeyError(f"base58btc text must have 1 to {_MAX_CHARS} characters")
    number = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            raise MultikeyError(f"{char!r} is not a base58btc character")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + body


def _decompress(curve: _Curve, point: bytes) -> tuple[bytes, bytes]:
    if len(point) != curve.size + 1 or point[0] not in (2, 3):
        raise MultikeyError(f"a {curve.name} key must be a {curve.size + 1}-byte compressed point")
    x = int.from_bytes(point[1:], "big")
    p = curve.p
    if x >= p:
        raise MultikeyError(f"the {curve.name} x coordinate is out of range")
    rhs = (pow(x, 3, p) + curve.a * x + curve.b) % p
    y = pow(rhs, (p + 1) // 4, p)
    if y * y % p != rhs:
        raise MultikeyError(f"the {curve.name} point is not on the curve")
    if y % 2 != point[0] % 2:
        y = p - y
    return point[1:], y.to_bytes(curve.size, "big")


def raw_ed25519_to_jwk(key: bytes) -> dict[str, Any]:
    """Wrap a raw 32-byte Ed25519 public key as an OKP JWK.

    Args:
        key: The public key bytes.

    Returns:
        ``{"kty": "OKP", "crv": "Ed25519", "x": ...}``.

    Raises:
        MultikeyError: The key is not 32 bytes long.
    """
    if len(key) != 32:
        raise MultikeyError("an Ed25519 public key must be 32 bytes")
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(key)}


def multibase_to_jwk(value: str) -> dict[str, Any] | None:
    """Convert a Multikey ``publicKeyMultibase`` to a public JWK.

    Args:
        value: ``z`` + base58btc(multicodec prefix + key).

    Returns:
        The JWK, or ``None`` for a well-formed value of an unsupported key type.

    Raises:
        MultikeyError: The value is malformed (header, encoding, length, or a point off the curve).
    """
    if not value.startswith("z"):
        raise MultikeyError("publicKeyMultibase must start with 'z' (base58btc)")
    data = base58btc_decode(value[1:])
    prefix, key = data[:2], data[2:]
    if prefix not in _PREFIXES:
        return None
    curve = _PREFIXES[prefix]
    if curve is None:
        return raw_ed25519_to_jwk(key)
    x, y = _decompress(curve, key)
    return {"kty": "EC", "crv": curve.name, "x": _b64url(x), "y": _b64url(y)}
