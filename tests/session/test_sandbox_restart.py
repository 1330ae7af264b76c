"""A negotiation started before the whole sandbox stops is finished by a new session after it restarts.

The provider keeps its state in SQLite and its identities (keys, DIDs, ports) beside it; the agreement the
consumer missed while the provider was down is sent again on restart; the consumer resumes from its own store
on the same callback port (issue 5: restart; issue 6 item 12).
"""

from __future__ import annotations

from pathlib import Path

from d4h_sdk import Session, purposes
from d4h_sdk.sandbox import CallbackDelay, FaultPlan, Sandbox
from d4h_sdk.store import SqliteStore
from tests.session._helpers import free_port

RESEARCH = purposes.SCIENTIFIC_RESEARCH


def test_a_negotiation_survives_a_full_sandbox_restart(tmp_path: Path) -> None:
    provider_store, consumer_store, port = (
        tmp_path / "provider.sqlite",
        tmp_path / "consumer.sqlite",
        free_port(),
    )
    held = FaultPlan(delayed_callbacks=(CallbackDelay("*/agreement", delay_s=30),))  # it never leaves
    with Sandbox(seed=2, patients=20, store_path=provider_store, faults=held) as first:
        identity = (first.provider_url, first.provider.did, first.participants["research-lab"].did)
        with (
            SqliteStore(consumer_store) as store,
            Session.sandbox(first, backend="dsp", store=store, callback_port=port) as session,
        ):
            hit = session.catalog.get(session.default_provider or "", "diabetes-sample", purpose=RESEARCH)
            negotiation_id = session.negotiations.start(hit, purpose=RESEARCH)
    with Sandbox(seed=2, patients=20, store_path=provider_store) as second:
        assert (second.provider_url, second.provider.did, second.participants["research-lab"].did) == identity
        with (
            SqliteStore(consumer_store) as store,
            Session.sandbox(second, backend="dsp", store=store, callback_port=port) as session,
        ):
            contract = session.negotiations.resume(negotiation_id, timeout=30)
            with session.transfers.pull(contract) as download:
                assert download.read_bytes() and download.verified
