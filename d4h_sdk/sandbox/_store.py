"""Persistence of the sandbox provider's negotiations, transfers and agreements.

:class:`ProviderStore` is the protocol the provider connector uses; :class:`SqliteProviderStore` implements it
on SQLite (a file, so a restarted provider continues where it stopped, or ``":memory:"``). Records are stored
as JSON in their canonical form (:meth:`NegotiationRecord.to_dict`, :meth:`TransferRecord.to_dict`), with the
lookup keys in columns. Saving is optimistic: a record of version ``n`` replaces only the stored version
``n - 1``, so two threads moving the same process cannot both win.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

from d4h_sdk.errors import ConfigurationError, ConflictError
from d4h_sdk.models._base import canonical_dict
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.policy import Agreement
from d4h_sdk.models.transfer import TransferState
from d4h_sdk.sandbox._negotiation_sm import NegotiationRecord
from d4h_sdk.sandbox._transfer_sm import TransferRecord

__all__ = ["ProviderStore", "SqliteProviderStore"]


@runtime_checkable
class ProviderStore(Protocol):
    """What the sandbox provider needs to keep negotiations, transfers and agreements."""

    def get_negotiation(self, provider_pid: str) -> NegotiationRecord | None:
        """Return the negotiation with this provider pid, or ``None``."""
        ...

    def find_negotiation(
        self, consumer_pid: str, *, counterparty: str | None = None
    ) -> NegotiationRecord | None:
        """Return the negotiation a consumer opened under ``consumer_pid``, or ``None``."""
        ...

    def save_negotiation(self, record: NegotiationRecord) -> None:
        """Insert (version 1) or update (version n over n - 1) a negotiation; its agreement is saved too."""
        ...

    def list_negotiations(
        self, *, states: Iterable[NegotiationState] | None = None
    ) -> list[NegotiationRecord]:
        """Return the negotiations (in the given states), oldest first."""
        ...

    def get_transfer(self, provider_pid: str) -> TransferRecord | None:
        """Return the transfer process with this provider pid, or ``None``."""
        ...

    def find_transfer(self, consumer_pid: str, *, counterparty: str | None = None) -> TransferRecord | None:
        """Return the transfer process a consumer opened under ``consumer_pid``, or ``None``."""
        ...

    def save_transfer(self, record: TransferRecord) -> None:
        """Insert (version 1) or update (version n over n - 1) a transfer process."""
        ...

    def list_transfers(self, *, states: Iterable[TransferState] | None = None) -> list[TransferRecord]:
        """Return the transfer processes (in the given states), oldest first."""
        ...

    def save_agreement(self, agreement: Agreement, *, provider_pid: str | None = None) -> None:
        """Store (or replace) an agreement, optionally linked to its negotiation."""
        ...

    def get_agreement(self, agreement_id: str) -> Agreement | None:
        """Return the agreement with this ``@id``, or ``None``."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS negotiations (
    provider_pid TEXT PRIMARY KEY,
    consumer_pid TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS negotiations_consumer ON negotiations (counterparty, consumer_pid);
CREATE TABLE IF NOT EXISTS transfers (
    provider_pid TEXT PRIMARY KEY,
    consumer_pid TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    agreement_id TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS transfers_consumer ON transfers (counterparty, consumer_pid);
CREATE TABLE IF NOT EXISTS agreements (
    agreement_id TEXT PRIMARY KEY,
    provider_pid TEXT,
    body TEXT NOT NULL
);
"""


class SqliteProviderStore:
    """A :class:`ProviderStore` on SQLite: one connection guarded by a lock, WAL journal for files.

    Args:
        path: A database file (created if missing) or ``":memory:"`` (the default).

    Raises:
        ConfigurationError: The database cannot be opened.
    """

    def __init__(self, path: str | os.PathLike[str] = ":memory:") -> None:
        self._path = os.fspath(path)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            if self._path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open the provider store at {self._path}: {exc}") from exc
        self._closed = False

    def __enter__(self) -> SqliteProviderStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteProviderStore({self._path!r})"

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise ConfigurationError("the provider store is closed")
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._closed:
                raise ConfigurationError("the provider store is closed")
            return list(self._conn.execute(sql, params).fetchall())

    # --- negotiations ---------------------------------------------------------------------------------------

    def get_negotiation(self, provider_pid: str) -> NegotiationRecord | None:
        """Return the negotiation with this provider pid, or ``None``."""
        rows = self._query("SELECT body FROM negotiations WHERE provider_pid = ?", (provider_pid,))
        return NegotiationRecord.from_dict(json.loads(rows[0][0])) if rows else None

    def find_negotiation(
        self, consumer_pid: str, *, counterparty: str | None = None
    ) -> NegotiationRecord | None:
        """Return the negotiation a consumer opened under ``consumer_pid``, or ``None``."""
        rows = self._query(
            "SELECT body FROM negotiations WHERE counterparty = ? AND consumer_pid = ?",
            (counterparty or "", consumer_pid),
        )
        return NegotiationRecord.from_dict(json.loads(rows[0][0])) if rows else None

    def save_negotiation(self, record: NegotiationRecord) -> None:
        """Insert (version 1) or update (version n over n - 1) a negotiation; its agreement is saved too.

        Raises:
            ConflictError: Another writer saved this negotiation first (or its consumerPid is taken).
        """
        body = json.dumps(record.to_dict())
        with self._transaction() as conn:
            if record.version == 1:
                try:
                    conn.execute(
                        "INSERT INTO negotiations VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            record.provider_pid,
                            record.consumer_pid,
                            record.counterparty or "",
                            record.state.value,
                            record.version,
                            record.created_at.isoformat(),
                            body,
                        ),
                    )
                except sqlite3.IntegrityError as exc:
                    raise _conflict("negotiation", record.provider_pid, "it already exists") from exc
            else:
                cursor = conn.execute(
                    "UPDATE negotiations SET state = ?, version = ?, body = ? "
                    "WHERE provider_pid = ? AND version = ?",
                    (record.state.value, record.version, body, record.provider_pid, record.version - 1),
                )
                if cursor.rowcount != 1:
                    raise _conflict(
                        "negotiation", record.provider_pid, f"version {record.version - 1} is not stored"
                    )
            if record.agreement is not None and record.agreement.id:
                _put_agreement(conn, record.agreement, record.provider_pid)

    def list_negotiations(
        self, *, states: Iterable[NegotiationState] | None = None
    ) -> list[NegotiationRecord]:
        """Return the negotiations (in the given states), oldest first."""
        rows = self._query("SELECT state, body FROM negotiations ORDER BY created_at, provider_pid", ())
        wanted = {state.value for state in states} if states is not None else None
        return [
            NegotiationRecord.from_dict(json.loads(body))
            for state, body in rows
            if wanted is None or state in wanted
        ]

    # --- transfers ------------------------------------------------------------------------------------------

    def get_transfer(self, provider_pid: str) -> TransferRecord | None:
        """Return the transfer process with this provider pid, or ``None``."""
        rows = self._query("SELECT body FROM transfers WHERE provider_pid = ?", (provider_pid,))
        return TransferRecord.from_dict(json.loads(rows[0][0])) if rows else None

    def find_transfer(self, consumer_pid: str, *, counterparty: str | None = None) -> TransferRecord | None:
        """Return the transfer process a consumer opened under ``consumer_pid``, or ``None``."""
        rows = self._query(
            "SELECT body FROM transfers WHERE counterparty = ? AND consumer_pid = ?",
            (counterparty or "", consumer_pid),
        )
        return TransferRecord.from_dict(json.loads(rows[0][0])) if rows else None

    def save_transfer(self, record: TransferRecord) -> None:
        """Insert (version 1) or update (version n over n - 1) a transfer process.

        Raises:
            ConflictError: Another writer saved this process first (or its consumerPid is taken).
        """
        body = json.dumps(record.to_dict())
        with self._transaction() as conn:
            if record.version == 1:
                try:
                    conn.execute(
                        "INSERT INTO transfers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            record.provider_pid,
                            record.consumer_pid,
                            record.counterparty or "",
                            record.agreement_id,
                            record.state.value,
                            record.version,
                            record.created_at.isoformat(),
                            body,
                        ),
                    )
                except sqlite3.IntegrityError as exc:
                    raise _conflict("transfer process", record.provider_pid, "it already exists") from exc
            else:
                cursor = conn.execute(
                    "UPDATE transfers SET state = ?, version = ?, body = ? "
                    "WHERE provider_pid = ? AND version = ?",
                    (record.state.value, record.version, body, record.provider_pid, record.version - 1),
                )
                if cursor.rowcount != 1:
                    version = record.version - 1
                    raise _conflict(
                        "transfer process", record.provider_pid, f"version {version} is not stored"
                    )

    def list_transfers(self, *, states: Iterable[TransferState] | None = None) -> list[TransferRecord]:
        """Return the transfer processes (in the given states), oldest first."""
        rows = self._query("SELECT state, body FROM transfers ORDER BY created_at, provider_pid", ())
        wanted = {state.value for state in states} if states is not None else None
        return [
            TransferRecord.from_dict(json.loads(body))
            for state, body in rows
            if wanted is None or state in wanted
        ]

    # --- agreements -----------------------------------------------------------------------------------------

    def save_agreement(self, agreement: Agreement, *, provider_pid: str | None = None) -> None:
        """Store (or replace) an agreement, optionally linked to its negotiation.

        Raises:
            ConfigurationError: The agreement has no ``@id``.
        """
        if not agreement.id:
            raise ConfigurationError("an agreement needs an @id to be stored")
        with self._transaction() as conn:
            _put_agreement(conn, agreement, provider_pid)

    def get_agreement(self, agreement_id: str) -> Agreement | None:
        """Return the agreement with this ``@id``, or ``None``."""
        rows = self._query("SELECT body FROM agreements WHERE agreement_id = ?", (agreement_id,))
        return Agreement.model_validate(json.loads(rows[0][0])) if rows else None


def _put_agreement(conn: sqlite3.Connection, agreement: Agreement, provider_pid: str | None) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO agreements VALUES (?, ?, ?)",
        (agreement.id, provider_pid, json.dumps(canonical_dict(agreement))),
    )


def _conflict(kind: str, provider_pid: str, detail: str) -> ConflictError:
    return ConflictError(
        f"{kind} {provider_pid} was changed concurrently ({detail}); reload it and retry", status_code=409
    )
