"""Local state: negotiations, agreements, transfers and EDRs, so a session resumes after a restart.

- :class:`MemoryStore`: in this process only (the session's default); EDR tokens stay in memory.
- :class:`SqliteStore`: one SQLite file shared by threads and processes, with versioned schema migrations;
  the CLI uses it at :func:`default_store_path`. EDR tokens are never written in clear text: they are not
  stored at all unless an ``edr_key`` is given, in which case they are stored encrypted (Fernet).

Every store implements the :class:`Store` protocol; errors are :class:`~d4h_sdk.errors.StoreError` (the
store is unusable) and :class:`~d4h_sdk.errors.ConfigurationError` (a bad argument).

Example:
    >>> from d4h_sdk.store import MemoryStore, NegotiationRecord
    >>> store = MemoryStore()
    >>> store.put_negotiation(NegotiationRecord(
    ...     id="n-1", backend="dsp", provider_address="https://hospital.example/dsp", provider_id=None,
    ...     protocol=None, dataset_id="ds-1", offer_id="o-1", state="REQUESTED", agreement_id=None,
    ...     created_at=1.0, updated_at=1.0, extra={}))
    >>> [r.id for r in store.list_negotiations(state="REQUESTED")]
    ['n-1']
"""

from __future__ import annotations

from d4h_sdk.store._memory import MemoryStore
from d4h_sdk.store._paths import default_store_path
from d4h_sdk.store._records import AgreementRecord, EdrRecord, NegotiationRecord, Store, TransferRecord
from d4h_sdk.store._sqlite import SqliteStore

__all__ = [
    "AgreementRecord",
    "EdrRecord",
    "MemoryStore",
    "NegotiationRecord",
    "SqliteStore",
    "Store",
    "TransferRecord",
    "default_store_path",
]
