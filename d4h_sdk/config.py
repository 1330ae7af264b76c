"""Defaults, limits and session configuration of the SDK, in one place.

:class:`SessionConfig` holds every tunable of a :class:`~d4h_sdk.Session`. Its values come, in this order of
precedence, from the arguments you pass, then from ``D4H_*`` environment variables (:data:`ENVIRONMENT`), then
from the defaults below.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from d4h_sdk.errors import ConfigurationError

__all__ = [
    "ENVIRONMENT",
    "SessionConfig",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_JSON_DEPTH",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_READ_TIMEOUT",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "REFUSAL_STATUSES",
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

REFUSAL_STATUSES: frozenset[int] = frozenset({429, 502, 503, 504})
"""Statuses by which a peer refuses a request before acting on it: a state-creating POST answered with one of
them may be sent again without creating a duplicate (a 500 may have acted before failing: never re-sent)."""

DEFAULT_MAX_RESPONSE_BYTES: int = 256 * 1024 * 1024
"""Cap on a buffered (non-streaming) response body: 256 MiB."""

DEFAULT_MAX_PAYLOAD_BYTES: int = 256 * 1024 * 1024
"""Cap on a payload handed to :func:`d4h_sdk.wire.decode`: 256 MiB."""

DEFAULT_MAX_JSON_DEPTH: int = 64
"""Deepest JSON nesting a decoder accepts; deeper input raises ``PayloadTooLargeError``."""


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true/false, got {text!r}")


def _optional_int(text: str) -> int | None:
    return None if text.strip().lower() in ("", "none") else int(text)


ENVIRONMENT: Mapping[str, tuple[str, Callable[[str], Any]]] = {
    "D4H_CONNECT_TIMEOUT": ("connect_timeout", float),
    "D4H_READ_TIMEOUT": ("read_timeout", float),
    "D4H_MAX_RETRIES": ("max_retries", int),
    "D4H_VERIFY_TLS": ("verify_tls", _bool),
    "D4H_POLL_INITIAL": ("poll_initial", float),
    "D4H_POLL_MAX": ("poll_max", float),
    "D4H_NEGOTIATION_TIMEOUT": ("negotiation_timeout", float),
    "D4H_TRANSFER_TIMEOUT": ("transfer_timeout", float),
    "D4H_MAX_WORKERS": ("max_workers", int),
    "D4H_MAX_DOWNLOAD_BYTES": ("max_download_bytes", _optional_int),
    "D4H_EDR_REFRESH_MARGIN": ("edr_refresh_margin", float),
}
"""Environment variable -> (:class:`SessionConfig` field, parser). ``D4H_STORE_PATH`` (the default file store
of the CLI), ``D4H_MANAGEMENT_URL`` and ``D4H_API_KEY`` (defaults of :meth:`Session.edc
<d4h_sdk.Session.edc>`) are read where they are used."""


@dataclass(frozen=True)
class SessionConfig:
    """Every tunable of a session. Immutable: derive a changed copy with :meth:`replace`.

    Attributes:
        connect_timeout: Seconds to wait for a TCP/TLS connection.
        read_timeout: Seconds to wait between bytes of a response.
        max_retries: Automatic retries of an idempotent request.
        verify_tls: Verify TLS certificates (turn off only for a test host you control).
        poll_initial: First poll delay while waiting for a negotiation or transfer, in seconds.
        poll_max: Largest poll delay (the delay grows by :attr:`poll_factor` up to it).
        poll_factor: Growth factor of the poll delay.
        negotiation_timeout: Default deadline of ``negotiate()`` / ``wait()``, in seconds.
        transfer_timeout: Default deadline for a transfer to start, in seconds.
        max_workers: Largest number of concurrent requests in bulk work (catalog over many providers).
        max_download_bytes: Size cap of a download (``None``: no cap for files; ``read_bytes`` keeps its own).
        edr_refresh_margin: An EDR expiring within this many seconds is refreshed before use.
    """

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    verify_tls: bool = True
    poll_initial: float = 0.05
    poll_max: float = 2.0
    poll_factor: float = 1.6
    negotiation_timeout: float = 300.0
    transfer_timeout: float = 120.0
    max_workers: int = 8
    max_download_bytes: int | None = None
    edr_refresh_margin: float = 30.0

    def __post_init__(self) -> None:
        positive = (
            "connect_timeout",
            "read_timeout",
            "poll_initial",
            "poll_max",
            "negotiation_timeout",
            "transfer_timeout",
        )
        for name in positive:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")
        if (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            raise ConfigurationError(f"max_retries must be an integer >= 0, got {self.max_retries!r}")
        if (
            isinstance(self.max_workers, bool)
            or not isinstance(self.max_workers, int)
            or self.max_workers < 1
        ):
            raise ConfigurationError(f"max_workers must be an integer >= 1, got {self.max_workers!r}")
        if not isinstance(self.poll_factor, (int, float)) or self.poll_factor < 1:
            raise ConfigurationError(f"poll_factor must be >= 1, got {self.poll_factor!r}")
        if self.poll_max < self.poll_initial:
            raise ConfigurationError(
                f"poll_max ({self.poll_max}) must not be smaller than poll_initial ({self.poll_initial})"
            )
        if self.max_download_bytes is not None and (
            not isinstance(self.max_download_bytes, int) or self.max_download_bytes < 1
        ):
            raise ConfigurationError(
                f"max_download_bytes must be a positive integer or None, got {self.max_download_bytes!r}"
            )
        if not isinstance(self.verify_tls, bool):
            raise ConfigurationError(f"verify_tls must be True or False, got {self.verify_tls!r}")
        if not isinstance(self.edr_refresh_margin, (int, float)) or self.edr_refresh_margin < 0:
            raise ConfigurationError(f"edr_refresh_margin must be >= 0, got {self.edr_refresh_margin!r}")

    @classmethod
    def resolve(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SessionConfig:
        """Build a configuration: ``overrides`` > ``D4H_*`` environment variables > defaults.

        Args:
            environ: The environment to read (default :data:`os.environ`).
            **overrides: Field values; ``None`` values are ignored (so callers can pass options through).

        Raises:
            ConfigurationError: An unknown field, or a value (argument or environment) that is invalid.
        """
        env = os.environ if environ is None else environ
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ConfigurationError(f"unknown session option(s) {unknown}; known: {sorted(fields)}")
        values: dict[str, Any] = {}
        for variable, (name, parse) in ENVIRONMENT.items():
            raw = env.get(variable)
            if raw is None or raw == "":
                continue
            try:
                values[name] = parse(raw)
            except ValueError as exc:
                raise ConfigurationError(
                    f"environment variable {variable}={raw!r} is invalid: {exc}"
                ) from exc
        from_environment = {ENVIRONMENT[variable][0]: variable for variable in env if variable in ENVIRONMENT}
        given = {k: v for k, v in overrides.items() if v is not None}
        values.update(given)
        try:
            return cls(**values)
        except ConfigurationError as exc:
            culprit = str(exc).split(" ", 1)[0]
            source = from_environment.get(culprit)
            if source is None or culprit in given:
                raise
            raise ConfigurationError(
                f"environment variable {source}={env[source]!r} is invalid: {exc}"
            ) from exc

    def replace(self, **changes: Any) -> SessionConfig:
        """A copy with some fields changed (validated again).

        Raises:
            ConfigurationError: An unknown field or an invalid value.
        """
        fields = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - fields)
        if unknown:
            raise ConfigurationError(f"unknown session option(s) {unknown}; known: {sorted(fields)}")
        return dataclasses.replace(self, **changes)

    def http_options(self) -> dict[str, Any]:
        """Keyword arguments for :class:`~d4h_sdk._http.HttpClient` (timeouts, retries, TLS verification)."""
        return {
            "timeout": (self.connect_timeout, self.read_timeout),
            "max_retries": self.max_retries,
            "verify": self.verify_tls,
        }
