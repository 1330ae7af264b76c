"""Fixtures: a module-scoped sandbox, a research-lab DspConnector, and a scripted fake provider."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient, RequestInfo
from d4h_sdk.connectors import Provider
from d4h_sdk.connectors._dsp import DspConnector
from d4h_sdk.models import Offer
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.policy import Constraint
from d4h_sdk.policy import purposes
from d4h_sdk.sandbox._authority import DS4H_SCOPES
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router, json_response
from d4h_sdk.sandbox._sandbox import Sandbox

DATASET = "diabetes-sample"


def requested(
    sandbox: Sandbox, dataset_id: str = DATASET, key: str = "open", *, purpose: str | None = None
) -> Offer:
    """The consumer's copy of a catalog offer: target, assigner and a declared purpose (``eq``)."""
    offer = next(d for d in sandbox.datasets if d.id == dataset_id).offer(key)
    permission = offer.permission[0]
    iri = purpose or purposes.SCIENTIFIC_RESEARCH.iri
    declared = Constraint(left_operand="odrl:purpose", operator="eq", right_operand={"@id": iri})
    permission = permission.model_copy(update={"constraint": (*permission.constraint, declared)})
    return offer.model_copy(
        update={"target": dataset_id, "assigner": sandbox.provider.did, "permission": (permission,)}
    )


def wait_until(
    read: Callable[[], Any],
    done: Callable[[Any], bool],
    notifier: DspConnector,
    pid: str,
    timeout: float = 10.0,
) -> Any:
    """Read a status until ``done`` holds, sleeping on ``wait_for_change`` in between."""
    deadline = time.monotonic() + timeout
    while True:
        status = read()
        if done(status):
            return status
        left = deadline - time.monotonic()
        assert left > 0, f"still {status} after {timeout} s"
        notifier.wait_for_change(pid, min(left, 1.0))


def d4h_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("d4h-") and t.is_alive())


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=5, patients=20, page_size=2) as ds:
        yield ds


@pytest.fixture(scope="module")
def provider(sandbox: Sandbox) -> Provider:
    return Provider(sandbox.connector.url, participant_id=sandbox.provider.did)


@dataclass
class Recorder:
    """Records every request an HttpClient sends (through its public event hooks)."""

    requests: list[RequestInfo] = field(default_factory=list)

    def __call__(self, info: RequestInfo) -> None:
        self.requests.append(info)

    def paths(self, method: str = "POST") -> list[str]:
        from urllib.parse import urlsplit

        return [urlsplit(r.url).path for r in self.requests if r.method == method]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def lab_connector(sandbox: Sandbox, recorder: Recorder | None = None, **options: Any) -> DspConnector:
    """A DspConnector of research-lab; the caller closes it."""
    lab = sandbox.participants["research-lab"]
    if recorder is not None:
        options["http"] = HttpClient(max_retries=0, event_hooks={"request": [recorder]})
    return DspConnector(participant_id=lab.did, token_source=lab.sts, scopes=DS4H_SCOPES, **options)


@pytest.fixture
def dsp(sandbox: Sandbox, recorder: Recorder) -> Iterator[DspConnector]:
    connector = lab_connector(sandbox, recorder)
    with connector:
        yield connector


@dataclass
class FakeProvider:
    """A scripted DSP 2025-1 provider: records what it receives, answers 201/200; tests post callbacks."""

    server: LoopbackServer
    received: list[tuple[str, Any]] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    on_request: Callable[[str, Any], None] | None = None
    state: str = "REQUESTED"
    refusals: dict[str, list[int]] = field(default_factory=dict)
    """Path suffix -> statuses to answer the next POSTs to it with (a DSP error body), in order."""

    @property
    def provider(self) -> Provider:
        return Provider(self.server.url + "/dsp/2025-1", participant_id="did:web:fake")

    def wait(self, suffix: str, count: int = 1, timeout: float = 5.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [body for path, body in self.received if path.endswith(suffix)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"no {suffix}; got {[p for p, _ in self.received]}"
                self.cond.wait(left)

    def handle(self, request: Request, params: Any) -> Response:
        body: Any = request.get_json(silent=True)
        with self.cond:
            self.received.append((request.path, body))
            self.cond.notify_all()
        path = request.path
        for suffix, statuses in self.refusals.items():
            if request.method == "POST" and path.endswith(suffix) and statuses:
                error = {"@type": "ContractNegotiationError", "code": "NOT_READY", "reason": ["not yet"]}
                return json_response(error, statuses.pop(0))
        if request.method == "GET":
            noun = "ContractNegotiation" if "/negotiations/" in path else "TransferProcess"
            pid = path.rsplit("/", 1)[-1]
            return json_response(_ack(noun, pid, "urn:uuid:consumer", self.state))
        if path.endswith(("/negotiations/request", "/transfers/request")):
            consumer_pid = body["consumerPid"]
            if self.on_request is not None:
                self.on_request(path, body)
            noun = "ContractNegotiation" if "negotiations" in path else "TransferProcess"
            return json_response(
                _ack(noun, "urn:uuid:provider-" + consumer_pid[9:17], consumer_pid, "REQUESTED"), 201
            )
        return Response(b"", status=200)


def _ack(noun: str, provider_pid: str, consumer_pid: str, state: str) -> dict[str, Any]:
    return {
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": noun,
        "providerPid": provider_pid,
        "consumerPid": consumer_pid,
        "state": state,
    }


def provider_pid_for(consumer_pid: str) -> str:
    """The provider pid the fake provider gives a process."""
    return "urn:uuid:provider-" + consumer_pid[9:17]


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    router = Router()
    holder: list[FakeProvider] = []
    versions = {"protocolVersions": [{"version": "2025-1", "path": "/dsp/2025-1", "binding": "HTTPS"}]}
    router.add("GET", "/.well-known/dspace-version", lambda request, params: json_response(versions))
    for method in ("GET", "POST"):
        router.add(
            method, "/dsp/2025-1/{rest:path}", lambda request, params: holder[0].handle(request, params)
        )
    with LoopbackServer(router, name="fake-provider") as server:
        holder.append(FakeProvider(server))
        yield holder[0]


@pytest.fixture
def fake_dsp() -> Iterator[DspConnector]:
    """A connector without auth and lenient about lost callbacks (strict=False), for the fake provider."""
    with DspConnector(participant_id="did:web:consumer", token_source=None, strict=False) as connector:
        yield connector


def post_callback(
    http: HttpClient,
    connector: DspConnector,
    path: str,
    message: WireModel | dict[str, Any],
    dialect: str = "dsp-2025-1",
    headers: dict[str, str] | None = None,
) -> Any:
    """POST a provider message to the connector's callback receiver; return the response."""
    body = message if isinstance(message, dict) else wire.encode(message, dialect=dialect)
    return http.post(connector.callback_url + path, json=body, headers=headers, allow_status=range(400, 600))


@pytest.fixture(scope="module")
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=(2, 10), max_retries=0) as client:
        yield client
