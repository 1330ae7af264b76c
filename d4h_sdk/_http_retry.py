"""Timeouts and retry policy of the HTTP core: what is retried, how long to wait, a DEBUG log per decision.

Only idempotent methods are ever retried: DSP and EDC POSTs create state on the peer and carry no idempotency
key, so after an ambiguous failure the caller reconciles by querying state instead of replaying.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

import tenacity

from d4h_sdk.config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_DELAY,
    RETRY_STATUSES,
)
from d4h_sdk.errors import APIConnectionError, APITimeoutError, ConfigurationError

__all__ = ["IDEMPOTENT_METHODS", "RetryPolicy", "Timeout", "parse_retry_after"]

logger = logging.getLogger("d4h_sdk.http")

IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
"""Methods the client may send again after a failure."""


class _Answer(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


_A = TypeVar("_A", bound=_Answer)


@dataclass(frozen=True)
class Timeout:
    """Connect and read timeouts in seconds (read: the longest wait between two bytes of the answer).

    Attributes:
        connect: Seconds to establish the TCP/TLS connection.
        read: Seconds to wait for each piece of the response.
    """

    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT

    def __post_init__(self) -> None:
        for name in ("connect", "read"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigurationError(
                    f"Timeout.{name} must be a positive number of seconds, got {value!r}"
                )

    @classmethod
    def coerce(
        cls, value: Timeout | float | tuple[float, float] | None, default: Timeout | None = None
    ) -> Timeout:
        """Turn a timeout argument into a :class:`Timeout`.

        Args:
            value: A :class:`Timeout`, one number for both phases, a ``(connect, read)`` pair, or ``None``.
            default: What ``None`` means (the SDK defaults when not given).

        Returns:
            The timeout.

        Raises:
            ConfigurationError: The value is not a positive number, pair or Timeout.
        """
        if value is None:
            return default if default is not None else cls()
        if isinstance(value, Timeout):
            return value
        if isinstance(value, tuple) and len(value) == 2:
            return cls(connect=value[0], read=value[1])
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(connect=value, read=value)
        raise ConfigurationError(
            f"timeout must be a number, a (connect, read) pair or a Timeout, got {value!r}"
        )


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Parse a ``Retry-After`` header: delta-seconds or an HTTP-date.

    Args:
        value: The header value, or ``None``.
        now: Wall clock in seconds since the epoch (injectable for tests).

    Returns:
        Seconds to wait (0 for a date in the past), or ``None`` if absent or malformed.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - now())
    return seconds if seconds >= 0 else None


@dataclass(frozen=True)
class RetryPolicy:
    """How one :class:`~d4h_sdk._http.HttpClient` retries.

    Attributes:
        max_retries: Retries after the first attempt (so ``max_retries + 1`` attempts at most).
        max_retry_after: Longest ``Retry-After`` honoured; a longer one is not waited for.
        sleep: The sleep function (injectable so tests do not wait).
    """

    max_retries: int
    max_retry_after: float
    sleep: Callable[[float], None]

    def run(
        self, method: str, safe_url: str, attempt: Callable[[], _A], *, allow_status: Collection[int]
    ) -> _A:
        """Call ``attempt`` until it succeeds or a failure is not worth retrying.

        ``attempt`` returns an answer (any status) or raises; an :class:`~d4h_sdk.errors.APIConnectionError`
        (timeouts included) or a status in :data:`~d4h_sdk.config.RETRY_STATUSES` (unless listed in
        ``allow_status``) is retried for idempotent methods. Other exceptions propagate at once.

        Args:
            method: The HTTP method, upper case.
            safe_url: The redacted URL, for log lines.
            attempt: One full exchange (redirects included).
            allow_status: Statuses the caller handles itself; they are never retried.

        Returns:
            The last answer.
        """
        retry_statuses = RETRY_STATUSES - frozenset(allow_status)
        backoff = tenacity.wait_exponential_jitter(
            multiplier=INITIAL_RETRY_DELAY, max=MAX_RETRY_DELAY, jitter=INITIAL_RETRY_DELAY
        )

        def retry_after(state: tenacity.RetryCallState) -> float | None:
            outcome = state.outcome
            if outcome is None or outcome.failed:
                return None
            answer: _A = outcome.result()
            return parse_retry_after(answer.headers.get("Retry-After"))

        def should_retry(state: tenacity.RetryCallState) -> bool:
            outcome = state.outcome
            assert outcome is not None  # tenacity calls the predicate after an attempt
            if outcome.failed:
                error = outcome.exception()
                if not isinstance(error, APIConnectionError):
                    return False
                reason = "timeout" if isinstance(error, APITimeoutError) else "connection error"
            else:
                status = outcome.result().status_code
                if status not in retry_statuses:
                    return False
                reason = f"HTTP {status}"
            return self._decide(method, safe_url, reason, state.attempt_number, retry_after(state))

        def wait(state: tenacity.RetryCallState) -> float:
            delay = retry_after(state)
            return delay if delay is not None else backoff(state)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            delay = state.next_action.sleep if state.next_action else 0.0
            logger.debug(
                "retrying %s %s in %.2f s (retry %d of %d)",
                method,
                safe_url,
                delay,
                state.attempt_number,
                self.max_retries,
            )

        retrying = tenacity.Retrying(
            retry=should_retry, wait=wait, sleep=self.sleep, before_sleep=before_sleep, reraise=True
        )
        return retrying(attempt)

    def _decide(
        self, method: str, safe_url: str, reason: str, attempt_number: int, retry_after: float | None
    ) -> bool:
        if method not in IDEMPOTENT_METHODS:
            logger.debug(
                "not retrying %s %s after %s: %s is never replayed", method, safe_url, reason, method
            )
            return False
        if attempt_number > self.max_retries:
            logger.debug(
                "giving up on %s %s after %s: %d attempts made", method, safe_url, reason, attempt_number
            )
            return False
        if retry_after is not None and retry_after > self.max_retry_after:
            logger.debug(
                "not retrying %s %s after %s: Retry-After %.0f s exceeds the %.0f s cap",
                method,
                safe_url,
                reason,
                retry_after,
                self.max_retry_after,
            )
            return False
        logger.debug("will retry %s %s after %s (attempt %d)", method, safe_url, reason, attempt_number)
        return True
