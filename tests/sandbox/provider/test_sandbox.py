"""The Sandbox facade: persistence in a SQLite file, clean shutdown, callback retries."""

from __future__ import annotations

import threading
from pathlib import Path

from d4h_sdk._http import HttpClient
from d4h_sdk.models import ContractNegotiationEventMessage
from d4h_sdk.models.negotiation import NegotiationEventType, NegotiationState
from d4h_sdk.sandbox._negotiation_sm import SendCallback
from d4h_sdk.sandbox._provider_flows import CallbackSender, declared_purpose
from d4h_sdk.sandbox._sandbox import Sandbox
from d4h_sdk.sandbox._store import SqliteProviderStore

from .conftest import Receiver, requested_offer
from .test_negotiation import negotiate


def test_state_is_kept_in_the_sqlite_file(tmp_path: Path, http: HttpClient, receiver: Receiver) -> None:
    path = tmp_path / "provider.sqlite"
    before = set(threading.enumerate())
    with Sandbox(seed=1, patients=10, store_path=path) as ds:
        _, provider_pid, _, message = negotiate(ds, http, receiver, "dsp-2025-1")
        ds.close()
        ds.close()  # idempotent
    with SqliteProviderStore(path) as store:
        record = store.get_negotiation(provider_pid)
        assert record is not None and record.state is NegotiationState.FINALIZED
        assert store.get_agreement(message.agreement.id or "") == message.agreement
    left = [t.name for t in set(threading.enumerate()) - before if t.name.startswith("d4h-") and t.is_alive()]
    assert left == []


def test_callbacks_retry_connection_errors_only(sandbox: Sandbox) -> None:
    pauses: list[float] = []
    message = ContractNegotiationEventMessage(
        provider_pid="urn:uuid:p", consumer_pid="urn:uuid:c", event_type=NegotiationEventType.FINALIZED
    )
    with HttpClient(timeout=(1, 1), max_retries=0) as client:
        sender = CallbackSender(sandbox.provider, client, attempts=3, backoff_s=0.01, sleep=pauses.append)
        closed = SendCallback("http://127.0.0.1:9/cb", "/negotiations/urn:uuid:c/events", message)
        assert (
            sender.send(closed, dialect="dsp-2025-1", audience=sandbox.participants["research-lab"].did)
            is False
        )
        assert pauses == [0.01, 0.02]  # three attempts
        pauses.clear()
        refused = SendCallback(sandbox.connector.url, "/nowhere", message)  # answers 404: not retried
        assert sender.send(refused, dialect="dsp-2025-1", audience=None) is False
        assert pauses == []


def test_declared_purpose_is_read_from_the_requested_offer(sandbox: Sandbox) -> None:
    offer = requested_offer(sandbox, "diabetes-sample", "open", purpose="urn:purpose:x")
    assert declared_purpose(offer) == "urn:purpose:x"
    catalog_offer = next(d for d in sandbox.datasets if d.id == "diabetes-sample").offer("open")
    assert declared_purpose(catalog_offer) is None  # "isAnyOf" two purposes declares none
