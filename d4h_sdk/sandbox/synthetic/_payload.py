"""A downloadable form of a sandbox dataset: a name, a media type and a restartable stream of bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from d4h_sdk.errors import ConfigurationError

__all__ = ["Payload"]

RangeReader = Callable[[int, "int | None"], Iterator[bytes]]


@dataclass(frozen=True)
class Payload:
    """One downloadable form of a dataset (``cohort.csv``, ``fhir.ndjson``, ``benchmark.bin``).

    The bytes are generated again on every call: nothing is cached, memory stays flat.

    Attributes:
        name: The file name.
        media_type: The media type (``text/csv``, ``application/fhir+ndjson``...).
        source: A callable yielding the content from the start, in chunks.
        size: The size in bytes when known without generating (the benchmark file), else ``None``.
        sha256: A callable returning the hex SHA-256 when it is cheap or cached, else ``None``.
        range_reader: A callable ``(start, end)`` yielding a byte range directly, when the source supports it.
    """

    name: str
    media_type: str
    source: Callable[[], Iterator[bytes]]
    size: int | None = None
    sha256: Callable[[], str] | None = None
    range_reader: RangeReader | None = None

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` (default: everything).

        Sources without direct range access are generated from the start and cut.

        Raises:
            ConfigurationError: A negative start or an end before the start.
        """
        if start < 0 or (end is not None and end < start):
            raise ConfigurationError(f"invalid byte range [{start}, {end})")
        if self.range_reader is not None:
            yield from self.range_reader(start, end)
            return
        if start == 0 and end is None:
            yield from self.source()
            return
        position = 0
        for chunk in self.source():
            low, high = position, position + len(chunk)
            position = high
            if high <= start:
                continue
            cut = chunk[max(start - low, 0) : None if end is None else max(end - low, 0)]
            if cut:
                yield cut
            if end is not None and high >= end:
                return
