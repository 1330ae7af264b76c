"""SqliteProviderStore: round trips, optimistic concurrency, threads, and a provider restart mid-flow."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from d4h_sdk.errors import ConfigurationError, ConflictError
from d4h_sdk.models.negotiation import (
    ContractAgreementVerificationMessage,
    ContractNegotiationEventMessage,
    NegotiationEventType,
    NegotiationState,
)
from d4h_sdk.models.transfer import TransferCompletionMessage, TransferState
from d4h_sdk.sandbox import _negotiation_sm as nsm
from d4h_sdk.sandbox import _transfer_sm as tsm
from d4h_sdk.sandbox._store import ProviderStore, SqliteProviderStore

from ._support import (
    AGREEMENT_ID,
    CPID,
    T0,
    initial_request,
    make_agreement,
    make_offer,
    negotiation,
    pids,
    pull_address,
    transfer,
    transfer_request,
)

N = NegotiationState
T = TransferState


@pytest.fixture
def store() -> Iterator[SqliteProviderStore]:
    with SqliteProviderStore() as opened:
        yield opened


def test_is_a_provider_store(store: SqliteProviderStore) -> None:
    assert isinstance(store, ProviderStore)
    assert repr(store) == "SqliteProviderStore(':memory:')"


def test_negotiation_round_trip_and_lookups(store: SqliteProviderStore) -> None:
    record = nsm.on_message(
        None, initial_request(), make_pid=pids(), participant_id="did:web:c", now=T0
    ).record
    assert record is not None
    store.save_negotiation(record)
    assert store.get_negotiation(record.provider_pid) == record
    assert store.find_negotiation(CPID, counterparty="did:web:c") == record
    assert store.find_negotiation(CPID) is None  # another (anonymous) consumer's pid space
    assert store.get_negotiation("urn:uuid:nope") is None


def test_agreed_negotiation_saves_the_agreement(store: SqliteProviderStore) -> None:
    record = negotiation(N.ACCEPTED, version=1)
    store.save_negotiation(record)
    agreed = nsm.agree(record, make_agreement(), now=T0).record
    store.save_negotiation(agreed)
    assert store.get_negotiation(agreed.provider_pid) == agreed
    assert store.get_agreement(AGREEMENT_ID) == agreed.agreement
    assert store.get_agreement("urn:uuid:unknown") is None


def test_save_agreement_directly(store: SqliteProviderStore) -> None:
    store.save_agreement(make_agreement("urn:uuid:seeded"), provider_pid=None)
    assert store.get_agreement("urn:uuid:seeded") == make_agreement("urn:uuid:seeded")
    with pytest.raises(ConfigurationError, match="@id"):
        store.save_agreement(make_agreement(""))


def test_optimistic_concurrency(store: SqliteProviderStore) -> None:
    record = negotiation(N.REQUESTED, version=1)
    store.save_negotiation(record)
    with pytest.raises(ConflictError, match="already exists"):
        store.save_negotiation(record)
    offered = nsm.offer(record, make_offer("urn:uuid:o")).record
    terminated = nsm.terminate(record).record  # a second writer, from the same stale version
    store.save_negotiation(offered)
    with pytest.raises(ConflictError, match="changed concurrently") as info:
        store.save_negotiation(terminated)
    assert info.value.status_code == 409
    assert store.get_negotiation(record.provider_pid) == offered


def test_transfer_round_trip_lookups_and_conflicts(store: SqliteProviderStore) -> None:
    record = tsm.on_message(None, transfer_request(), make_pid=pids(), now=T0).record
    assert record is not None
    store.save_transfer(record)
    assert store.find_transfer(CPID) == record
    started = tsm.start(record, pull_address(), now=T0).record
    store.save_transfer(started)
    assert store.get_transfer(record.provider_pid) == started
    with pytest.raises(ConflictError):
        store.save_transfer(tsm.terminate(record).record)
    with pytest.raises(ConflictError):
        store.save_transfer(record)
    assert store.get_transfer("urn:uuid:none") is None


def test_listing_by_state(store: SqliteProviderStore) -> None:
    for index, state in enumerate([N.REQUESTED, N.VERIFIED, N.VERIFIED]):
        store.save_negotiation(
            negotiation(state, provider_pid=f"urn:p:{index}", consumer_pid=f"urn:c:{index}", version=1)
        )
    assert [r.provider_pid for r in store.list_negotiations(states=[N.VERIFIED])] == ["urn:p:1", "urn:p:2"]
    assert len(store.list_negotiations()) == 3
    store.save_transfer(transfer(T.STARTED, version=1))
    assert [r.state for r in store.list_transfers(states=[T.STARTED])] == [T.STARTED]
    assert store.list_transfers(states=[T.COMPLETED]) == []


def test_restarted_provider_continues(tmp_path: Path) -> None:
    path = tmp_path / "provider.db"
    make_pid = pids()
    with SqliteProviderStore(path) as first:
        record = nsm.on_message(None, initial_request(), make_pid=make_pid).record
        assert record is not None
        first.save_negotiation(record)
        record = nsm.agree(record, make_agreement()).record
        first.save_negotiation(record)
        transfer_record = tsm.on_message(None, transfer_request("urn:uuid:c-t"), make_pid=make_pid).record
        assert transfer_record is not None
        first.save_transfer(transfer_record)
        first.save_transfer(tsm.start(transfer_record, pull_address()).record)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)

    with SqliteProviderStore(path) as second:
        (pending,) = second.list_negotiations(states=[N.AGREED])
        verification = ContractAgreementVerificationMessage(
            provider_pid=pending.provider_pid, consumer_pid=CPID
        )
        outcome = nsm.on_message(pending, verification)
        assert outcome.status == 200 and outcome.record is not None
        second.save_negotiation(outcome.record)
        final = nsm.finalize(outcome.record)
        assert final.message == ContractNegotiationEventMessage(
            provider_pid=pending.provider_pid, consumer_pid=CPID, event_type=NegotiationEventType.FINALIZED
        )
        second.save_negotiation(final.record)
        assert second.get_agreement(AGREEMENT_ID) is not None

        running = second.find_transfer("urn:uuid:c-t")
        assert running is not None and running.state is T.STARTED and running.start_address == pull_address()
        resent = tsm.on_message(running, transfer_request("urn:uuid:c-t"))  # idempotent after the restart
        assert resent.status == 201 and len(resent.effects) == 1
        done = tsm.on_message(
            running, TransferCompletionMessage(provider_pid=running.provider_pid, consumer_pid="urn:uuid:c-t")
        )
        assert done.record is not None
        second.save_transfer(done.record)

    with SqliteProviderStore(path) as third:
        stored = third.get_negotiation(pending.provider_pid)
        assert stored is not None and stored.state is N.FINALIZED and stored.version == 4
        finished = third.find_transfer("urn:uuid:c-t")
        assert finished is not None and finished.state is T.COMPLETED


def test_threads_racing_on_one_negotiation_have_exactly_one_winner(tmp_path: Path) -> None:
    with SqliteProviderStore(tmp_path / "race.db") as shared:
        base = negotiation(N.REQUESTED, version=1)
        shared.save_negotiation(base)
        results: list[str] = []
        barrier = threading.Barrier(8)

        def worker(index: int) -> None:
            step = (
                nsm.terminate(base, f"T{index}")
                if index % 2
                else nsm.offer(base, make_offer(f"urn:uuid:o{index}"))
            )
            barrier.wait()
            try:
                shared.save_negotiation(step.record)
                results.append("won")
            except ConflictError:
                results.append("lost")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == ["lost"] * 7 + ["won"]
        stored = shared.get_negotiation(base.provider_pid)
        assert stored is not None and stored.version == 2


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    closed = SqliteProviderStore(tmp_path / "c.db")
    closed.close()
    closed.close()  # idempotent
    with pytest.raises(ConfigurationError, match="closed"):
        closed.get_negotiation("x")
    with pytest.raises(ConfigurationError, match="closed"):
        closed.save_transfer(transfer(T.REQUESTED, version=1))


def test_unopenable_path_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot open"):
        SqliteProviderStore(tmp_path / "missing-dir" / "x.db")


def test_record_dict_round_trip_keeps_every_field() -> None:
    record = nsm.terminate(
        negotiation(N.AGREED, counterparty="did:web:c", dialect="dsp-2024-1"),
        "C",
        [{"@value": "x", "@language": "en"}],
    ).record
    assert nsm.NegotiationRecord.from_dict(record.to_dict()) == record
    moved = tsm.suspend(transfer(T.STARTED, kind="push", data_address=pull_address()), "S", ["why"]).record
    assert tsm.TransferRecord.from_dict(moved.to_dict()) == moved
