"""HTTP faults of the sandbox provider, observed by a real client: errors, latency, drops, slow bodies."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.errors import APIConnectionError, ConfigurationError, ServerError
from d4h_sdk.identity.auth import BearerTokenAuth
from d4h_sdk.models import CatalogRequestMessage, VersionResponse
from d4h_sdk.sandbox._faults import (
    DropConnections,
    ErrorBurst,
    FaultInjector,
    FaultPlan,
    Latency,
    SlowBody,
)
from d4h_sdk.sandbox._http_server import LoopbackServer, Router, json_response
from d4h_sdk.sandbox._sandbox import Sandbox


def test_a_get_is_retried_through_a_503_burst_honouring_retry_after(faulty: Sandbox) -> None:
    faulty.faults = FaultPlan(errors=(ErrorBurst("/.well-known/*", count=2, status=503, retry_after_s=0.2),))
    waits: list[float] = []
    with HttpClient(timeout=(2, 5), max_retries=3, sleep=waits.append) as client:
        response = client.get(faulty.version_url)
    assert response.status_code == 200
    assert isinstance(wire.decode(response.content), VersionResponse)
    assert waits == [0.2, 0.2]  # Retry-After, not the exponential backoff


def test_a_post_is_not_retried(faulty: Sandbox) -> None:
    faulty.faults = FaultPlan(
        errors=(ErrorBurst("*/catalog/request", method="POST", count=1, status=500, retry_after_s=None),)
    )
    lab = faulty.participants["research-lab"]
    body = wire.encode(CatalogRequestMessage(), dialect="dsp-2025-1")
    url = faulty.provider_url + "/catalog/request"
    waits: list[float] = []
    with HttpClient(timeout=(2, 5), max_retries=3, sleep=waits.append) as client:
        with pytest.raises(ServerError) as caught:
            client.post(url, json=body, auth=BearerTokenAuth(lab.issue_token(faulty.provider.did)))
        assert caught.value.status_code == 500 and waits == []
        again = client.post(url, json=body, auth=BearerTokenAuth(lab.issue_token(faulty.provider.did)))
    assert again.status_code == 200  # the burst is over


def test_a_503_burst_sends_retry_after(faulty: Sandbox, http: HttpClient) -> None:
    faulty.faults = FaultPlan(errors=(ErrorBurst("/.well-known/*", count=1, status=503, retry_after_s=3),))
    response = http.get(faulty.version_url, allow_status=[503])
    assert response.status_code == 503 and response.headers["Retry-After"] == "3"
    assert http.get(faulty.version_url).status_code == 200


def test_latency_is_added_on_matching_paths_only(faulty: Sandbox, http: HttpClient) -> None:
    faulty.faults = FaultPlan(latency=(Latency("/.well-known/*", seconds=0.3),))
    started = time.perf_counter()
    http.get(faulty.version_url)
    slow = time.perf_counter() - started
    started = time.perf_counter()
    http.get(faulty.connector.url + "/no-such-path", allow_status=[404])
    fast = time.perf_counter() - started
    assert slow >= 0.3 and fast < 0.3


def test_a_dropped_connection_is_a_connection_error(faulty: Sandbox, http: HttpClient) -> None:
    faulty.faults = FaultPlan(drops=(DropConnections("/.well-known/*", count=1),))
    with pytest.raises(APIConnectionError):
        http.get(faulty.version_url)  # this client does not retry
    assert http.get(faulty.version_url).status_code == 200
    faulty.faults = FaultPlan(drops=(DropConnections("/.well-known/*", count=1),))
    with HttpClient(timeout=(2, 5), max_retries=1, sleep=lambda s: None) as retrying:
        assert retrying.get(faulty.version_url).status_code == 200  # a GET is retried


def test_a_slow_body_arrives_complete(faulty: Sandbox, http: HttpClient) -> None:
    expected = http.get(faulty.version_url).content
    faulty.faults = FaultPlan(slow_bodies=(SlowBody("/.well-known/*", chunk_bytes=16, delay_s=0.02),))
    started = time.perf_counter()
    response = http.get(faulty.version_url)
    elapsed = time.perf_counter() - started
    assert response.content == expected
    assert elapsed >= 0.02 * (len(expected) // 16)


@pytest.fixture
def echo() -> Iterator[tuple[LoopbackServer, FaultInjector, list[float]]]:
    router = Router()
    router.add("GET", "/x", lambda request, params: json_response({"ok": True}))
    waits: list[float] = []
    injector = FaultInjector(router, sleep=waits.append)
    with LoopbackServer(injector, name="faults-echo") as server:
        yield server, injector, waits


def test_jitter_is_seeded_and_bounded(
    echo: tuple[LoopbackServer, FaultInjector, list[float]], http: HttpClient
) -> None:
    server, injector, waits = echo
    plan = FaultPlan(latency=(Latency("/x", seconds=0.1, jitter_s=0.5),), seed=42)
    runs = []
    for _ in range(2):
        injector.plan = plan
        waits.clear()
        for _ in range(5):
            assert http.get(server.url + "/x").status_code == 200
        runs.append(list(waits))
    assert runs[0] == runs[1] and len(set(runs[0])) > 1
    assert all(0.1 <= wait <= 0.6 for wait in runs[0])
    assert injector.hits["latency"] == 5


@pytest.mark.parametrize(
    "build",
    [
        lambda: Latency(seconds=-1),
        lambda: Latency(seconds=31),
        lambda: ErrorBurst(count=0),
        lambda: ErrorBurst(status=200),
        lambda: DropConnections(count=10_001),
        lambda: SlowBody(chunk_bytes=0),
    ],
)
def test_out_of_bounds_rules_are_refused(build: Callable[[], object]) -> None:
    with pytest.raises(ConfigurationError):
        build()


def test_only_fault_plans_are_accepted(faulty: Sandbox) -> None:
    with pytest.raises(ConfigurationError):
        faulty.faults = {"latency": 1}  # type: ignore[assignment]


def test_closing_the_sandbox_cuts_injected_waits_short(http: HttpClient) -> None:
    answers: list[int] = []
    with Sandbox(
        seed=1, patients=5, faults=FaultPlan(latency=(Latency("/.well-known/*", seconds=20),))
    ) as ds:
        url = ds.version_url
        waiting = threading.Thread(target=lambda: answers.append(http.get(url).status_code))
        waiting.start()
        time.sleep(0.2)
        started = time.perf_counter()
    closing = time.perf_counter() - started
    waiting.join(5)
    assert closing < 5 and answers == [200]
