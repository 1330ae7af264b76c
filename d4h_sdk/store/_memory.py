"""An in-memory store: for scripts, tests and sessions that need not survive a restart."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from d4h_sdk.errors import ConfigurationError, StoreError
from d4h_sdk.store._records import AgreementRecord, EdrRecord, NegotiationRecord, Store, TransferRecord

__all__ = ["MemoryStore"]

_R = TypeVar("_R", NegotiationRecord, AgreementRecord, TransferRecord, EdrRecord)


def _copy(record: _R) -> _R:
    # replace() runs __post_init__ again, which deep-copies the JSON fields: callers never share them.
    return dataclasses.replace(record)


def _ordered(records: Iterable[_R], keep: Callable[[_R], bool]) -> list[_R]:
    chosen = [_copy(record) for record in records if keep(record)]
    chosen.sort(key=lambda record: (getattr(record, "created_at", 0.0), getattr(record, "id", "")))
    return chosen


class MemoryStore(Store):
    """A thread-safe store that keeps everything in this process's memory, EDR tokens included.

    Nothing is written to disk and everything is lost when the process ends. Records are copied in and out,
    so changing a returned record's ``extra`` does not change the store.

    Example:
        >>> store = MemoryStore()
        >>> store.get_negotiation("unknown") is None
        True
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._negotiations: dict[str, NegotiationRecord] = {}
        self._agreements: dict[str, AgreementRecord] = {}
        self._transfers: dict[str, TransferRecord] = {}
        self._edrs: dict[str, EdrRecord] = {}

    def __repr__(self) -> str:
        return f"MemoryStore(negotiations={len(self._negotiations)}, transfers={len(self._transfers)})"

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed; create a new MemoryStore")

    def _put(self, table: dict[str, _R], key: str, record: _R, kind: type[_R]) -> None:
        if not isinstance(record, kind):
            raise ConfigurationError(f"expected a {kind.__name__}, got {type(record).__name__}")
        with self._lock:
            self._check_open()
            table[key] = _copy(record)

    def _get(self, table: dict[str, _R], key: str) -> _R | None:
        with self._lock:
            self._check_open()
            record = table.get(key)
            return None if record is None else _copy(record)

    def put_negotiation(self, record: NegotiationRecord) -> None:
        """Insert or replace a negotiation record."""
        self._put(self._negotiations, record.id, record, NegotiationRecord)

    def get_negotiation(self, negotiation_id: str) -> NegotiationRecord | None:
        """Return the negotiation record with this id, or ``None``."""
        return self._get(self._negotiations, negotiation_id)

    def list_negotiations(
        self, *, state: str | None = None, backend: str | None = None
    ) -> list[NegotiationRecord]:
        """Return the negotiation records, optionally only those in ``state`` and/or of ``backend``."""
        with self._lock:
            self._check_open()
            return _ordered(
                self._negotiations.values(),
                lambda r: (state is None or r.state == state) and (backend is None or r.backend == backend),
            )

    def put_agreement(self, record: AgreementRecord) -> None:
        """Insert or replace an agreement record."""
        self._put(self._agreements, record.id, record, AgreementRecord)

    def get_agreement(self, agreement_id: str) -> AgreementRecord | None:
        """Return the agreement record with this id, or ``None``."""
        return self._get(self._agreements, agreement_id)

    def list_agreements(self) -> list[AgreementRecord]:
        """Return every agreement record."""
        with self._lock:
            self._check_open()
            return _ordered(self._agreements.values(), lambda r: True)

    def put_transfer(self, record: TransferRecord) -> None:
        """Insert or replace a transfer record."""
        self._put(self._transfers, record.id, record, TransferRecord)

    def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        """Return the transfer record with this id, or ``None``."""
        return self._get(self._transfers, transfer_id)

    def list_transfers(
        self, *, agreement_id: str | None = None, state: str | None = None
    ) -> list[TransferRecord]:
        """Return the transfer records, optionally only those under ``agreement_id`` and/or in ``state``."""
        with self._lock:
            self._check_open()
            return _ordered(
                self._transfers.values(),
                lambda r: (
                    (agreement_id is None or r.agreement_id == agreement_id)
                    and (state is None or r.state == state)
                ),
            )

    def put_edr(self, record: EdrRecord) -> None:
        """Insert or replace the EDR cached for ``record.agreement_id`` (the token is kept in memory)."""
        self._put(self._edrs, record.agreement_id, record, EdrRecord)

    def get_edr(self, agreement_id: str) -> EdrRecord | None:
        """Return the EDR cached for an agreement, or ``None``."""
        return self._get(self._edrs, agreement_id)

    def delete_edr(self, agreement_id: str) -> None:
        """Forget the EDR cached for an agreement (no error if there is none)."""
        with self._lock:
            self._check_open()
            self._edrs.pop(agreement_id, None)

    def close(self) -> None:
        """Drop every record; later calls raise :class:`~d4h_sdk.errors.StoreError`."""
        with self._lock:
            self._closed = True
            self._negotiations.clear()
            self._agreements.clear()
            self._transfers.clear()
            self._edrs.clear()
