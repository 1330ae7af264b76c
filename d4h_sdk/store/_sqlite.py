"""A file store on SQLite, shared safely between threads and processes.

- One file (plus SQLite's ``-wal`` and ``-shm`` companions) in WAL mode, so readers never wait for a writer;
  a busy timeout (5 s by default) lets several processes (the CLI, a notebook, a service) write to it in turn.
- Created with permissions 0600 (owner only), together with any missing parent directory.
- The schema is versioned (``PRAGMA user_version``) and migrated forward on open (see
  :mod:`d4h_sdk.store._migrations`); a file from a newer SDK, another application's database or a corrupt
  file raises :class:`~d4h_sdk.errors.StoreError`.
- EDR tokens are never written in clear text. Without ``edr_key`` the token is not stored at all and the
  EDR comes back with ``authorization=None``: :meth:`EdrRecord.is_fresh` is then False and the session
  fetches a fresh EDR. With ``edr_key`` the token is stored encrypted with Fernet; if it cannot be decrypted
  (another key, damaged data) it reads as ``None`` and a WARNING is logged on ``d4h_sdk.store``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import astuple, fields
from pathlib import Path
from typing import Any, TypeVar

from d4h_sdk.errors import ConfigurationError, StoreError
from d4h_sdk.store._migrations import migrate
from d4h_sdk.store._records import AgreementRecord, EdrRecord, NegotiationRecord, Store, TransferRecord
from d4h_sdk.store._secrets import SCHEME, TokenCipher

__all__ = ["SqliteStore"]

logger = logging.getLogger("d4h_sdk.store")

_R = TypeVar("_R", NegotiationRecord, AgreementRecord, TransferRecord)
_JSON_COLUMNS = frozenset({"extra", "policy"})
_TABLES: Mapping[type[Any], str] = {
    NegotiationRecord: "negotiations",
    AgreementRecord: "agreements",
    TransferRecord: "transfers",
}
_EDR_COLUMNS = "agreement_id, transfer_id, endpoint, token, token_scheme, auth_type, expires_at, stored_at"
_MEMORY = ":memory:"


def _to_row(record: NegotiationRecord | AgreementRecord | TransferRecord) -> tuple[Any, ...]:
    return tuple(
        json.dumps(getattr(record, item.name), sort_keys=True)
        if item.name in _JSON_COLUMNS
        else getattr(record, item.name)
        for item in fields(record)
    )


def _create_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


class SqliteStore(Store):
    """A store in one SQLite file, safe to share between threads and processes.

    EDR tokens are secrets and never reach the file in clear text:

    - without ``edr_key`` (the default) the token is not stored; :meth:`get_edr` returns the record with
      ``authorization=None`` and the session fetches a fresh EDR (one transfer request more after a restart);
    - with ``edr_key`` the token is stored encrypted (Fernet); a token that does not decrypt with the key
      given reads as ``None`` with a WARNING log, never an exception.

    Args:
        path: The database file, created (mode 0600, parents included) if missing; ``":memory:"`` for a
            private in-memory database. :func:`~d4h_sdk.store.default_store_path` gives the CLI's default.
        edr_key: 32 random bytes (``os.urandom(32)``) or a Fernet key string
            (``cryptography.fernet.Fernet.generate_key().decode()``) to keep EDR tokens encrypted.
        busy_timeout: Seconds to wait for another process's write before giving up with a StoreError.

    Raises:
        ConfigurationError: ``edr_key`` or ``busy_timeout`` is invalid.
        StoreError: The file cannot be created or opened, is corrupt, belongs to another application, or was
            written by a newer d4h_sdk.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, edr_key: bytes | str | None = None, busy_timeout: float = 5.0
    ) -> None:
        if isinstance(busy_timeout, bool) or not isinstance(busy_timeout, (int, float)):
            raise ConfigurationError(f"busy_timeout must be a number of seconds, not {busy_timeout!r}")
        if not (math.isfinite(busy_timeout) and busy_timeout >= 0):
            raise ConfigurationError(
                f"busy_timeout must be a finite number of seconds >= 0, not {busy_timeout}"
            )
        self._cipher = None if edr_key is None else TokenCipher(edr_key)
        self._busy_timeout = float(busy_timeout)
        self._lock = threading.Lock()
        self._closed = False
        memory = os.fspath(path) == _MEMORY
        self._path = _MEMORY if memory else str(Path(path).expanduser())
        try:
            if not memory:
                _create_file(Path(self._path))
        except OSError as exc:
            raise StoreError(f"cannot create the store {self._path}: {exc.strerror or exc}") from exc
        try:
            self._db = sqlite3.connect(
                self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._error(exc, "opening it") from exc
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL").fetchone()
            self._db.execute("PRAGMA synchronous = NORMAL")
            previous = migrate(self._db, self._path)
        except sqlite3.Error as exc:
            self._db.close()
            raise self._error(exc, "opening it") from exc
        except StoreError:
            self._db.close()
            raise
        if previous and previous != self.schema_version:
            logger.info("migrated the store %s from schema %d", self._path, previous)

    @property
    def path(self) -> str:
        """The database file (``":memory:"`` for an in-memory database)."""
        return self._path

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        with self._connection("reading its version") as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def encrypts_tokens(self) -> bool:
        """Whether EDR tokens are kept (encrypted); False means they are not stored at all."""
        return self._cipher is not None

    def __repr__(self) -> str:
        tokens = "encrypted" if self._cipher else "not stored"
        return f"SqliteStore({self._path!r}, edr tokens {tokens})"

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _error(self, exc: sqlite3.Error, action: str) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StoreError(
                f"the store {self._path} stayed locked by another process for {self._busy_timeout:g} s "
                f"while {action}; try again, or raise busy_timeout"
            )
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(
            exc, (sqlite3.OperationalError, sqlite3.IntegrityError)
        ):
            return StoreError(
                f"the store {self._path} is corrupt or not an SQLite database ({text}); "
                "move it away (a new store is then created) or restore a backup"
            )
        return StoreError(f"the store {self._path} failed while {action}: {text}")

    @contextlib.contextmanager
    def _connection(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StoreError(f"the store {self._path} is closed; open a new SqliteStore")
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise self._error(exc, action) from exc

    def _put(self, record: _R, kind: type[_R]) -> None:
        if not isinstance(record, kind):
            raise ConfigurationError(f"expected a {kind.__name__}, got {type(record).__name__}")
        table = _TABLES[kind]
        names = [item.name for item in fields(record)]
        sql = f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        with self._connection(f"saving to {table}") as db:
            db.execute(sql, _to_row(record))

    def _select(self, kind: type[_R], where: Mapping[str, str | None]) -> list[_R]:
        table = _TABLES[kind]
        names = [item.name for item in fields(kind)]
        chosen = {column: value for column, value in where.items() if value is not None}
        sql = f"SELECT {', '.join(names)} FROM {table}"
        if chosen:
            sql += " WHERE " + " AND ".join(f"{column} = ?" for column in chosen)
        with self._connection(f"reading {table}") as db:
            rows = db.execute(sql + " ORDER BY created_at, id", tuple(chosen.values())).fetchall()
        return [self._record(kind, names, row) for row in rows]

    def _record(self, kind: type[_R], names: Sequence[str], row: Sequence[Any]) -> _R:
        try:
            values = {
                name: json.loads(value) if name in _JSON_COLUMNS else value
                for name, value in zip(names, row, strict=True)
            }
            return kind(**values)
        except (ValueError, TypeError) as exc:
            raise StoreError(
                f"a row of {_TABLES[kind]} in the store {self._path} is damaged ({type(exc).__name__}); "
                "delete it or restore a backup"
            ) from exc

    def _get(self, kind: type[_R], record_id: str) -> _R | None:
        found = self._select(kind, {"id": record_id})
        return found[0] if found else None

    def put_negotiation(self, record: NegotiationRecord) -> None:
        """Insert or replace a negotiation record."""
        self._put(record, NegotiationRecord)

    def get_negotiation(self, negotiation_id: str) -> NegotiationRecord | None:
        """Return the negotiation record with this id, or ``None``."""
        return self._get(NegotiationRecord, negotiation_id)

    def list_negotiations(
        self, *, state: str | None = None, backend: str | None = None
    ) -> list[NegotiationRecord]:
        """Return the negotiation records, optionally only those in ``state`` and/or of ``backend``."""
        return self._select(NegotiationRecord, {"state": state, "backend": backend})

    def put_agreement(self, record: AgreementRecord) -> None:
        """Insert or replace an agreement record."""
        self._put(record, AgreementRecord)

    def get_agreement(self, agreement_id: str) -> AgreementRecord | None:
        """Return the agreement record with this id, or ``None``."""
        return self._get(AgreementRecord, agreement_id)

    def list_agreements(self) -> list[AgreementRecord]:
        """Return every agreement record."""
        return self._select(AgreementRecord, {})

    def put_transfer(self, record: TransferRecord) -> None:
        """Insert or replace a transfer record."""
        self._put(record, TransferRecord)

    def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        """Return the transfer record with this id, or ``None``."""
        return self._get(TransferRecord, transfer_id)

    def list_transfers(
        self, *, agreement_id: str | None = None, state: str | None = None
    ) -> list[TransferRecord]:
        """Return the transfer records, optionally only those under ``agreement_id`` and/or in ``state``."""
        return self._select(TransferRecord, {"agreement_id": agreement_id, "state": state})

    def put_edr(self, record: EdrRecord) -> None:
        """Insert or replace the EDR of an agreement; the token is encrypted with ``edr_key``, or dropped."""
        if not isinstance(record, EdrRecord):
            raise ConfigurationError(f"expected an EdrRecord, got {type(record).__name__}")
        token: bytes | None = None
        if self._cipher is not None and record.authorization is not None:
            token = self._cipher.seal(record.agreement_id, record.authorization)
        row = astuple(record)
        values = (*row[:3], token, SCHEME if token else None, *row[4:])
        with self._connection("saving an EDR") as db:
            db.execute(
                f"INSERT OR REPLACE INTO edrs ({_EDR_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values
            )

    def get_edr(self, agreement_id: str) -> EdrRecord | None:
        """Return the EDR cached for an agreement (``authorization=None`` if the token was not kept)."""
        with self._connection("reading an EDR") as db:
            row = db.execute(
                f"SELECT {_EDR_COLUMNS} FROM edrs WHERE agreement_id = ?", (agreement_id,)
            ).fetchone()
        if row is None:
            return None
        agreement, transfer_id, endpoint, token, scheme, auth_type, expires_at, stored_at = row
        authorization: str | None = None
        if token is not None and self._cipher is not None:
            if scheme == SCHEME:
                authorization = self._cipher.open(agreement, bytes(token))
            else:
                logger.warning("the EDR token cached for agreement %s uses an unknown scheme", agreement)
        try:
            return EdrRecord(
                agreement, transfer_id, endpoint, authorization, auth_type, expires_at, stored_at
            )
        except ValueError as exc:
            raise StoreError(f"the EDR row of agreement {agreement} in {self._path} is damaged") from exc

    def delete_edr(self, agreement_id: str) -> None:
        """Forget the EDR cached for an agreement (no error if there is none)."""
        with self._connection("deleting an EDR") as db:
            db.execute("DELETE FROM edrs WHERE agreement_id = ?", (agreement_id,))

    def close(self) -> None:
        """Close the database; later calls raise :class:`~d4h_sdk.errors.StoreError`."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
