"""Keyed pseudonyms: HMAC-SHA256 under a caller-held key, separated per context (project, permit)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from d4h_sdk.errors import ConfigurationError

__all__ = ["MIN_KEY_BYTES", "pseudonymise"]

MIN_KEY_BYTES = 32
"""Shortest key accepted: 32 bytes (256 bits, the HMAC-SHA256 output length; RFC 2104 advises no less)."""

_LABEL = b"d4h-sdk/pseudonym/v1"


def _context_key(key: bytes, context: str) -> bytes:
    """Derive the per-context key: ``HMAC-SHA256(key, label || 0x00 || context)``."""
    return hmac.new(key, _LABEL + b"\x00" + context.encode("utf-8"), hashlib.sha256).digest()


def pseudonymise(values: Iterable[str | int], key: bytes, *, context: str) -> list[str]:
    """Replace identifiers by keyed pseudonyms, stable per ``(key, context)``.

    Each value becomes ``HMAC-SHA256(k_ctx, value)`` as 64 lowercase hex characters, where
    ``k_ctx = HMAC-SHA256(key, "d4h-sdk/pseudonym/v1" || 0x00 || context)``. The same identifier gets the same
    pseudonym under the same key and context (so records stay linkable across resources), and unrelated
    pseudonyms under another context (so two projects or permits cannot link their extracts). Without the
    key nobody can recompute or reverse them — unlike a plain hash of an identifier, which anyone can
    recompute from a list of candidates.

    The key is the caller's: keep it outside the SDK (HDAB, trusted third party, a KMS), refer to it by a key
    id only. The SDK never stores, logs or echoes it.

    Args:
        values: The identifiers (``str``, or ``int`` written in decimal).
        key: The secret key, at least :data:`MIN_KEY_BYTES` bytes of random data.
        context: The separation label, e.g. a project or data-permit id; must not be empty.

    Returns:
        One pseudonym per value, in order.

    Raises:
        ConfigurationError: The key is not bytes or shorter than 32 bytes, the context is empty, or a value
            is neither ``str`` nor ``int`` (the message gives its position and type, never the value).
    """
    if not isinstance(key, (bytes, bytearray)):
        raise ConfigurationError(f"the pseudonym key must be bytes, not {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"the pseudonym key is {len(key)} bytes; use at least {MIN_KEY_BYTES} random bytes "
            "(e.g. secrets.token_bytes(32))"
        )
    if not isinstance(context, str) or not context:
        raise ConfigurationError("pseudonymise() needs a non-empty context (a project or permit id)")
    derived = _context_key(bytes(key), context)
    result: list[str] = []
    for position, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ConfigurationError(
                f"pseudonymise() takes str or int identifiers; item {position} is {type(value).__name__}"
            )
        result.append(hmac.new(derived, str(value).encode("utf-8"), hashlib.sha256).hexdigest())
    return result
