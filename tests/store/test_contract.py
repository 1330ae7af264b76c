"""The behaviour every store shares: one suite run on MemoryStore and SqliteStore (with and without key)."""

from __future__ import annotations

import threading

import pytest

from d4h_sdk.errors import ConfigurationError, StoreError
from d4h_sdk.store import MemoryStore, SqliteStore, Store

from .conftest import TOKEN, StoreFactory, agreement, edr, negotiation, transfer


def test_is_a_store(store: Store) -> None:
    assert isinstance(store, Store)


def test_unknown_ids_give_none(store: Store) -> None:
    assert store.get_negotiation("nope") is None
    assert store.get_agreement("nope") is None
    assert store.get_transfer("nope") is None
    assert store.get_edr("nope") is None
    assert store.list_negotiations() == []
    assert store.list_agreements() == []
    assert store.list_transfers() == []


def test_records_round_trip_exactly(store: Store) -> None:
    records = (negotiation(), agreement(), transfer())
    store.put_negotiation(records[0])
    store.put_agreement(records[1])
    store.put_transfer(records[2])
    assert store.get_negotiation("neg-1") == records[0]
    assert store.get_agreement("agr-1") == records[1]
    assert store.get_transfer("tp-1") == records[2]
    got = store.get_negotiation("neg-1")
    assert got is not None
    assert type(got.created_at) is float and got.created_at == 1_700_000_000.125
    assert got.extra == {
        "consumerPid": "urn:uuid:c-1",
        "callback": {"host": "127.0.0.1", "port": 8123},
        "n": [1, 2.5],
    }


def test_all_optional_fields_none_round_trip(store: Store) -> None:
    bare = negotiation(provider_id=None, protocol=None, dataset_id=None, offer_id=None, extra={})
    store.put_negotiation(bare)
    assert store.get_negotiation(bare.id) == bare
    bare_agreement = agreement(negotiation_id=None, dataset_id=None, provider_address=None, provider_id=None)
    store.put_agreement(bare_agreement)
    assert store.get_agreement(bare_agreement.id) == bare_agreement


def test_put_replaces_the_whole_record(store: Store) -> None:
    store.put_negotiation(negotiation(extra={"a": 1, "b": 2}))
    finalized = negotiation(
        state="FINALIZED", agreement_id="agr-1", updated_at=1_700_000_009.0, extra={"a": 3}
    )
    store.put_negotiation(finalized)
    assert store.get_negotiation("neg-1") == finalized
    assert store.list_negotiations() == [finalized]
    store.put_transfer(transfer())
    store.put_transfer(transfer(state="COMPLETED"))
    assert [t.state for t in store.list_transfers()] == ["COMPLETED"]
    store.put_agreement(agreement())
    store.put_agreement(agreement(policy={"@id": "agr-1"}))
    assert [a.policy for a in store.list_agreements()] == [{"@id": "agr-1"}]


def test_negotiation_filters_and_order(store: Store) -> None:
    store.put_negotiation(negotiation("n-3", created_at=30.0, state="FINALIZED", backend="edc"))
    store.put_negotiation(negotiation("n-1", created_at=10.0, state="REQUESTED", backend="dsp"))
    store.put_negotiation(negotiation("n-2", created_at=20.0, state="FINALIZED", backend="dsp"))
    store.put_negotiation(negotiation("n-0", created_at=20.0, state="TERMINATED", backend="edc"))
    assert [n.id for n in store.list_negotiations()] == ["n-1", "n-0", "n-2", "n-3"]
    assert [n.id for n in store.list_negotiations(state="FINALIZED")] == ["n-2", "n-3"]
    assert [n.id for n in store.list_negotiations(backend="edc")] == ["n-0", "n-3"]
    assert [n.id for n in store.list_negotiations(state="FINALIZED", backend="edc")] == ["n-3"]
    assert store.list_negotiations(state="VERIFIED") == []


def test_transfer_filters(store: Store) -> None:
    store.put_transfer(transfer("t-1", agreement_id="a-1", state="STARTED", created_at=1.0))
    store.put_transfer(transfer("t-2", agreement_id="a-1", state="COMPLETED", created_at=2.0))
    store.put_transfer(transfer("t-3", agreement_id="a-2", state="STARTED", created_at=3.0))
    assert [t.id for t in store.list_transfers(agreement_id="a-1")] == ["t-1", "t-2"]
    assert [t.id for t in store.list_transfers(state="STARTED")] == ["t-1", "t-3"]
    assert [t.id for t in store.list_transfers(agreement_id="a-1", state="STARTED")] == ["t-1"]
    assert store.list_transfers(agreement_id="a-9") == []


def test_returned_records_do_not_share_state(store: Store) -> None:
    extra = {"nested": {"k": "v"}}
    store.put_negotiation(negotiation(extra=extra))
    extra["nested"]["k"] = "changed after put"
    got = store.get_negotiation("neg-1")
    assert got is not None
    got.extra["nested"]["k"] = "changed after get"
    assert store.get_negotiation("neg-1") == negotiation(extra={"nested": {"k": "v"}})


def test_edr_put_get_delete(store: Store, store_kind: str) -> None:
    record = edr()
    store.put_edr(record)
    assert TOKEN not in repr(store)
    got = store.get_edr("agr-1")
    assert got is not None
    if store_kind == "sqlite":  # no key: the token is not kept
        assert got.authorization is None
        assert got == edr(authorization=None)
        assert not got.is_fresh(1_700_000_010.0)
    else:
        assert got == record
        assert got.authorization == TOKEN
        assert got.is_fresh(1_700_000_010.0)
    store.put_edr(edr(endpoint="https://other.example/data", authorization=None, expires_at=None))
    assert store.get_edr("agr-1") == edr(
        endpoint="https://other.example/data", authorization=None, expires_at=None
    )
    store.delete_edr("agr-1")
    assert store.get_edr("agr-1") is None
    store.delete_edr("agr-1")  # deleting twice is fine


def test_wrong_record_type_is_refused(store: Store) -> None:
    with pytest.raises(ConfigurationError, match="NegotiationRecord"):
        store.put_negotiation(transfer())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="EdrRecord"):
        store.put_edr(negotiation())  # type: ignore[arg-type]


def test_closed_store_raises_store_error(make_store: StoreFactory) -> None:
    store = make_store()
    store.put_negotiation(negotiation())
    store.close()
    store.close()  # idempotent
    for call in (
        lambda: store.get_negotiation("neg-1"),
        lambda: store.put_transfer(transfer()),
        lambda: store.list_agreements(),
        lambda: store.delete_edr("agr-1"),
    ):
        with pytest.raises(StoreError, match="closed"):
            call()


def test_context_manager_closes(store_kind: str) -> None:
    store: MemoryStore | SqliteStore
    store = MemoryStore() if store_kind == "memory" else SqliteStore(":memory:")
    with store as entered:
        assert entered is store
        entered.put_agreement(agreement())
    with pytest.raises(StoreError):
        store.list_agreements()


def test_twenty_threads(make_store: StoreFactory) -> None:
    store = make_store()
    barrier = threading.Barrier(20)
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(15):
                record = negotiation(f"n-{worker}-{i}", created_at=float(worker * 100 + i), state=f"S{i % 3}")
                store.put_negotiation(record)
                assert store.get_negotiation(record.id) == record
                store.put_negotiation(negotiation(record.id, created_at=record.created_at, state="FINALIZED"))
                store.put_edr(edr(f"a-{worker}-{i}"))
                store.list_negotiations(state="S1")
                store.put_transfer(transfer(f"t-{worker}-{i}", agreement_id=f"a-{worker}"))
        except BaseException as exc:  # reported below, in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures[0]
    assert len(store.list_negotiations(state="FINALIZED")) == 300
    assert len(store.list_negotiations()) == 300
    assert len(store.list_transfers(agreement_id="a-7")) == 15
    assert store.get_edr("a-19-14") is not None
