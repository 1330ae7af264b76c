"""Load (issue 5 item 9): 50 concurrent consumers run catalog -> negotiate -> transfer -> download on one sandbox.

Five member participants (research-lab and four more active members) share the load, ten threads each; every
thread has its own HTTP client and its own callback path on one shared receiver server. All 50 flows must
succeed; the wall time is printed (``pytest -s``) and recorded as the test property ``wall_time_s``.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.identity.auth import BearerTokenAuth
from d4h_sdk.models import (
    Catalog,
    CatalogRequestMessage,
    ContractAgreementMessage,
    ContractAgreementVerificationMessage,
    ContractNegotiationEventMessage,
    ContractRequestMessage,
    Offer,
    TransferCompletionMessage,
    TransferRequestMessage,
    TransferStartMessage,
)
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.negotiation import NegotiationEventType
from d4h_sdk.models.policy import Constraint
from d4h_sdk.policy import purposes
from d4h_sdk.sandbox._dataplane import digest_header
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router
from d4h_sdk.sandbox._participants import Participant
from d4h_sdk.sandbox._sandbox import RESEARCH_LAB, Sandbox

CONSUMERS = 50
MEMBERS = 5
DATASET = "diabetes-sample"
WAIT_S = 30.0
BUDGET_S = 50.0


class Callbacks:
    """One receiver server for every consumer: ``POST /cb/<consumer>/...`` bodies by path."""

    def __init__(self) -> None:
        self._bodies: dict[str, Any] = {}
        self._cond = threading.Condition()
        router = Router()
        router.add("POST", "/cb/{rest:path}", lambda request, params: self._record(request))
        self.server = LoopbackServer(router, name="load-consumers")

    def _record(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        with self._cond:
            self._bodies.setdefault(request.path, body)  # a duplicate callback keeps the first body
            self._cond.notify_all()
        return Response(b"", status=200)

    def callback(self, consumer: int) -> str:
        return f"{self.server.url}/cb/{consumer}"

    def wait(self, path: str) -> Any:
        """The body posted to ``path``, waiting at most :data:`WAIT_S`."""
        deadline = time.monotonic() + WAIT_S
        with self._cond:
            while path not in self._bodies:
                left = deadline - time.monotonic()
                assert left > 0, f"no callback {path} within {WAIT_S} s"
                self._cond.wait(left)
            return self._bodies[path]


@pytest.fixture(scope="module")
def callbacks() -> Iterator[Callbacks]:
    receiver = Callbacks()
    with receiver.server:
        yield receiver


@dataclass
class Outcome:
    consumer: int
    participant: str
    seconds: float
    size: int


def _requested(offer: Offer, provider_did: str) -> Offer:
    """The consumer's copy of a catalog offer: target, assigner and a declared research purpose."""
    permission = offer.permission[0]
    declared = Constraint(
        left_operand="odrl:purpose", operator="eq", right_operand={"@id": purposes.SCIENTIFIC_RESEARCH.iri}
    )
    permission = permission.model_copy(update={"constraint": (*permission.constraint, declared)})
    return offer.model_copy(update={"target": DATASET, "assigner": provider_did, "permission": (permission,)})


def _flow(
    sandbox: Sandbox, callbacks: Callbacks, consumer: int, participant: Participant, expected: bytes
) -> Outcome:
    started = time.monotonic()
    base = sandbox.provider_url
    dialect = "dsp-2025-1"
    audience = sandbox.provider.did

    def auth() -> BearerTokenAuth:
        return BearerTokenAuth(participant.issue_token(audience))

    with HttpClient(timeout=(5, WAIT_S), max_retries=0) as http:

        def post(path: str, message: WireModel, status: int) -> Any:
            response = http.post(
                base + path,
                json=wire.encode(message, dialect=dialect),
                auth=auth(),
                allow_status=range(400, 600),
            )
            assert response.status_code == status, f"{path}: {response.status_code} {response.text}"
            return wire.decode(response.content) if response.content else None

        catalog = post("/catalog/request", CatalogRequestMessage(), 200)
        assert isinstance(catalog, Catalog)
        dataset = next(d for d in catalog.datasets if d.id == DATASET)

        consumer_pid = f"urn:uuid:{uuid.uuid4()}"
        cb = f"/cb/{consumer}"
        request = ContractRequestMessage(
            consumer_pid=consumer_pid,
            offer=_requested(dataset.offers[0], audience),
            callback_address=callbacks.callback(consumer),
        )
        provider_pid = post("/negotiations/request", request, 201).provider_pid
        agreement = wire.decode(callbacks.wait(f"{cb}/negotiations/{consumer_pid}/agreement"))
        assert isinstance(agreement, ContractAgreementMessage)
        assert agreement.agreement.assignee == participant.did
        verification = ContractAgreementVerificationMessage(
            provider_pid=provider_pid, consumer_pid=consumer_pid
        )
        post(f"/negotiations/{provider_pid}/agreement/verification", verification, 200)
        event = wire.decode(callbacks.wait(f"{cb}/negotiations/{consumer_pid}/events"))
        assert isinstance(event, ContractNegotiationEventMessage)
        assert event.event_type is NegotiationEventType.FINALIZED

        transfer_pid = f"urn:uuid:{uuid.uuid4()}"
        transfer = TransferRequestMessage(
            consumer_pid=transfer_pid,
            agreement_id=agreement.agreement.id or "",
            format="HttpData-PULL",
            callback_address=callbacks.callback(consumer),
        )
        transfer_provider_pid = post("/transfers/request", transfer, 201).provider_pid
        start = wire.decode(callbacks.wait(f"{cb}/transfers/{transfer_pid}/start"))
        assert isinstance(start, TransferStartMessage) and start.data_address is not None
        address = start.data_address
        download = http.get(
            address.endpoint or "",
            headers={
                "Authorization": f"Bearer {address.property('authorization')}",
                "Accept-Encoding": "identity",
            },
        )
        assert download.content == expected
        assert download.headers.get("Repr-Digest") == digest_header(hashlib.sha256(download.content).digest())
        completion = TransferCompletionMessage(provider_pid=transfer_provider_pid, consumer_pid=transfer_pid)
        post(f"/transfers/{transfer_provider_pid}/completion", completion, 200)
    return Outcome(consumer, participant.name, time.monotonic() - started, len(download.content))


def test_fifty_concurrent_consumers_all_succeed(
    callbacks: Callbacks, record_property: Callable[[str, object], None]
) -> None:
    before = set(threading.enumerate())
    with Sandbox(seed=11, patients=20) as sandbox:
        members = [sandbox.participants[RESEARCH_LAB]]
        members += [sandbox.host.add_participant(f"member-{n}") for n in range(1, MEMBERS)]
        dataset = next(d for d in sandbox.datasets if d.id == DATASET)
        expected = b"".join(dataset.payload().source())
        gate = threading.Barrier(CONSUMERS)

        def run(consumer: int) -> Outcome:
            gate.wait(timeout=WAIT_S)  # every consumer starts at once
            return _flow(sandbox, callbacks, consumer, members[consumer % MEMBERS], expected)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=CONSUMERS, thread_name_prefix="load-consumer") as pool:
            futures = [pool.submit(run, n) for n in range(CONSUMERS)]
            outcomes = [future.result(timeout=BUDGET_S) for future in futures]
        wall = time.monotonic() - started

    leaked = [
        t.name for t in set(threading.enumerate()) - before if t.name.startswith("d4h-") and t.is_alive()
    ]
    assert leaked == [], f"threads left after the sandbox closed: {leaked}"
    assert sorted(o.consumer for o in outcomes) == list(range(CONSUMERS))
    assert all(o.size == len(expected) > 0 for o in outcomes)
    assert {o.participant for o in outcomes} == {m.name for m in members}
    slowest = max(o.seconds for o in outcomes)
    record_property("wall_time_s", round(wall, 3))
    print(
        f"\nload: {CONSUMERS} consumers ({MEMBERS} participants), catalog -> negotiate -> transfer -> "
        f"download of {len(expected)} bytes each: wall {wall:.2f} s, slowest flow {slowest:.2f} s"
    )
    assert wall < BUDGET_S
