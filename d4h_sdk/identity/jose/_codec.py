"""Base64url and strict JSON for JOSE: no padding, no duplicate members, compact output."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from d4h_sdk.identity.jose._errors import MalformedTokenError

__all__ = ["b64url_decode", "b64url_encode", "dump_json", "load_json_object", "split_compact"]

_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, what: str) -> bytes:
    """Decode unpadded base64url text.

    Args:
        text: The encoded text (characters already checked by the caller or checked here).
        what: What is decoded, for the error message ("header", "payload", "signature").

    Raises:
        MalformedTokenError: The text is not valid base64url.
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedTokenError(f"the token {what} is not valid unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedTokenError(f"the token {what} is not valid unpadded base64url") from exc


def dump_json(value: Mapping[str, Any]) -> bytes:
    """Serialise a JSON object compactly as UTF-8.

    Raises:
        TypeError: A value is not JSON-serialisable (callers turn it into their own error).
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        names = sorted({name for name, _ in pairs if sum(1 for other, _ in pairs if other == name) > 1})
        raise MalformedTokenError(f"duplicate JSON member(s) {names[:5]}")
    return result


def load_json_object(data: bytes, what: str) -> dict[str, Any]:
    """Parse a JSON object strictly: UTF-8, no duplicate members, no NaN/Infinity.

    Raises:
        MalformedTokenError: The data is not such a JSON object.
    """
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_reject)
    except MalformedTokenError as exc:
        raise MalformedTokenError(f"the token {what} has {exc}") from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedTokenError(f"the token {what} is not valid UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise MalformedTokenError(f"the token {what} is not a JSON object")
    return value


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def split_compact(token: object, max_bytes: int) -> tuple[str, str, str]:
    """Split a compact JWS into its three base64url parts after the size and shape checks.

    Args:
        token: The token text (never echoed in errors).
        max_bytes: The largest accepted token.

    Returns:
        ``(header, payload, signature)``, still encoded.

    Raises:
        MalformedTokenError: Not a string, too large, not ASCII, a JSON serialisation, a JWE, or not three
            base64url parts.
    """
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError as exc:
            raise MalformedTokenError("the token is not ASCII text") from exc
    if not isinstance(token, str):
        raise MalformedTokenError(f"a token must be a str, got {type(token).__name__}")
    if len(token) > max_bytes:
        raise MalformedTokenError(f"the token is {len(token)} bytes, over the limit of {max_bytes} bytes")
    if _COMPACT.fullmatch(token):
        header, payload, signature = token.split(".")
        return header, payload, signature
    stripped = token.lstrip()
    if stripped.startswith("{"):
        raise MalformedTokenError("JWS JSON serialisation is not accepted: send a compact token")
    if stripped[:7].lower() == "bearer ":
        raise MalformedTokenError("the token starts with 'Bearer ': strip the scheme before verifying")
    if token.count(".") == 4:
        raise MalformedTokenError("encrypted tokens (JWE) are not accepted: expected a compact JWS")
    raise MalformedTokenError("the token is not a compact JWS (three base64url parts separated by '.')")
