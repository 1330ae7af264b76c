"""Announced digests of a download: ``Repr-Digest`` (RFC 9530) and ``Digest`` (RFC 3230), and the hashers.

Only SHA-256 and SHA-512 are understood (RFC 9530 deprecates the rest). A header that announces nothing
usable yields ``None``: the download then goes unverified, which is logged at DEBUG.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Digest", "Hashers", "announced_digest"]

_ALGORITHMS = {"sha-256": "sha256", "sha-512": "sha512"}
_PREFERENCE = ("sha-512", "sha-256")
_QUEUE_CHUNKS = 4


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...

    def copy(self) -> _Hash: ...


@dataclass(frozen=True)
class Digest:
    """A digest the provider announced.

    Attributes:
        algorithm: ``sha-256`` or ``sha-512`` (RFC 9530 algorithm key).
        value: The raw digest bytes.
    """

    algorithm: str
    value: bytes

    @property
    def b64(self) -> str:
        """The digest in base64, as it travels in the headers."""
        return base64.b64encode(self.value).decode("ascii")

    def header(self) -> str:
        """The RFC 9530 structured-field form, e.g. ``sha-256=:<base64>:``."""
        return f"{self.algorithm}=:{self.b64}:"


def _decode(text: str, algorithm: str) -> bytes | None:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    expected = hashlib.new(_ALGORITHMS[algorithm]).digest_size
    return raw if len(raw) == expected else None


def _parse_repr_digest(header: str) -> dict[str, bytes]:
    """``sha-256=:<b64>:, sha-512=:<b64>:`` (an RFC 8941 dictionary of byte sequences)."""
    found: dict[str, bytes] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        key = key.strip().lower()
        value = value.strip().partition(";")[0].strip()
        if not sep or key not in _ALGORITHMS or len(value) < 2 or value[0] != ":" or value[-1] != ":":
            continue
        decoded = _decode(value[1:-1], key)
        if decoded is not None:
            found[key] = decoded
    return found


def _parse_legacy_digest(header: str) -> dict[str, bytes]:
    """``SHA-256=<b64>, SHA-512=<b64>`` (RFC 3230 instance digests; algorithm names case-insensitive)."""
    found: dict[str, bytes] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        key = key.strip().lower()
        if not sep or key not in _ALGORITHMS:
            continue
        decoded = _decode(value, key)
        if decoded is not None:
            found[key] = decoded
    return found


def announced_digest(headers: Mapping[str, str]) -> Digest | None:
    """The strongest usable digest of the response headers: ``Repr-Digest`` first, else ``Digest``.

    Args:
        headers: Response headers (a case-insensitive mapping).

    Returns:
        The digest, or ``None`` when neither header announces a SHA-256 or SHA-512 value.
    """
    for name, parse in (("Repr-Digest", _parse_repr_digest), ("Digest", _parse_legacy_digest)):
        header = headers.get(name)
        if not header:
            continue
        found = parse(header)
        for algorithm in _PREFERENCE:
            if algorithm in found:
                return Digest(algorithm, found[algorithm])
    return None


class Hashers:
    """SHA-256 of the bytes received, plus the announced algorithm when it is another one.

    With ``background=True`` the hashing runs in a worker thread fed through a small bounded queue
    (``hashlib`` releases the GIL on large buffers), so it overlaps with reading the socket and writing the
    file; every read of a result waits for the queue to drain. Call :meth:`close` to stop the worker.

    Args:
        announced: The digest to check at the end, or ``None``.
        background: Hash in a worker thread.
        enabled: Hash at all (``False``: every update is ignored, for unverified downloads).
    """

    def __init__(self, announced: Digest | None, *, background: bool = False, enabled: bool = True) -> None:
        self.enabled = enabled
        self._sha256: _Hash = hashlib.sha256()
        self._other: _Hash | None = None
        self._announced = announced
        if announced is not None and announced.algorithm != "sha-256":
            self._other = hashlib.new(_ALGORITHMS[announced.algorithm])
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None
        if background and enabled:
            self._queue = queue.Queue(maxsize=_QUEUE_CHUNKS)
            self._thread = threading.Thread(
                target=self._work, args=(self._queue,), name="d4h-download-hash", daemon=True
            )
            self._thread.start()

    def _feed(self, data: bytes) -> None:
        self._sha256.update(data)
        if self._other is not None:
            self._other.update(data)

    def _work(self, work: queue.Queue[bytes | None]) -> None:
        while True:
            data = work.get()
            try:
                if data is None:
                    return
                self._feed(data)
            finally:
                work.task_done()

    def _drain(self) -> None:
        if self._queue is not None:
            self._queue.join()

    def update(self, data: bytes) -> None:
        """Feed the next bytes, in order."""
        if not self.enabled:
            return
        if self._queue is None:
            self._feed(data)
        else:
            self._queue.put(data)

    def fingerprint(self) -> bytes:
        """A digest of everything fed so far (to compare two prefixes of a body)."""
        self._drain()
        return self._sha256.copy().digest()

    def sha256_hex(self) -> str:
        """The SHA-256 of the bytes so far, in hex."""
        self._drain()
        return self._sha256.hexdigest()

    def actual(self) -> Digest | None:
        """The digest of the bytes so far in the announced algorithm (``None`` if nothing was announced)."""
        if self._announced is None:
            return None
        self._drain()
        source = self._other if self._other is not None else self._sha256
        return Digest(self._announced.algorithm, source.copy().digest())

    def close(self) -> None:
        """Stop the worker thread, if any, after it hashed what was queued (idempotent)."""
        thread, work = self._thread, self._queue
        self._thread = self._queue = None
        if thread is not None and work is not None:
            work.put(None)
            thread.join()
