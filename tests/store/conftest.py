"""Record factories and a store fixture parametrised over every store kind."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk.store import (
    AgreementRecord,
    EdrRecord,
    MemoryStore,
    NegotiationRecord,
    SqliteStore,
    Store,
    TransferRecord,
)

TOKEN = "eyJhbGciOiJFUzI1NiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.U0lHTkFUVVJFLXh5eg"
"""A distinctive EDR token: tests look for it in files, reprs and logs."""


def negotiation(id: str = "neg-1", **changes: Any) -> NegotiationRecord:
    values: dict[str, Any] = {
        "id": id,
        "backend": "dsp",
        "provider_address": "https://hospital.example/api/dsp",
        "provider_id": "did:web:hospital.example",
        "protocol": "dataspace-protocol-http:2025-1",
        "dataset_id": "urn:uuid:dataset-1",
        "offer_id": "urn:uuid:offer-1",
        "state": "REQUESTED",
        "agreement_id": None,
        "created_at": 1_700_000_000.125,
        "updated_at": 1_700_000_001.5,
        "extra": {
            "consumerPid": "urn:uuid:c-1",
            "callback": {"host": "127.0.0.1", "port": 8123},
            "n": [1, 2.5],
        },
    }
    values.update(changes)
    return NegotiationRecord(**values)


def agreement(id: str = "agr-1", **changes: Any) -> AgreementRecord:
    values: dict[str, Any] = {
        "id": id,
        "negotiation_id": "neg-1",
        "dataset_id": "urn:uuid:dataset-1",
        "provider_address": "https://hospital.example/api/dsp",
        "provider_id": "did:web:hospital.example",
        "policy": {
            "@id": id,
            "@type": "Agreement",
            "target": "urn:uuid:dataset-1",
            "permission": [{"action": "use", "constraint": [{"leftOperand": "purpose", "operator": "eq"}]}],
        },
        "created_at": 1_700_000_002.0,
    }
    values.update(changes)
    return AgreementRecord(**values)


def transfer(id: str = "tp-1", **changes: Any) -> TransferRecord:
    values: dict[str, Any] = {
        "id": id,
        "backend": "edc",
        "agreement_id": "agr-1",
        "provider_address": "https://hospital.example/api/dsp",
        "provider_id": None,
        "transfer_type": "HttpData-PULL",
        "state": "STARTED",
        "created_at": 1_700_000_003.0,
        "updated_at": 1_700_000_004.0,
        "extra": {},
    }
    values.update(changes)
    return TransferRecord(**values)


def edr(agreement_id: str = "agr-1", **changes: Any) -> EdrRecord:
    values: dict[str, Any] = {
        "agreement_id": agreement_id,
        "transfer_id": "tp-1",
        "endpoint": "https://hospital.example/public/data",
        "authorization": TOKEN,
        "auth_type": "bearer",
        "expires_at": 1_700_000_600.0,
        "stored_at": 1_700_000_005.0,
    }
    values.update(changes)
    return EdrRecord(**values)


StoreFactory = Callable[[], Store]


@pytest.fixture(params=["memory", "sqlite", "sqlite-encrypted"])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def make_store(store_kind: str, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of stores of one kind (SQLite ones on one file), all closed at the end."""
    key = os.urandom(32)
    opened: list[Store] = []

    def factory() -> Store:
        created: Store
        if store_kind == "memory":
            created = MemoryStore()
        elif store_kind == "sqlite":
            created = SqliteStore(tmp_path / "store.sqlite")
        else:
            created = SqliteStore(tmp_path / "store.sqlite", edr_key=key)
        opened.append(created)
        return created

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store()
