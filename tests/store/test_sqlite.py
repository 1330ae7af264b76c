"""SqliteStore: schema migrations, refusals, file permissions, token secrecy, locking."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from d4h_sdk.errors import ConfigurationError, StoreError
from d4h_sdk.store import SqliteStore

from .conftest import TOKEN, agreement, edr, negotiation, transfer

V1_SCHEMA = """
PRAGMA application_id = 1144277075;  -- "D4HS"
CREATE TABLE negotiations (
    id TEXT PRIMARY KEY, backend TEXT NOT NULL, provider_address TEXT NOT NULL, provider_id TEXT, protocol TEXT,
    dataset_id TEXT, offer_id TEXT, state TEXT NOT NULL, agreement_id TEXT, created_at REAL NOT NULL,
    updated_at REAL NOT NULL, extra TEXT NOT NULL);
CREATE TABLE agreements (
    id TEXT PRIMARY KEY, negotiation_id TEXT, dataset_id TEXT, provider_address TEXT, provider_id TEXT,
    policy TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE transfers (
    id TEXT PRIMARY KEY, backend TEXT NOT NULL, agreement_id TEXT NOT NULL, provider_address TEXT NOT NULL,
    provider_id TEXT, transfer_type TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL,
    updated_at REAL NOT NULL, extra TEXT NOT NULL);
CREATE TABLE edrs (
    agreement_id TEXT PRIMARY KEY, transfer_id TEXT NOT NULL, endpoint TEXT NOT NULL, token BLOB,
    auth_type TEXT, expires_at REAL, stored_at REAL NOT NULL);
PRAGMA user_version = 1;
"""


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))


def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    key = Fernet.generate_key().decode()
    sealed = Fernet(key).encrypt(json.dumps({"agreement_id": "agr-1", "authorization": TOKEN}).encode())
    with _raw(path) as db:
        db.executescript(V1_SCHEMA)
        db.execute(
            "INSERT INTO negotiations VALUES ('neg-1', 'dsp', 'https://p.example/dsp', NULL, NULL, 'ds-1', "
            "'of-1', 'FINALIZED', 'agr-1', 10.0, 11.0, '{\"k\": [1]}')"
        )
        db.execute(
            "INSERT INTO agreements VALUES ('agr-1', 'neg-1', 'ds-1', NULL, NULL, '{\"@id\": \"agr-1\"}', 12.0)"
        )
        db.execute(
            "INSERT INTO edrs VALUES ('agr-1', 'tp-1', 'https://p.example/data', ?, 'bearer', NULL, 13.0)",
            (sealed,),
        )
        db.execute(
            "INSERT INTO edrs VALUES ('agr-2', 'tp-2', 'https://p.example/data', NULL, 'bearer', NULL, 14.0)"
        )
    db.close()

    with SqliteStore(path, edr_key=key) as store:
        assert store.schema_version == 2
        got = store.get_negotiation("neg-1")
        assert got == negotiation(
            provider_address="https://p.example/dsp", provider_id=None, protocol=None, dataset_id="ds-1",
            offer_id="of-1", state="FINALIZED", agreement_id="agr-1", created_at=10.0, updated_at=11.0,
            extra={"k": [1]},
        )  # fmt: skip
        assert [a.policy for a in store.list_agreements()] == [{"@id": "agr-1"}]
        migrated = store.get_edr("agr-1")
        assert migrated is not None and migrated.authorization == TOKEN
        untouched = store.get_edr("agr-2")
        assert untouched is not None and untouched.authorization is None
        store.put_transfer(transfer())
        assert store.list_transfers(agreement_id="agr-1", state="STARTED") == [transfer()]

    with _raw(path) as db:
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        schemes = dict(db.execute("SELECT agreement_id, token_scheme FROM edrs").fetchall())
    db.close()
    assert {"negotiations_by_state", "transfers_by_agreement"} <= indexes
    assert schemes == {"agr-1": "fernet", "agr-2": None}


def test_a_failed_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    with _raw(path) as db:
        db.executescript(V1_SCHEMA)
        db.execute("CREATE INDEX transfers_by_agreement ON transfers (agreement_id)")  # v2 will clash with it
    db.close()
    with pytest.raises(StoreError, match="transfers_by_agreement"):
        SqliteStore(path)
    with _raw(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert db.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'negotiations_by_state'"
        ).fetchone() == (0,)
    db.close()


def test_reopening_keeps_the_records(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with SqliteStore(path) as store:
        assert store.path == str(path)
        store.put_negotiation(negotiation())
        store.put_agreement(agreement())
    with SqliteStore(path) as store:
        assert store.schema_version == 2
        assert store.list_negotiations() == [negotiation()]
        assert store.get_agreement("agr-1") == agreement()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    SqliteStore(path).close()
    with _raw(path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StoreError, match=r"schema version 99.*upgrade d4h_sdk"):
        SqliteStore(path)


def test_a_corrupt_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"this is not an SQLite database, just some text " * 200)
    with pytest.raises(StoreError, match="corrupt") as caught:
        SqliteStore(path)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_another_applications_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with _raw(path) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    db.close()
    with pytest.raises(StoreError, match="another application"):
        SqliteStore(path)
    with _raw(path) as db:
        db.execute("PRAGMA user_version = 1")
    db.close()
    with pytest.raises(StoreError, match="another application"):
        SqliteStore(path)


def test_a_damaged_row_raises_store_error(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with SqliteStore(path) as store:
        store.put_negotiation(negotiation())
        with _raw(path) as db:
            db.execute("UPDATE negotiations SET extra = 'not json' WHERE id = 'neg-1'")
        db.close()
        with pytest.raises(StoreError, match="damaged"):
            store.get_negotiation("neg-1")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_file_and_parents_are_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "store.sqlite"
    with SqliteStore(path) as store:
        store.put_negotiation(negotiation())
        companions = [p for p in path.parent.iterdir() if p.name.startswith("store.sqlite")]
        assert {p.name for p in companions} >= {"store.sqlite", "store.sqlite-wal", "store.sqlite-shm"}
        for file in companions:
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_uncreatable_path_raises_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the store"):
        SqliteStore(blocker / "store.sqlite")


def test_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    SqliteStore(path).close()
    with _raw(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_without_key_the_token_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with SqliteStore(path) as store:
        assert not store.encrypts_tokens
        store.put_edr(edr())
        assert TOKEN.encode() not in _file_bytes(path)
        got = store.get_edr("agr-1")
        assert got is not None and got.authorization is None and not got.is_fresh(0.0)
    with _raw(path) as db:
        assert db.execute("SELECT token, token_scheme FROM edrs").fetchall() == [(None, None)]
    db.close()


@pytest.mark.parametrize(
    "key", [os.urandom(32), Fernet.generate_key().decode()], ids=["bytes", "fernet-string"]
)
def test_with_key_the_token_is_encrypted(tmp_path: Path, key: bytes | str) -> None:
    path = tmp_path / "store.sqlite"
    with SqliteStore(path, edr_key=key) as store:
        assert store.encrypts_tokens
        store.put_edr(edr())
        raw = _file_bytes(path)
        assert TOKEN.encode() not in raw
        assert TOKEN.split(".")[1].encode() not in raw
    with SqliteStore(path, edr_key=key) as store:
        assert store.get_edr("agr-1") == edr()


def test_a_wrong_key_reads_as_no_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "store.sqlite"
    with SqliteStore(path, edr_key=os.urandom(32)) as store:
        store.put_edr(edr())
    caplog.set_level(logging.WARNING, logger="d4h_sdk.store")
    with SqliteStore(path, edr_key=os.urandom(32)) as store:
        got = store.get_edr("agr-1")
    assert got == edr(authorization=None)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "d4h_sdk.store"]
    assert len(warnings) == 1 and "agr-1" in warnings[0].getMessage()
    assert TOKEN not in caplog.text
    with SqliteStore(path) as store:  # and without any key: no token, no crash
        assert store.get_edr("agr-1") == edr(authorization=None)


def test_a_token_moved_to_another_row_is_rejected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "store.sqlite"
    key = os.urandom(32)
    with SqliteStore(path, edr_key=key) as store:
        store.put_edr(edr("agr-1"))
        store.put_edr(edr("agr-2", authorization="other-token"))
        with _raw(path) as db:
            db.execute("UPDATE edrs SET token = (SELECT token FROM edrs WHERE agreement_id = 'agr-1') "
                       "WHERE agreement_id = 'agr-2'")  # fmt: skip
        db.close()
        caplog.set_level(logging.WARNING, logger="d4h_sdk.store")
        got = store.get_edr("agr-2")
    assert got is not None and got.authorization is None
    assert "agr-2" in caplog.text and TOKEN not in caplog.text


@pytest.mark.parametrize("key", [b"short", "not a fernet key", "YWJj", 12345])
def test_bad_keys_raise_configuration_error(tmp_path: Path, key: object) -> None:
    with pytest.raises(ConfigurationError, match="edr_key") as caught:
        SqliteStore(tmp_path / "store.sqlite", edr_key=key)  # type: ignore[arg-type]
    if isinstance(key, str):
        assert key not in str(caught.value)


@pytest.mark.parametrize("timeout", [-1, float("nan"), "5", True])
def test_bad_busy_timeout(tmp_path: Path, timeout: object) -> None:
    with pytest.raises(ConfigurationError, match="busy_timeout"):
        SqliteStore(tmp_path / "store.sqlite", busy_timeout=timeout)  # type: ignore[arg-type]


def test_repr_hides_the_key(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    with SqliteStore(tmp_path / "store.sqlite", edr_key=key) as store:
        assert key not in repr(store)
        assert "encrypted" in repr(store)


def test_a_write_lock_held_too_long_raises_store_error(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with SqliteStore(path, busy_timeout=0.2) as store:
        blocker = _raw(path)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            assert store.list_negotiations() == []  # WAL: reading still works
            with pytest.raises(StoreError, match="locked"):
                store.put_negotiation(negotiation())
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        store.put_negotiation(negotiation())
        assert store.get_negotiation("neg-1") == negotiation()
