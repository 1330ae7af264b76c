"""Data sources: ranges across chunk boundaries, digests, and streams that lie about their size."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from d4h_sdk.errors import ConfigurationError, TransferError
from d4h_sdk.sandbox._dataplane import BytesSource, DataSource, FileSource, StreamSource

DATA = bytes(range(256)) * 40  # 10240 bytes


def _chunks(size: int) -> list[bytes]:
    return [DATA[i : i + size] for i in range(0, len(DATA), size)]


@pytest.fixture(params=["bytes", "file", "stream"])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> DataSource:
    if request.param == "bytes":
        return BytesSource(DATA, chunk_size=1000)
    if request.param == "file":
        path = tmp_path / "data.bin"
        path.write_bytes(DATA)
        return FileSource(path, chunk_size=1000)
    return StreamSource(lambda: iter(_chunks(777)), size=len(DATA), chunk_size=1000)


@pytest.mark.parametrize(
    ("start", "end"), [(0, None), (0, 1), (776, 778), (1000, 3001), (10239, None), (5, 5)]
)
def test_ranges_and_digest(source: DataSource, start: int, end: int | None) -> None:
    assert isinstance(source, DataSource)
    parts = list(source.iter_bytes(start, end))
    assert b"".join(parts) == DATA[start:end]
    assert all(0 < len(part) <= 1000 for part in parts)
    assert source.sha256() == hashlib.sha256(DATA).digest() and source.size == len(DATA)


def test_out_of_range_and_bad_options(source: DataSource) -> None:
    with pytest.raises(ConfigurationError):
        list(source.iter_bytes(0, len(DATA) + 1))
    with pytest.raises(ConfigurationError):
        StreamSource(lambda: iter(()), size=1, sha256="abc")
    with pytest.raises(ConfigurationError):
        FileSource("/nonexistent/file")


def test_stream_that_lies_about_its_size() -> None:
    short = StreamSource(lambda: iter(_chunks(1000)), size=len(DATA) + 1)
    with pytest.raises(TransferError, match="ended after"):
        short.sha256()
    long = StreamSource(lambda: iter(_chunks(1000)), size=len(DATA) - 1)
    with pytest.raises(TransferError, match="more than"):
        list(long.iter_bytes())
    assert b"".join(long.iter_bytes(0, 10)) == DATA[:10]


def test_known_digest_is_not_recomputed() -> None:
    calls = []

    def factory() -> list[bytes]:
        calls.append(1)
        return _chunks(500)

    given = StreamSource(factory, size=len(DATA), sha256=hashlib.sha256(DATA).hexdigest())
    assert given.sha256() == hashlib.sha256(DATA).digest() and calls == []
    computed = StreamSource(factory, size=len(DATA))
    assert computed.sha256() == computed.sha256() == hashlib.sha256(DATA).digest() and calls == [1]
