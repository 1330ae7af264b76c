"""The atomic download file: background fsyncs, restart, publish without clobbering, cleanup."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.transfer._files import atomic_file, check_target

from .conftest import leftovers


def _sync_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "d4h-download-sync"]


def test_writes_sync_in_the_background_and_publish(tmp_path: Path) -> None:
    final = check_target(tmp_path / "out.bin", overwrite=False)
    with atomic_file(final, overwrite=False, sync_every=10) as part:
        for piece in (b"0123456789", b"abcdefghij", b"klm"):
            part.write(piece)
        assert part.path.parent == tmp_path and part.path.name.startswith(".out.bin.")
        assert not final.exists()
    assert final.read_bytes() == b"0123456789abcdefghijklm"
    assert leftovers(tmp_path) == ["out.bin"] and _sync_threads() == []


def test_restart_empties_the_file(tmp_path: Path) -> None:
    with atomic_file(tmp_path / "out.bin", overwrite=False) as part:
        part.write(b"stale bytes")
        part.restart()
        part.write(b"fresh")
    assert (tmp_path / "out.bin").read_bytes() == b"fresh"


def test_a_file_that_appeared_is_not_clobbered(tmp_path: Path) -> None:
    final = tmp_path / "out.bin"
    with pytest.raises(ConfigurationError, match="appeared during the download"):
        with atomic_file(final, overwrite=False) as part:
            part.write(b"new")
            final.write_bytes(b"someone else's")
    assert final.read_bytes() == b"someone else's" and leftovers(tmp_path) == ["out.bin"]


def test_overwrite_replaces_and_failure_cleans_up(tmp_path: Path) -> None:
    final = tmp_path / "out.bin"
    final.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_file(final, overwrite=True, sync_every=1) as part:
            part.write(b"half")
            raise RuntimeError("interrupted")
    assert final.read_bytes() == b"old" and leftovers(tmp_path) == ["out.bin"] and _sync_threads() == []
    with atomic_file(final, overwrite=True) as part:
        part.write(b"new")
    assert final.read_bytes() == b"new"
