"""Reliability of a whole session flow under the sandbox's fault injection, with both backends.

Error bursts and dropped connections (the flow completes and the provider holds exactly one negotiation),
an ambiguous contract request (a typed error, never a second negotiation), a provider restarted in the middle
of a negotiation, a download cut mid-body (Range resume, checksum, no partial file under the final name), and
a consumer process killed mid-negotiation and resumed from its SQLite store in a new process.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from d4h_sdk import Session
from d4h_sdk._redact import RequestInfo, ResponseInfo
from d4h_sdk.connectors import DspConnector
from d4h_sdk.errors import APIConnectionError, APITimeoutError, ServerError
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.negotiation import Contract
from d4h_sdk.policy import purposes
from d4h_sdk.sandbox import Sandbox
from d4h_sdk.sandbox._authority import DS4H_SCOPES
from d4h_sdk.sandbox._faults import CallbackDelay, DropConnections, ErrorBurst, FaultPlan, Latency, SlowBody
from d4h_sdk.store import SqliteStore

from ._helpers import CuttingProxy, free_port, provider_negotiations, restarted_provider
from .conftest import DATASET, payload

PURPOSE = purposes.SCIENTIFIC_RESEARCH


@pytest.fixture
def faulty(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The module's sandbox, its fault plan reset after the test."""
    yield sandbox
    sandbox.faults = FaultPlan()


class Statuses:
    """A response event hook recording the status of every request the session's clients sent."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int]] = []

    def __call__(self, request: RequestInfo, response: ResponseInfo) -> None:
        self.seen.append((request.method, request.url, response.status_code))

    def errors(self) -> list[int]:
        return [status for _, _, status in self.seen if status >= 500]


def _kind(backend: str) -> Literal["edc", "dsp"]:
    assert backend in ("edc", "dsp")
    return "edc" if backend == "edc" else "dsp"


def _negotiate(session: Session, timeout: float = 20) -> Contract:
    hit = session.catalog.get(session.default_provider or "", DATASET)
    return session.negotiations.negotiate(hit, purpose=PURPOSE, timeout=timeout)


# -- 1. error bursts and dropped connections -------------------------------------------------------------------


def test_error_bursts_on_catalog_negotiation_transfer_and_data_are_absorbed(
    faulty: Sandbox, backend: str
) -> None:
    statuses = Statuses()
    before = provider_negotiations(faulty)
    transfers = len(faulty.connector.store.list_transfers())
    faulty.faults = FaultPlan(
        errors=(
            ErrorBurst("*/catalog/request", count=1, status=503, retry_after_s=0),
            ErrorBurst("*/negotiations/request", count=2, status=503, retry_after_s=0),
            ErrorBurst("*/transfers/request", count=2, status=503, retry_after_s=0),
            ErrorBurst("/data/*", method="GET", count=1, status=503, retry_after_s=0),
        )
    )
    with Session.sandbox(faulty, backend=_kind(backend), event_hooks={"response": [statuses]}) as session:
        hits = session.catalog.search(session.default_provider or "", text="diabetes", purpose=PURPOSE)
        assert hits.errors == {}
        hit = next(h for h in hits if h.dataset.id == DATASET)
        contract = session.negotiations.negotiate(hit, purpose=PURPOSE, timeout=20)
        with session.transfers.pull(contract) as download:
            assert download.read_bytes() == payload(faulty)
    # Each injected error reached the session (EDC: as the facade's 502; DSP and data plane: the 503 itself).
    assert len(statuses.errors()) == 1 + 2 + 2 + 1, statuses.seen
    assert provider_negotiations(faulty) == before + 1
    assert len(faulty.connector.store.list_transfers()) == transfers + 1


def test_dropped_connections_on_reads_are_retried(faulty: Sandbox, backend: str) -> None:
    before = provider_negotiations(faulty)
    faulty.faults = FaultPlan(
        drops=(
            DropConnections("*/catalog/request", count=1),
            DropConnections("*/catalog/datasets/*", method="GET", count=1),
            DropConnections("/data/*", method="GET", count=1),
        )
    )
    with Session.sandbox(faulty, backend=_kind(backend), max_retries=2) as session:
        assert session.catalog.search(session.default_provider or "", text="diabetes").errors == {}
        contract = _negotiate(session)
        with session.transfers.pull(contract) as download:
            assert download.read_bytes() == payload(faulty)
    assert provider_negotiations(faulty) == before + 1


def test_a_dropped_contract_request_never_makes_a_second_negotiation(faulty: Sandbox, backend: str) -> None:
    statuses = Statuses()
    with Session.sandbox(faulty, backend=_kind(backend), event_hooks={"response": [statuses]}) as session:
        hit = session.catalog.get(session.default_provider or "", DATASET)
        before = provider_negotiations(faulty)
        faulty.faults = FaultPlan(drops=(DropConnections("*/negotiations/request", method="POST", count=1),))
        if backend == "dsp":
            # The session cannot know whether the provider got the request: it raises, and sends nothing again.
            with pytest.raises(APIConnectionError) as caught:
                session.negotiations.negotiate(hit, purpose=PURPOSE, timeout=20)
            assert caught.value.request_method == "POST"
            assert caught.value.may_have_been_processed
            assert "may have received and processed this POST" in str(caught.value)
        else:
            # The EDC facade cannot know either: it answers 500 (not 502/503, which a client may repeat), and the
            # session does not send the request again on its own.
            with pytest.raises(ServerError) as failed:
                session.negotiations.negotiate(hit, purpose=PURPOSE, timeout=20)
            assert failed.value.status_code == 500 and "may have processed" in str(failed.value)
            assert statuses.errors().count(500) == 1
        assert session.negotiations.recorded() == []
        assert provider_negotiations(faulty) == before  # the drop came before the provider read it
        contract = session.negotiations.negotiate(hit, purpose=PURPOSE, timeout=20)
        assert contract.id
        assert provider_negotiations(faulty) == before + 1


def test_an_ambiguous_contract_request_raises_a_typed_error_and_is_not_sent_again(
    faulty: Sandbox, backend: str
) -> None:
    """The provider processes the request after the session stopped waiting: one negotiation, a typed error."""
    with Session.sandbox(faulty, backend=_kind(backend), read_timeout=0.4) as session:
        hit = session.catalog.get(session.default_provider or "", DATASET)
        before = provider_negotiations(faulty)
        faulty.faults = FaultPlan(latency=(Latency("*/negotiations/request", method="POST", seconds=1.0),))
        with pytest.raises(APITimeoutError) as caught:
            session.negotiations.start(hit, purpose=PURPOSE)
        assert isinstance(caught.value, APIConnectionError) and caught.value.request_method == "POST"
        assert "it is not sent again automatically" in str(caught.value)
        assert session.negotiations.recorded() == []
        deadline = time.monotonic() + 5
        while provider_negotiations(faulty) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # room for a (wrong) second send to arrive
        assert provider_negotiations(faulty) == before + 1


# -- 2. provider restart mid-negotiation -------------------------------------------------------------------


def _session_for_restart(sandbox: Sandbox, backend: str) -> Session:
    if backend == "edc":
        return Session.sandbox(sandbox, backend="edc")
    # The consumer's DspConnector reconciles with the provider after ``reconcile_after`` seconds without news
    # (default 10 s); shortened here so that the test takes about a second.
    lab = sandbox.participants["research-lab"]
    with Session.sandbox(sandbox, backend="dsp") as probe:
        claims = dict(probe.identity.claims)
        provider = probe.default_provider
    connector = DspConnector(
        participant_id=lab.did, token_source=lab.sts, scopes=DS4H_SCOPES, reconcile_after=0.5
    )
    return Session(connector, claims=claims, participant_id=lab.did, default_provider=provider)


@pytest.mark.parametrize("backend", ["edc", "dsp"])
def test_a_negotiation_resumes_after_the_provider_restarts(backend: str, tmp_path: Path) -> None:
    path = tmp_path / "provider.sqlite"
    with Sandbox(seed=3, patients=10, store_path=path) as sandbox:
        with _session_for_restart(sandbox, backend) as session:
            hit = session.catalog.get(session.default_provider or "", DATASET)
            sandbox.faults = FaultPlan(delayed_callbacks=(CallbackDelay("*/negotiations/*/agreement", 10),))
            negotiation_id = session.negotiations.start(hit, purpose=PURPOSE)
            time.sleep(0.2)
            assert not session.negotiations.get(negotiation_id).state.is_final
            # Closing the provider sends its late agreement at once; the consumer's verification then finds
            # the provider gone. The restarted provider continues from its SQLite store on the same address.
            with restarted_provider(sandbox, path) as provider:
                contract = session.negotiations.resume(negotiation_id, timeout=30)
                assert session.negotiations.get(negotiation_id).state is NegotiationState.FINALIZED
                records = provider.store.list_negotiations(states=[NegotiationState.FINALIZED])
                assert [r.agreement.id for r in records if r.agreement is not None] == [contract.id]
                with session.transfers.pull(contract) as download:
                    assert download.read_bytes() == payload(sandbox)


# -- 3. interrupted download -------------------------------------------------------------------------------


def test_a_download_cut_mid_body_resumes_with_range(
    faulty: Sandbox, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = payload(faulty)
    faulty.faults = FaultPlan(
        drops=(DropConnections("/data/*", method="GET", count=1),),
        slow_bodies=(SlowBody("/data/*", chunk_bytes=2048, delay_s=0.002, max_total_s=1),),
    )
    target = tmp_path / "cohort.csv"
    progress: list[tuple[int, bool]] = []
    with (
        Session.sandbox(faulty, backend=_kind(backend)) as session,
        CuttingProxy(cut_after=len(expected) // 2) as proxy,
    ):
        contract = _negotiate(session)
        with session.transfers.pull(
            contract, chunk_size=1024, progress=lambda done, total: progress.append((done, target.exists()))
        ) as download:
            # Only the data plane requests go through the proxy (the EDR was obtained above).
            monkeypatch.setenv("HTTP_PROXY", proxy.url)
            monkeypatch.setenv("http_proxy", proxy.url)
            try:
                assert download.to_file(target) == target
            finally:
                monkeypatch.delenv("HTTP_PROXY")
                monkeypatch.delenv("http_proxy")
            assert download.checksum is not None and download.verified
    assert proxy.cut == 1
    data_heads = [head for head in proxy.heads if "/data/" in head.split("\r\n", 1)[0]]
    assert len(data_heads) == 3, data_heads  # dropped, cut, resumed
    ranges = [line for line in data_heads[2].split("\r\n") if line.lower().startswith("range:")]
    assert len(ranges) == 1 and ranges[0].split("=", 1)[1].split("-")[0] not in ("", "0"), ranges
    assert all("range:" not in head.lower() for head in data_heads[:2])
    assert target.read_bytes() == expected
    counts = [done for done, _ in progress]
    assert counts == sorted(counts)  # resumed, never started over
    assert not any(exists for _, exists in progress)  # never a partial file under the final name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.csv"]


# -- 4. consumer process killed mid-negotiation ------------------------------------------------------------

_CHILD = """
import json, os, sys, time
from d4h_sdk import Session
from d4h_sdk.connectors import Provider
from d4h_sdk.identity.dcp import RemoteSts
from d4h_sdk.policy import purposes
from d4h_sdk.store import SqliteStore

env = json.loads(sys.stdin.readline())
store = SqliteStore(env["store"])
claims = env["claims"]
if env["backend"] == "dsp":
    sts = RemoteSts(env["sts_url"], env["client_id"], env["client_secret"])
    session = Session.direct(participant_id=env["did"], token_source=sts, scopes=env["scopes"],
                             callback_port=env["port"], store=store, claims=claims)
else:
    session = Session.edc(env["management_url"], api_key=env["api_key"], store=store, claims=claims)
provider = Provider(env["provider_url"], participant_id=env["provider_did"])
hit = session.catalog.get(provider, env["dataset"])
negotiation_id = session.negotiations.start(hit, purpose=purposes.SCIENTIFIC_RESEARCH)
print(negotiation_id, flush=True)
time.sleep(60)
"""


def _child_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"the child printed no negotiation id within {timeout} s: {err[-2000:]}")
    line = process.stdout.readline().strip()
    if not line:
        _, err = process.communicate()
        pytest.fail(f"the child ended without a negotiation id: {err[-2000:]}")
    return line


def test_a_killed_consumer_resumes_its_negotiation_in_a_new_process(
    faulty: Sandbox, backend: str, tmp_path: Path
) -> None:
    store_path = tmp_path / "consumer.sqlite"
    port = free_port()
    lab = faulty.participants["research-lab"]
    with Session.sandbox(faulty, backend=_kind(backend)) as probe:
        claims: dict[str, Any] = json.loads(json.dumps(probe.identity.claims))
    settings = {
        "backend": backend,
        "store": str(store_path),
        "claims": claims,
        "did": lab.did,
        "sts_url": lab.sts_url,
        "client_id": lab.client_id,
        "client_secret": lab.client_secret,
        "scopes": [str(scope) for scope in DS4H_SCOPES],
        "port": port,
        "management_url": faulty.management_url("research-lab"),
        "api_key": faulty.management_api_key("research-lab"),
        "provider_url": faulty.provider_url,
        "provider_did": faulty.provider.did,
        "dataset": DATASET,
    }
    # The agreement comes late: the consumer is killed while the negotiation is REQUESTED.
    faulty.faults = FaultPlan(delayed_callbacks=(CallbackDelay("*/negotiations/*/agreement", 3.5),))
    before = provider_negotiations(faulty)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
    )
    try:
        assert child.stdin is not None
        child.stdin.write(json.dumps(settings) + "\n")  # secrets through a pipe, not argv
        child.stdin.flush()
        negotiation_id = _child_line(child, timeout=30)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    store = SqliteStore(store_path)
    record = store.get_negotiation(negotiation_id)
    assert record is not None and record.state == NegotiationState.REQUESTED.value
    if backend == "dsp":
        session = Session.direct(
            participant_id=lab.did,
            token_source=lab.sts,
            scopes=DS4H_SCOPES,
            callback_port=port,
            store=store,
            claims=claims,
        )
    else:
        session = Session.edc(
            faulty.management_url("research-lab"),
            api_key=faulty.management_api_key("research-lab"),
            store=store,
        )
    with session:
        contract = session.negotiations.resume(negotiation_id, timeout=15)
        assert session.negotiations.get(negotiation_id).state is NegotiationState.FINALIZED
        assert provider_negotiations(faulty) == before + 1
        with session.transfers.pull(contract) as download:
            assert download.read_bytes() == payload(faulty)
    store.close()
