"""Fixtures for the fault-injection tests: a sandbox, a recording consumer endpoint and a raw DSP client."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient, HttpResponse
from d4h_sdk.identity.auth import BearerTokenAuth
from d4h_sdk.models import ContractRequestMessage, Offer
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.policy import Constraint
from d4h_sdk.policy import purposes
from d4h_sdk.sandbox._faults import FaultPlan
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router
from d4h_sdk.sandbox._participants import Participant
from d4h_sdk.sandbox._sandbox import Sandbox
from d4h_sdk.sandbox.synthetic import SandboxDataset


@dataclass
class Receiver:
    """A consumer endpoint recording callbacks (``POST /cb/...``) and pushes (``PUT /push/...``)."""

    server: LoopbackServer
    received: list[tuple[str, Any]] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def callback(self) -> str:
        return f"{self.server.url}/cb"

    def record(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.path.startswith("/cb/") else request.get_data()
        with self.cond:
            self.received.append((request.path, body))
            self.cond.notify_all()
        return Response(b"", status=200)

    def paths(self) -> list[str]:
        with self.cond:
            return [path for path, _ in self.received]

    def wait(self, suffix: str, *, count: int = 1, timeout: float = 10) -> list[Any]:
        """Wait until ``count`` requests whose path ends with ``suffix`` arrived; return their bodies."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [body for path, body in self.received if path.endswith(suffix)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"no {count} x {suffix}; got {[p for p, _ in self.received]}"
                self.cond.wait(left)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=5, patients=10) as ds:
        yield ds
    left = [t.name for t in threading.enumerate() if t.name.startswith("d4h-") and t.is_alive()]
    assert left == [], f"threads leaked: {left}"


@pytest.fixture
def faulty(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The module's sandbox, with its fault plan reset after the test."""
    yield sandbox
    sandbox.faults = FaultPlan()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    router = Router()
    holder: list[Receiver] = []
    router.add("POST", "/cb/{rest:path}", lambda request, params: holder[0].record(request))
    router.add("PUT", "/push/{rest:path}", lambda request, params: holder[0].record(request))
    with LoopbackServer(router, name="consumer-faults") as server:
        holder.append(Receiver(server))
        yield holder[0]


@pytest.fixture(scope="module")
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=(2, 20), max_retries=0) as client:
        yield client


def new_pid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


class Dsp:
    """Raw DSP 2025-1 messages from one participant to a provider base URL."""

    def __init__(self, http: HttpClient, participant: Participant, provider_did: str, base: str) -> None:
        self.http = http
        self.participant = participant
        self.provider_did = provider_did
        self.base = base

    def post(self, path: str, message: WireModel, *, base: str | None = None) -> HttpResponse:
        auth = BearerTokenAuth(self.participant.issue_token(self.provider_did))
        return self.http.post(
            (base or self.base) + path,
            json=wire.encode(message, dialect="dsp-2025-1"),
            auth=auth,
            allow_status=range(400, 600),
        )


def contract_request(
    datasets: list[SandboxDataset], provider_did: str, callback: str
) -> ContractRequestMessage:
    """research-lab's request for the open offer of ``diabetes-sample`` with a research purpose."""
    dataset = next(d for d in datasets if d.id == "diabetes-sample")
    offer: Offer = dataset.offer("open")
    permission = offer.permission[0]
    declared = Constraint(
        left_operand="odrl:purpose", operator="eq", right_operand={"@id": purposes.SCIENTIFIC_RESEARCH.iri}
    )
    permission = permission.model_copy(update={"constraint": (*permission.constraint, declared)})
    requested = offer.model_copy(
        update={"target": dataset.id, "assigner": provider_did, "permission": (permission,)}
    )
    return ContractRequestMessage(consumer_pid=new_pid(), offer=requested, callback_address=callback)
