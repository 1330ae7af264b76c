"""JSON Canonicalization Scheme (RFC 8785) as eddsa-jcs-2022 hashes documents: UTF-8 bytes of the JCS text."""

from __future__ import annotations

from typing import Any

from d4h_sdk.errors import EncodeError, MalformedTokenError
from d4h_sdk.identity._jcs import canonicalize

__all__ = ["jcs"]


def jcs(value: Any) -> bytes:
    """Canonicalise a JSON value per RFC 8785.

    Args:
        value: Parsed JSON (dicts, lists, strings, numbers, booleans, ``None``).

    Returns:
        The canonical UTF-8 bytes.

    Raises:
        MalformedTokenError: The value holds something JSON cannot represent (NaN, a lone surrogate, ...).
    """
    try:
        return canonicalize(value).encode("utf-8")
    except EncodeError as exc:
        raise MalformedTokenError(str(exc)) from exc
