"""A large deterministic binary payload for download benchmarks, generated on demand and never held whole.

The content is a 1 MiB pseudo-random block (seeded) repeated with a different rotation for every block, so
any byte range can be produced directly (HTTP Range requests), the data do not compress, and the SHA-256
is reproducible by streaming. Memory use stays at a few MiB whatever the size.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from d4h_sdk.errors import ConfigurationError

__all__ = ["BLOCK_SIZE", "GIB", "BigFile"]

GIB = 1 << 30
"""One gibibyte."""
BLOCK_SIZE = 1 << 20
"""The size of the seeded block the content is made of."""
_MAX_CHUNK = 16 << 20
_STRIDE = 0x9E3779B1  # a large odd constant: consecutive blocks get unrelated rotations


@dataclass(frozen=True)
class BigFile:
    """A deterministic file of ``size`` bytes, streamed in chunks.

    Args:
        size: The file size in bytes (default 1 GiB).
        seed: The seed of the content.
        chunk_size: The size of the chunks :meth:`chunks` yields (at most 16 MiB).
        name: A file name for the download.

    Raises:
        ConfigurationError: A negative size or an out-of-range chunk size.

    Example:
        >>> f = BigFile(size=3 * 1024 * 1024 + 5)
        >>> sum(len(chunk) for chunk in f.chunks()) == f.size
        True
    """

    size: int = GIB
    seed: int = 0
    chunk_size: int = BLOCK_SIZE
    name: str = "benchmark.bin"

    media_type = "application/octet-stream"
    """The media type served."""

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ConfigurationError(f"size must be >= 0, not {self.size}")
        if not 1 <= self.chunk_size <= _MAX_CHUNK:
            raise ConfigurationError(f"chunk_size must be between 1 and {_MAX_CHUNK}, not {self.chunk_size}")

    @cached_property
    def _block(self) -> bytes:
        return random.Random(f"d4h-bigfile/{self.seed}").randbytes(BLOCK_SIZE)

    def _read(self, position: int, length: int) -> bytes:
        view = memoryview(self._block)
        parts: list[memoryview] = []
        while length > 0:
            index, offset = divmod(position, BLOCK_SIZE)
            source = (offset + index * _STRIDE) % BLOCK_SIZE
            take = min(length, BLOCK_SIZE - offset, BLOCK_SIZE - source)
            parts.append(view[source : source + take])
            position += take
            length -= take
        return b"".join(parts)

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` (default: the whole file) in chunks of :attr:`chunk_size`.

        Args:
            start: The first byte (0-based).
            end: One past the last byte (``None`` = the end of the file); an HTTP range ``bytes=a-b`` is
                ``chunks(a, b + 1)``.

        Raises:
            ConfigurationError: The range is not within the file.
        """
        stop = self.size if end is None else end
        if not 0 <= start <= stop <= self.size:
            raise ConfigurationError(f"range [{start}, {stop}) is not within the file of {self.size} bytes")
        position = start
        while position < stop:
            length = min(self.chunk_size, stop - position)
            yield self._read(position, length)
            position += length

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks()

    @cached_property
    def sha256(self) -> str:
        """The hex SHA-256 of the whole content, computed by streaming on first access (then kept)."""
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()
