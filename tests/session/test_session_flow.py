"""Session end to end against the sandbox, through both backends (issue 6 items 3-6, 8)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import d4h_sdk as d4h
from d4h_sdk import purposes
from d4h_sdk.connectors import Provider
from d4h_sdk.errors import ConfigurationError, NegotiationTerminatedError, PolicyMismatchError
from d4h_sdk.models.negotiation import NegotiationState
from d4h_sdk.models.transfer import TransferState
from d4h_sdk.sandbox import Sandbox
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router
from d4h_sdk.store import SqliteStore
from tests.session._helpers import free_port
from tests.session.conftest import DATASET, payload

RESEARCH = purposes.SCIENTIFIC_RESEARCH


class Counter:
    """Counts the HTTP requests the session's own clients send (event hook)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, info: Any) -> None:
        self.urls.append(f"{info.method} {info.url}")

    @property
    def hooks(self) -> dict[str, list[Callable[..., None]]]:
        return {"request": [self]}


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
def session(sandbox: Sandbox, backend: str, counter: Counter) -> Iterator[d4h.Session]:
    with d4h.Session.sandbox(sandbox, backend=backend, event_hooks=counter.hooks) as opened:  # type: ignore[arg-type]
        yield opened


def test_search_negotiate_pull_and_repeat_pull_on_the_cached_edr(
    session: d4h.Session, sandbox: Sandbox, counter: Counter
) -> None:
    hits = session.catalog.search(session.default_provider, purpose=RESEARCH)  # type: ignore[arg-type]
    assert hits[0].compatible, "compatible offers must rank first"
    hit = next(h for h in hits if h.dataset.id == DATASET)
    states: list[NegotiationState] = []
    contract = session.negotiations.negotiate(
        hit, purpose=RESEARCH, on_state=lambda s: states.append(s.state)
    )
    assert states[-1] is NegotiationState.FINALIZED
    assert contract.dataset_id == DATASET and contract.policy is not None
    assert contract.policy.assignee == session.identity.participant_id
    with session.transfers.pull(contract) as download:
        assert download.read_bytes() == payload(sandbox)
        assert download.verified
    before = len(counter.urls)
    with session.transfers.pull(contract) as download:
        assert download.read_bytes() == payload(sandbox)
    repeat = counter.urls[before:]
    assert len(repeat) <= 2, f"a repeat pull on a cached EDR sent {repeat}"
    assert session.store.get_agreement(contract.id) is not None
    assert [r.id for r in session.negotiations.recorded(state="FINALIZED")] == [contract.negotiation_id]


def test_prohibited_purpose_is_refused_locally_then_by_the_provider(session: d4h.Session) -> None:
    dataset = session.connector.get_dataset(session.default_provider, DATASET)  # type: ignore[arg-type]
    with pytest.raises(PolicyMismatchError) as local:
        session.negotiations.start(dataset, provider=session.default_provider, purpose=purposes.ADVERTISING)
    assert local.value.dataset_id == DATASET and local.value.explanations
    with pytest.raises(NegotiationTerminatedError) as remote:
        session.negotiations.negotiate(
            dataset,
            provider=session.default_provider,
            purpose=purposes.ADVERTISING,
            offer_id=dataset.offers[0].id,
            timeout=20,
        )
    assert "Art 54" in str(remote.value)


def test_refused_participant_sees_no_compatible_data(sandbox: Sandbox, backend: str) -> None:
    with d4h.Session.sandbox(sandbox, participant="ad-company", backend=backend) as session:  # type: ignore[arg-type]
        hits = session.catalog.search(session.default_provider, purpose=RESEARCH)  # type: ignore[arg-type]
        assert not any(hit.compatible for hit in hits)


def test_transfer_suspend_resume_terminate(session: d4h.Session) -> None:
    hit = session.catalog.get(session.default_provider, DATASET, purpose=RESEARCH)  # type: ignore[arg-type]
    contract = session.negotiations.negotiate(hit, purpose=RESEARCH)
    transfer_id = session.transfers.start(contract)
    assert session.transfers.wait(transfer_id).state is TransferState.STARTED
    session.transfers.suspend(transfer_id, reason="pause")
    assert session.transfers.wait(transfer_id, until=TransferState.SUSPENDED).state is TransferState.SUSPENDED
    session.transfers.resume(transfer_id)
    assert session.transfers.wait(transfer_id).state is TransferState.STARTED
    session.transfers.terminate(transfer_id, reason="done")
    status = session.transfers.wait(transfer_id, until=TransferState.TERMINATED)
    assert status.state is TransferState.TERMINATED


def test_push_delivers_to_the_consumer_endpoint(sandbox: Sandbox, backend: str) -> None:
    received: list[bytes] = []
    arrived = threading.Event()

    def accept(request: Request, params: Any) -> Response:
        received.append(request.get_data())
        arrived.set()
        return Response(b"", status=200)

    router = Router()
    router.add("PUT", "/inbox/{rest:path}", accept)
    router.add("POST", "/inbox/{rest:path}", accept)
    with LoopbackServer(router, name="push-receiver") as receiver:
        with d4h.Session.sandbox(sandbox, backend=backend) as session:  # type: ignore[arg-type]
            hit = session.catalog.get(session.default_provider, DATASET, purpose=RESEARCH)  # type: ignore[arg-type]
            contract = session.negotiations.negotiate(hit, purpose=RESEARCH)
            status = session.transfers.push(contract, f"{receiver.url}/inbox/cohort.csv", timeout=20)
            assert status.state is TransferState.COMPLETED
            assert arrived.wait(5)
    assert received == [payload(sandbox)]


def test_provider_publishes_and_the_researcher_finds_and_gets_it(sandbox: Sandbox) -> None:
    from d4h_sdk.health.healthdcat import HealthDatasetBuilder
    from d4h_sdk.policy import ds4h_baseline

    data = b"id,value\n1,42\n"
    router = Router()
    router.add("GET", "/export", lambda request, params: Response(data, status=200, content_type="text/csv"))
    with LoopbackServer(router, name="hospital-export") as source:
        with d4h.Session.sandbox(sandbox, participant="hospital") as hospital:
            health = HealthDatasetBuilder(
                "https://hospital.example/ds/published-1", title="Published cohort"
            ).build()
            published = hospital.provider.publish(
                health,
                asset_id="published-1",
                data_address=f"{source.url}/export",
                policy=ds4h_baseline().purposes(RESEARCH).prohibit_art54(),
            )
            assert published.asset_id == "published-1"
            assert "published-1" in [item.asset_id for item in hospital.provider.list()]
            with d4h.Session.sandbox(sandbox, participant="research-lab") as lab:
                hit = lab.catalog.get(lab.default_provider, "published-1", purpose=RESEARCH)  # type: ignore[arg-type]
                contract = lab.negotiations.negotiate(hit, purpose=RESEARCH)
                with lab.transfers.pull(contract) as download:
                    assert download.read_bytes() == data
            hospital.provider.unpublish("published-1")
            assert "published-1" not in [item.asset_id for item in hospital.provider.list()]


def test_resume_from_the_sqlite_store_in_a_new_session(
    sandbox: Sandbox, backend: str, tmp_path: Path
) -> None:
    path = tmp_path / "state.sqlite"
    port = free_port()  # the provider's late callbacks reach the second session on the same port
    with (
        SqliteStore(path) as store,
        d4h.Session.sandbox(sandbox, backend=backend, store=store, callback_port=port) as first,
    ):  # type: ignore[arg-type]
        hit = first.catalog.get(first.default_provider, DATASET, purpose=RESEARCH)  # type: ignore[arg-type]
        negotiation_id = first.negotiations.start(hit, purpose=RESEARCH)
    with (
        SqliteStore(path) as store,
        d4h.Session.sandbox(sandbox, backend=backend, store=store, callback_port=port) as second,
    ):  # type: ignore[arg-type]
        contract = second.negotiations.resume(negotiation_id, timeout=20)
        assert contract.negotiation_id == negotiation_id
        assert second.negotiations.contract(contract.id).provider.address == contract.provider.address


def test_with_options_shares_the_connector_and_leaves_the_parent_open(session: d4h.Session) -> None:
    quick = session.with_options(negotiation_timeout=5)
    assert quick.config.negotiation_timeout == 5 and quick.connector is session.connector
    quick.close()
    assert session.catalog.search(session.default_provider)  # type: ignore[arg-type]


def test_closed_session_refuses_use(sandbox: Sandbox) -> None:
    session = d4h.Session.sandbox(sandbox, backend="dsp")
    session.close()
    session.close()
    with pytest.raises(ConfigurationError, match="closed"):
        session.catalog  # noqa: B018


def test_constructor_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="Connector"):
        d4h.Session(object())  # type: ignore[arg-type]
    monkeypatch.delenv("D4H_MANAGEMENT_URL", raising=False)
    with pytest.raises(ConfigurationError, match="D4H_MANAGEMENT_URL"):
        d4h.Session.edc()
    with pytest.raises(ConfigurationError, match="read_timeot"):
        d4h.Session.edc("http://127.0.0.1:9/management", read_timeot=3)
    with pytest.raises(ConfigurationError, match="provider"):
        with d4h.Session.edc("http://127.0.0.1:9/management", api_key="k", api_version="v3") as s:
            s.negotiations.start(d4h.models.Dataset.model_validate({"@id": "x"}))  # type: ignore[attr-defined]


def test_environment_supplies_the_management_url(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> None:
    monkeypatch.setenv("D4H_MANAGEMENT_URL", sandbox.management_url("research-lab"))
    monkeypatch.setenv("D4H_API_KEY", sandbox.management_api_key("research-lab"))
    monkeypatch.setenv("D4H_READ_TIMEOUT", "7")
    with d4h.Session.edc(api_version="v3") as session:
        assert session.config.read_timeout == 7
        provider = Provider(sandbox.provider_url, participant_id=sandbox.provider.did)
        assert session.catalog.search(provider)
