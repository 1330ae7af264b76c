"""default_store_path: $D4H_STORE_PATH > $XDG_STATE_HOME > ~/.local/state."""

from __future__ import annotations

from pathlib import Path

import pytest

from d4h_sdk.store import default_store_path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("D4H_STORE_PATH", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_home_fallback(tmp_path: Path) -> None:
    assert default_store_path() == tmp_path / "home" / ".local" / "state" / "d4h" / "store.sqlite"


def test_xdg_state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_store_path() == tmp_path / "state" / "d4h" / "store.sqlite"


def test_explicit_path_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("D4H_STORE_PATH", "~/my/d4h.db")
    assert default_store_path() == tmp_path / "home" / "my" / "d4h.db"


@pytest.mark.parametrize("value", ["", "relative/state"])
def test_empty_or_relative_xdg_is_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", value)
    monkeypatch.setenv("D4H_STORE_PATH", "")
    assert default_store_path() == tmp_path / "home" / ".local" / "state" / "d4h" / "store.sqlite"


def test_nothing_is_created(tmp_path: Path) -> None:
    default_store_path()
    assert not (tmp_path / "home").exists()
