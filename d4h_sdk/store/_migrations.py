"""The SQLite store's schema, as an ordered list of migrations.

The schema version lives in ``PRAGMA user_version`` (0 for a new, empty file) and the file is marked as
ours with ``PRAGMA application_id``. Opening a store applies every migration above the file's version, in
order, inside one write transaction, so two processes opening an old file at once migrate it once.
A file whose version is above :data:`SCHEMA_VERSION` was written by a newer SDK and is refused.

Never edit a released migration: append a new one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from d4h_sdk.errors import StoreError

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate"]

APPLICATION_ID = 0x44344853
"""``PRAGMA application_id`` of a d4h store file ("D4HS")."""


@dataclass(frozen=True)
class Migration:
    """One schema step: the statements that take a database from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "negotiations, agreements, transfers and EDRs",
        (
            f"PRAGMA application_id = {APPLICATION_ID}",
            """CREATE TABLE negotiations (
                id TEXT PRIMARY KEY, backend TEXT NOT NULL, provider_address TEXT NOT NULL,
                provider_id TEXT, protocol TEXT, dataset_id TEXT, offer_id TEXT, state TEXT NOT NULL,
                agreement_id TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                extra TEXT NOT NULL)""",
            """CREATE TABLE agreements (
                id TEXT PRIMARY KEY, negotiation_id TEXT, dataset_id TEXT, provider_address TEXT,
                provider_id TEXT, policy TEXT NOT NULL, created_at REAL NOT NULL)""",
            """CREATE TABLE transfers (
                id TEXT PRIMARY KEY, backend TEXT NOT NULL, agreement_id TEXT NOT NULL,
                provider_address TEXT NOT NULL, provider_id TEXT, transfer_type TEXT NOT NULL,
                state TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                extra TEXT NOT NULL)""",
            """CREATE TABLE edrs (
                agreement_id TEXT PRIMARY KEY, transfer_id TEXT NOT NULL, endpoint TEXT NOT NULL,
                token BLOB, auth_type TEXT, expires_at REAL, stored_at REAL NOT NULL)""",
        ),
    ),
    Migration(
        2,
        "indexes for the list filters; how each EDR token is protected",
        (
            "CREATE INDEX negotiations_by_state ON negotiations (state, backend)",
            "CREATE INDEX transfers_by_agreement ON transfers (agreement_id, state)",
            "ALTER TABLE edrs ADD COLUMN token_scheme TEXT",
            # v1 could only hold Fernet ciphertext in ``token``: say so, so later schemes can coexist.
            "UPDATE edrs SET token_scheme = 'fernet' WHERE token IS NOT NULL",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema version this SDK writes."""


def _version(connection: sqlite3.Connection) -> tuple[int, int]:
    user_version = connection.execute("PRAGMA user_version").fetchone()[0]
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    return int(user_version), int(application_id)


def _check(connection: sqlite3.Connection, path: str) -> int:
    version, application_id = _version(connection)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the store {path} has schema version {version}, written by a newer d4h_sdk "
            f"(this one knows up to {SCHEMA_VERSION}): upgrade d4h_sdk, or use another store path"
        )
    if version == 0:
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables:
            raise StoreError(f"{path} is an SQLite database of another application, not a d4h store")
    elif application_id != APPLICATION_ID:
        raise StoreError(f"{path} is an SQLite database of another application, not a d4h store")
    return version


def migrate(connection: sqlite3.Connection, path: str) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`.

    Args:
        connection: An open connection in autocommit mode (``isolation_level=None``).
        path: The file's path, for messages.

    Returns:
        The schema version the file had before.

    Raises:
        StoreError: The file is from a newer SDK or of another application.
        sqlite3.Error: The database failed (the caller turns it into a StoreError).
    """
    before = _check(connection, path)
    if before == SCHEMA_VERSION:
        return before
    connection.execute("BEGIN IMMEDIATE")
    try:
        current = _check(connection, path)  # another process may have migrated while we waited
        for migration in MIGRATIONS:
            if migration.version > current:
                for statement in migration.statements:
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {migration.version}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return before
