"""The benchmark file: deterministic, streamed, ranged, known SHA-256, flat memory."""

from __future__ import annotations

import gc
import hashlib
import tracemalloc

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.sandbox.synthetic import BLOCK_SIZE, GIB, BigFile, Payload


def _whole(f: BigFile) -> bytes:
    return b"".join(f.chunks())


def test_default_is_one_gib_in_one_mib_chunks() -> None:
    f = BigFile()
    assert f.size == GIB == 1 << 30
    assert f.chunk_size == BLOCK_SIZE
    first = next(f.chunks())
    assert len(first) == BLOCK_SIZE


@pytest.mark.parametrize("size", [0, 1, 1000, BLOCK_SIZE - 1, BLOCK_SIZE, 3 * BLOCK_SIZE + 17])
def test_size_and_streamed_sha256(size: int) -> None:
    f = BigFile(size=size, seed=3, chunk_size=300_000)
    data = _whole(f)
    assert len(data) == size
    assert f.sha256 == hashlib.sha256(data).hexdigest()
    assert all(len(c) <= 300_000 for c in f.chunks())


def test_deterministic_and_seeded() -> None:
    size = 2 * BLOCK_SIZE + 5
    assert _whole(BigFile(size=size, seed=1)) == _whole(BigFile(size=size, seed=1))
    assert _whole(BigFile(size=size, seed=1)) != _whole(BigFile(size=size, seed=2))
    # the content does not depend on the chunk size
    assert _whole(BigFile(size=size, seed=1, chunk_size=4096)) == _whole(BigFile(size=size, seed=1))


def test_blocks_differ_and_do_not_repeat() -> None:
    data = _whole(BigFile(size=3 * BLOCK_SIZE))
    blocks = [data[i * BLOCK_SIZE : (i + 1) * BLOCK_SIZE] for i in range(3)]
    assert len(set(blocks)) == 3
    assert len(set(data[:65536])) == 256  # pseudo-random bytes, not a pattern


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 10), (5, BLOCK_SIZE + 5), (BLOCK_SIZE - 1, BLOCK_SIZE + 1), (2 * BLOCK_SIZE, None), (7, 7)],
)
def test_ranges_equal_slices(start: int, end: int | None) -> None:
    f = BigFile(size=2 * BLOCK_SIZE + 999, seed=9, chunk_size=65536)
    assert b"".join(f.chunks(start, end)) == _whole(f)[start:end]


def test_invalid_ranges_and_options() -> None:
    f = BigFile(size=100)
    for start, end in ((-1, None), (10, 5), (0, 101)):
        with pytest.raises(ConfigurationError):
            list(f.chunks(start, end))
    with pytest.raises(ConfigurationError):
        BigFile(size=-1)
    with pytest.raises(ConfigurationError):
        BigFile(chunk_size=0)
    with pytest.raises(ConfigurationError):
        BigFile(chunk_size=64 << 20)


def test_memory_stays_flat_for_64_mib() -> None:
    f = BigFile(size=64 << 20, seed=5)
    gc.collect()
    tracemalloc.start()
    try:
        digest = hashlib.sha256()
        total = 0
        for chunk in f.chunks():
            digest.update(chunk)
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 64 << 20
    assert peak < 8 << 20, f"peak {peak} bytes"
    assert digest.hexdigest() == BigFile(size=64 << 20, seed=5).sha256


def test_payload_generic_range_cutting_matches_direct_ranges() -> None:
    f = BigFile(size=BLOCK_SIZE + 12345, seed=2, chunk_size=10_000)
    direct = Payload("b.bin", f.media_type, f.chunks, size=f.size, range_reader=f.chunks)
    generic = Payload("b.bin", f.media_type, f.chunks)
    for start, end in ((0, None), (0, 1), (9_999, 10_001), (500_000, None), (f.size, None), (3, 3)):
        assert b"".join(generic.chunks(start, end)) == b"".join(direct.chunks(start, end))
    with pytest.raises(ConfigurationError):
        list(generic.chunks(5, 2))
