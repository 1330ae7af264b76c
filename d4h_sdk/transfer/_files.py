"""Atomic download files: a temporary file beside the target, synced to disk, renamed only when complete.

:func:`atomic_file` yields a :class:`PartFile`; leaving the ``with`` block normally flushes, fsyncs and
renames the temporary file to the target; leaving it with any exception (``KeyboardInterrupt`` included)
deletes it, so a partial file never appears under the final name. While the body streams in, a background
thread fsyncs the file every :data:`SYNC_EVERY` bytes, so that the disk writes overlap with the network and
the final fsync only has the last stretch to write.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from d4h_sdk.errors import ConfigurationError, TransferError

__all__ = ["SYNC_EVERY", "PartFile", "atomic_file", "check_target"]

SYNC_EVERY = 64 * 1024 * 1024
"""Bytes written between two background fsyncs."""


def check_target(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Validate a download target before anything is sent.

    Raises:
        ConfigurationError: ``path`` is a directory, its directory does not exist, or it exists and
            ``overwrite`` is false.
    """
    final = Path(path)
    if final.is_dir():
        raise ConfigurationError(f"{final} is a directory; give a file name")
    if not final.parent.is_dir():
        raise ConfigurationError(f"the directory {final.parent} does not exist")
    if final.exists() and not overwrite:
        raise ConfigurationError(f"{final} exists; pass overwrite=True to replace it")
    return final


class _Syncer:
    """A thread that fsyncs a file descriptor when asked; an OS error is kept and raised by :meth:`close`."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._wake = threading.Event()
        self._stop = False
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._work, name="d4h-download-sync", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stop:
                return
            try:
                os.fsync(self._fd)
            except OSError as exc:
                self.error = exc
                return

    def request(self) -> None:
        """Ask for an fsync (ignored while one is running: the next request catches up)."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread after the fsync under way, if any."""
        self._stop = True
        self._wake.set()
        self._thread.join()


class PartFile:
    """The temporary file of a download.

    Attributes:
        path: The temporary file's path.
    """

    def __init__(self, path: Path, handle: IO[bytes], sync_every: int = SYNC_EVERY) -> None:
        self.path = path
        self._handle = handle
        self._sync_every = sync_every
        self._syncer = _Syncer(handle.fileno())
        self._unsynced = 0

    def write(self, chunk: bytes) -> None:
        """Append bytes.

        Raises:
            TransferError: The OS refused the write (disk full, ...).
        """
        try:
            self._handle.write(chunk)
            self._unsynced += len(chunk)
            if self._unsynced >= self._sync_every:
                self._unsynced = 0
                self._handle.flush()
                self._syncer.request()
        except OSError as exc:
            raise TransferError(f"cannot write {self.path}: {exc.strerror}") from exc

    def restart(self) -> None:
        """Empty the file (the provider sends the whole body again)."""
        try:
            self._handle.flush()
            self._handle.seek(0)
            self._handle.truncate()
        except OSError as exc:
            raise TransferError(f"cannot truncate {self.path}: {exc.strerror}") from exc

    def finish(self) -> None:
        """Flush and fsync everything written.

        Raises:
            TransferError: The data could not be written to disk.
        """
        self._syncer.close()
        try:
            if self._syncer.error is not None:
                raise self._syncer.error
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as exc:
            raise TransferError(f"cannot write {self.path} to disk: {exc.strerror}") from exc

    def abandon(self) -> None:
        """Stop the background fsync (the file is about to be deleted)."""
        self._syncer.close()


@contextlib.contextmanager
def atomic_file(final: Path, *, overwrite: bool, sync_every: int = SYNC_EVERY) -> Iterator[PartFile]:
    """A temporary file beside ``final``, renamed to it when the block completes, deleted otherwise.

    Args:
        final: The target path (see :func:`check_target`).
        overwrite: Replace a file that exists at ``final`` when done (atomically).
        sync_every: Bytes written between two background fsyncs.

    Yields:
        The temporary file to write to.

    Raises:
        TransferError: The file cannot be created, written, synced or renamed.
        ConfigurationError: ``final`` appeared meanwhile and ``overwrite`` is false.
    """
    temp = final.parent / f".{final.name}.{secrets.token_hex(6)}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(temp, flags, 0o666)  # mode minus the umask, like any new file
    except OSError as exc:
        raise TransferError(f"cannot create {temp}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            part = PartFile(temp, handle, sync_every)
            try:
                yield part
            except BaseException:
                part.abandon()
                raise
            part.finish()
        _publish(temp, final, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _publish(temp: Path, final: Path, overwrite: bool) -> None:
    """Rename the verified file into place; without ``overwrite``, never replace a file that appeared."""
    try:
        if overwrite:
            os.replace(temp, final)
            return
        try:
            os.link(temp, final)  # atomic, and fails if final exists
        except FileExistsError as exc:
            raise ConfigurationError(f"{final} appeared during the download; pass overwrite=True") from exc
        except OSError:  # no hard links on this file system: check, then rename
            if final.exists():
                raise ConfigurationError(
                    f"{final} appeared during the download; pass overwrite=True"
                ) from None
            os.replace(temp, final)
    except OSError as exc:
        raise TransferError(f"cannot move the download to {final}: {exc.strerror}") from exc
