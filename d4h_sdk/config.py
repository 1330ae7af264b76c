"""Defaults and limits of the SDK, in one place.

Later issues add ``SessionConfig`` and the ``D4H_*`` environment variables here; for now this module holds
the constants that the HTTP core and the decoders share.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_JSON_DEPTH",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_READ_TIMEOUT",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRY_STATUSES",
]

DEFAULT_CONNECT_TIMEOUT: float = 5.0
"""Seconds to wait for a TCP/TLS connection."""

DEFAULT_READ_TIMEOUT: float = 30.0
"""Seconds to wait between bytes of a response."""

DEFAULT_MAX_RETRIES: int = 2
"""Automatic retries of an idempotent request (so at most 3 attempts)."""

INITIAL_RETRY_DELAY: float = 0.5
"""First backoff delay in seconds; doubles each attempt, with jitter."""

MAX_RETRY_DELAY: float = 8.0
"""Largest computed backoff delay in seconds."""

MAX_RETRY_AFTER: float = 120.0
"""Largest ``Retry-After`` the SDK honours; a longer one is not waited for and the error is raised."""

RETRY_STATUSES: frozenset[int] = frozenset({408, 429, 502, 503, 504})
"""HTTP statuses after which an idempotent request is retried."""

DEFAULT_MAX_RESPONSE_BYTES: int = 256 * 1024 * 1024
"""Cap on a buffered (non-streaming) response body: 256 MiB."""

DEFAULT_MAX_PAYLOAD_BYTES: int = 256 * 1024 * 1024
"""Cap on a payload handed to :func:`d4h_sdk.wire.decode`: 256 MiB."""

DEFAULT_MAX_JSON_DEPTH: int = 64
"""Deepest JSON nesting a decoder accepts; deeper input raises ``PayloadTooLargeError``."""
