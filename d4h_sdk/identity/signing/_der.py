"""ECDSA signature encodings: DER (``SEQUENCE { INTEGER r, INTEGER s }``) <-> JOSE raw ``r || s``.

Backends whose ECDSA output is DER (``cryptography``, Vault Transit with ``asn1`` marshaling, AWS KMS) convert
here, in one place. Pure Python, no third-party import: the strict DER rules (minimal lengths, no negative or
padded integers, no trailing bytes) are checked so a malformed signature never reaches a token.
"""

from __future__ import annotations

from d4h_sdk.errors import SigningError

__all__ = ["ECDSA_COMPONENT_SIZES", "ecdsa_der_to_jose", "jose_to_ecdsa_der"]

ECDSA_COMPONENT_SIZES: dict[str, int] = {"ES256": 32, "ES256K": 32, "ES384": 48, "ES512": 66}
"""Bytes per component (``r`` and ``s``) of a JOSE ECDSA signature, by algorithm."""

_SEQUENCE = 0x30
_INTEGER = 0x02


def _read_length(der: bytes, pos: int) -> tuple[int, int]:
    """Read a DER length at ``pos``; return ``(length, position after it)``."""
    if pos >= len(der):
        raise SigningError("malformed DER ECDSA signature: truncated length")
    first = der[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0 or count > 2 or pos + count > len(der):
        raise SigningError("malformed DER ECDSA signature: unsupported or truncated length")
    length = int.from_bytes(der[pos : pos + count], "big")
    if length < 0x80 or (count == 2 and length < 0x100):
        raise SigningError("malformed DER ECDSA signature: length not minimally encoded")
    return length, pos + count


def _read_integer(der: bytes, pos: int) -> tuple[int, int]:
    """Read a positive DER INTEGER at ``pos``; return ``(value, position after it)``."""
    if pos >= len(der) or der[pos] != _INTEGER:
        raise SigningError("malformed DER ECDSA signature: INTEGER expected")
    length, pos = _read_length(der, pos + 1)
    if length == 0 or pos + length > len(der):
        raise SigningError("malformed DER ECDSA signature: empty or truncated INTEGER")
    body = der[pos : pos + length]
    if body[0] & 0x80:
        raise SigningError("malformed DER ECDSA signature: negative INTEGER")
    if length > 1 and body[0] == 0 and not body[1] & 0x80:
        raise SigningError("malformed DER ECDSA signature: INTEGER not minimally encoded")
    return int.from_bytes(body, "big"), pos + length


def ecdsa_der_to_jose(der: bytes, algorithm: str) -> bytes:
    """Convert a DER ECDSA signature to the JOSE form: ``r`` and ``s`` as fixed-size big-endian integers.

    Args:
        der: The DER-encoded ``SEQUENCE { INTEGER r, INTEGER s }``.
        algorithm: The JOSE algorithm, which fixes the component size: ``ES256`` and ``ES256K`` (32 bytes
            each), ``ES384`` (48), ``ES512`` (66).

    Returns:
        ``r || s`` (64, 96 or 132 bytes).

    Raises:
        SigningError: The DER is malformed, a component is zero or too large for the algorithm, or the
            algorithm is not an ECDSA algorithm.
    """
    size = ECDSA_COMPONENT_SIZES.get(algorithm)
    if size is None:
        raise SigningError(
            f"{algorithm!r} is not a JOSE ECDSA algorithm; expected one of {sorted(ECDSA_COMPONENT_SIZES)}"
        )
    data = bytes(der)
    if not data or data[0] != _SEQUENCE:
        raise SigningError("malformed DER ECDSA signature: SEQUENCE expected")
    length, pos = _read_length(data, 1)
    if pos + length != len(data):
        raise SigningError("malformed DER ECDSA signature: SEQUENCE length does not match the data")
    r, pos = _read_integer(data, pos)
    s, pos = _read_integer(data, pos)
    if pos != len(data):
        raise SigningError("malformed DER ECDSA signature: trailing bytes inside the SEQUENCE")
    limit = 1 << (8 * size)
    if not (0 < r < limit and 0 < s < limit):
        raise SigningError(f"DER ECDSA signature components out of range for {algorithm}")
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _encode_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # one spare byte keeps the sign bit clear
    if len(body) > 1 and body[0] == 0 and not body[1] & 0x80:
        body = body[1:]
    return bytes([_INTEGER]) + _encode_length(len(body)) + body


def jose_to_ecdsa_der(raw: bytes) -> bytes:
    """Convert a JOSE ECDSA signature (``r || s``, equal halves) to DER, for DER-only verifiers.

    Args:
        raw: The JOSE signature (64, 96 or 132 bytes for ES256, ES384, ES512).

    Returns:
        The DER-encoded ``SEQUENCE { INTEGER r, INTEGER s }``.

    Raises:
        SigningError: The length is odd or zero, or a component is zero.
    """
    data = bytes(raw)
    if not data or len(data) % 2:
        raise SigningError(f"a JOSE ECDSA signature has two equal halves; got {len(data)} bytes")
    half = len(data) // 2
    r = int.from_bytes(data[:half], "big")
    s = int.from_bytes(data[half:], "big")
    if r == 0 or s == 0:
        raise SigningError("a JOSE ECDSA signature component is zero")
    body = _encode_integer(r) + _encode_integer(s)
    return bytes([_SEQUENCE]) + _encode_length(len(body)) + body
