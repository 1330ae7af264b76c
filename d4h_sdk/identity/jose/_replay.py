"""Replay protection: remember each token id (``jti``) until the token could no longer be accepted."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from d4h_sdk.errors import ConfigurationError, VerificationError

__all__ = ["InMemoryReplayCache", "ReplayCache"]


@runtime_checkable
class ReplayCache(Protocol):
    """Remembers token ids so that a token is accepted once.

    Implementations must be safe to call from several threads; a shared store (Redis, a database) lets
    several verifier processes share one cache.
    """

    def check_and_add(self, jti: str, *, issuer: str | None, expires_at: float) -> bool:
        """Record a token id atomically.

        Args:
            jti: The token id.
            issuer: The token issuer: ids are unique per issuer, so the pair is the key.
            expires_at: Epoch seconds after which the token is rejected anyway; the entry may go then.

        Returns:
            ``True`` if the id was not seen before (now recorded), ``False`` if it is a replay.
        """
        ...


class InMemoryReplayCache:
    """A thread-safe, bounded, in-process :class:`ReplayCache`.

    Entries expire at the ``expires_at`` given when they were added. When ``max_entries`` live entries are
    held, new tokens are refused (fail closed) rather than forgetting ids that could then be replayed.

    Args:
        max_entries: The most live entries kept.
        clock: Epoch-seconds clock (injectable for tests).

    Raises:
        ConfigurationError: ``max_entries`` is not positive.
    """

    def __init__(self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        if max_entries <= 0:
            raise ConfigurationError(f"max_entries must be positive, got {max_entries}")
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._expiry)

    def __repr__(self) -> str:
        return f"InMemoryReplayCache(max_entries={self._max_entries})"

    def _purge(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            expires_at, key = heapq.heappop(heap)
            if self._expiry.get(key) == expires_at:
                del self._expiry[key]

    def check_and_add(self, jti: str, *, issuer: str | None, expires_at: float) -> bool:
        """Record ``(issuer, jti)`` until ``expires_at``; ``False`` if it is already recorded.

        Raises:
            VerificationError: The cache is full of live entries (the token is refused, fail closed).
        """
        key = (issuer or "", jti)
        with self._lock:
            now = self._clock()
            self._purge(now)
            if key in self._expiry:
                return False
            if expires_at <= now:
                return True  # already unacceptable elsewhere; nothing to remember
            if len(self._expiry) >= self._max_entries:
                raise VerificationError(
                    f"the replay cache holds {self._max_entries} live token ids; the token is refused "
                    "until some expire (raise max_entries or shorten token lifetimes)"
                )
            self._expiry[key] = expires_at
            heapq.heappush(self._heap, (expires_at, key))
            return True
