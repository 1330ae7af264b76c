"""Where the CLI keeps its default store file."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_store_path"]


def default_store_path() -> Path:
    """Return the default store file of the CLI.

    In order: ``$D4H_STORE_PATH``; else ``$XDG_STATE_HOME/d4h/store.sqlite`` (when set to an absolute path,
    as the XDG base directory specification requires); else ``~/.local/state/d4h/store.sqlite``. Empty
    variables count as unset. Nothing is created here.

    Returns:
        The path of the store file (``~`` expanded).
    """
    explicit = os.environ.get("D4H_STORE_PATH")
    if explicit:
        return Path(explicit).expanduser()
    state_home = os.environ.get("XDG_STATE_HOME")
    if state_home and Path(state_home).is_absolute():
        return Path(state_home) / "d4h" / "store.sqlite"
    return Path.home() / ".local" / "state" / "d4h" / "store.sqlite"
