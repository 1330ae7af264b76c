from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from d4h_sdk.errors import ConfigurationError, VerificationError
from d4h_sdk.identity.jose import InMemoryReplayCache, ReplayCache


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_is_a_replay_cache() -> None:
    assert isinstance(InMemoryReplayCache(), ReplayCache)
    assert "max_entries=5" in repr(InMemoryReplayCache(max_entries=5))


def test_first_use_then_replay_then_expiry() -> None:
    clock = Clock()
    cache = InMemoryReplayCache(clock=clock)
    assert cache.check_and_add("a", issuer="did:web:x", expires_at=1010.0)
    assert not cache.check_and_add("a", issuer="did:web:x", expires_at=1010.0)
    assert cache.check_and_add("a", issuer="did:web:y", expires_at=1010.0)  # ids are per issuer
    assert cache.check_and_add("a", issuer=None, expires_at=1010.0)
    assert len(cache) == 3
    clock.now = 1010.0
    assert len(cache) == 0
    assert cache.check_and_add("a", issuer="did:web:x", expires_at=1020.0)


def test_already_expired_is_not_stored() -> None:
    cache = InMemoryReplayCache(clock=Clock())
    assert cache.check_and_add("old", issuer=None, expires_at=999.0)
    assert len(cache) == 0


def test_bounded_fails_closed_and_recovers() -> None:
    clock = Clock()
    cache = InMemoryReplayCache(max_entries=2, clock=clock)
    assert cache.check_and_add("1", issuer=None, expires_at=1001.0)
    assert cache.check_and_add("2", issuer=None, expires_at=1100.0)
    with pytest.raises(VerificationError, match="holds 2 live token ids"):
        cache.check_and_add("3", issuer=None, expires_at=1100.0)
    assert not cache.check_and_add("1", issuer=None, expires_at=1001.0)  # replay still detected when full
    clock.now = 1002.0
    assert cache.check_and_add("3", issuer=None, expires_at=1100.0)


def test_re_added_key_keeps_its_new_expiry() -> None:
    clock = Clock()
    cache = InMemoryReplayCache(clock=clock)
    cache.check_and_add("k", issuer=None, expires_at=1005.0)
    clock.now = 1006.0
    assert cache.check_and_add("k", issuer=None, expires_at=1100.0)
    clock.now = 1050.0
    assert not cache.check_and_add("k", issuer=None, expires_at=1100.0)


def test_threads_accept_each_jti_once() -> None:
    cache = InMemoryReplayCache(clock=Clock())
    barrier = threading.Barrier(16)

    def attempt(i: int) -> bool:
        barrier.wait()
        return cache.check_and_add(f"jti-{i % 4}", issuer="did:web:x", expires_at=2000.0)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(attempt, range(16)))
    assert sum(results) == 4


def test_rejects_bad_size() -> None:
    with pytest.raises(ConfigurationError):
        InMemoryReplayCache(max_entries=0)
