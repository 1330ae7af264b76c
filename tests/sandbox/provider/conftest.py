"""Fixtures for the provider connector tests: a sandbox, a consumer callback receiver and a DSP client."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient, HttpResponse
from d4h_sdk.identity.auth import BearerTokenAuth
from d4h_sdk.models import Offer
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.policy import Constraint
from d4h_sdk.policy import purposes
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router, json_response
from d4h_sdk.sandbox._participants import Participant
from d4h_sdk.sandbox._sandbox import Sandbox

VERSIONS = {"dsp-2025-1": "2025-1", "dsp-2024-1": "2024-1"}


@dataclass
class Received:
    """One request the consumer receiver got."""

    path: str
    body: Any
    raw: bytes
    authorization: str | None


@dataclass
class Receiver:
    """A consumer's callback endpoint (``/cb/...``) and push destination (``/push/...``), recording."""

    server: LoopbackServer
    received: list[Received] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def callback(self) -> str:
        return f"{self.server.url}/cb"

    def record(self, request: Request) -> Response:
        raw = request.get_data()
        body = request.get_json(silent=True)
        with self.cond:
            self.received.append(Received(request.path, body, raw, request.headers.get("Authorization")))
            self.cond.notify_all()
        return json_response({}, 200) if request.path.startswith("/push/") else Response(b"", status=200)

    def wait(self, path: str, timeout: float = 10) -> Received:
        """Wait for a request whose path ends with ``path``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for item in self.received:
                    if item.path.endswith(path):
                        return item
                left = deadline - time.monotonic()
                assert left > 0, f"no callback {path}; got {[r.path for r in self.received]}"
                self.cond.wait(left)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=3, patients=20) as ds:
        yield ds
    left = [t.name for t in threading.enumerate() if t.name.startswith("d4h-") and t.is_alive()]
    assert left == [], f"threads leaked: {left}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    router = Router(max_body_bytes=64 * 1024 * 1024)
    holder: list[Receiver] = []
    router.add("POST", "/cb/{rest:path}", lambda request, params: holder[0].record(request))
    router.add("PUT", "/push/{rest:path}", lambda request, params: holder[0].record(request))
    with LoopbackServer(router, name="consumer-test") as server:
        holder.append(Receiver(server))
        yield holder[0]


@pytest.fixture(scope="module")
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=(2, 20), max_retries=0) as client:
        yield client


class Dsp:
    """Sends raw DSP messages to the sandbox provider as one participant."""

    def __init__(self, sandbox: Sandbox, http: HttpClient, participant: Participant, dialect: str) -> None:
        self.sandbox = sandbox
        self.http = http
        self.participant = participant
        self.dialect = dialect
        self.base = sandbox.connector.dsp_url(VERSIONS[dialect])

    def auth(self) -> BearerTokenAuth:
        return BearerTokenAuth(self.participant.issue_token(self.sandbox.provider.did))

    def post(self, path: str, message: WireModel | Mapping[str, Any], *, token: bool = True) -> HttpResponse:
        body = message if isinstance(message, Mapping) else wire.encode(message, dialect=self.dialect)
        return self.http.post(
            self.base + path,
            json=body,
            auth=self.auth() if token else None,
            allow_status=range(400, 600),
        )

    def get(self, path: str, *, token: bool = True) -> HttpResponse:
        return self.http.get(
            self.base + path, auth=self.auth() if token else None, allow_status=range(400, 600)
        )


def new_pid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def requested_offer(sandbox: Sandbox, dataset_id: str, key: str, *, purpose: str | None = None) -> Offer:
    """The consumer's copy of a catalog offer: target, assigner, and a declared purpose (``eq``)."""
    dataset = next(d for d in sandbox.datasets if d.id == dataset_id)
    offer = dataset.offer(key)
    permission = offer.permission[0]
    iri = purpose or purposes.SCIENTIFIC_RESEARCH.iri
    declared = Constraint(left_operand="odrl:purpose", operator="eq", right_operand={"@id": iri})
    permission = permission.model_copy(update={"constraint": (*permission.constraint, declared)})
    return offer.model_copy(
        update={"target": dataset_id, "assigner": sandbox.provider.did, "permission": (permission,)}
    )


def _exempt(version: str, line: str) -> bool:
    """2024-1 closes ``odrl:leftOperand`` to the ODRL core terms: DS4H/EDC operands cannot validate there."""
    return version == "2024-1" and "['odrl:leftOperand']: '" in line and "is not one of" in line


class SchemaCheck:
    """Validates documents against the official schema of a dialect's version."""

    def __call__(self, dialect: str, message_type: str, document: Any) -> list[str]:
        from wire._schemas import schema_errors

        version = VERSIONS[dialect]
        return [line for line in schema_errors(version, message_type, document) if not _exempt(version, line)]


@pytest.fixture
def schema(shared_fixtures: Any) -> SchemaCheck:
    return SchemaCheck()
