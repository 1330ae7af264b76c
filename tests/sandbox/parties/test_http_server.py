"""LoopbackServer and Router over real loopback HTTP: routing, JSON errors, concurrency, clean stop."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.exceptions import Forbidden

from d4h_sdk.errors import ConfigurationError, DecodeError
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router, json_response


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _app() -> Router:
    router = Router(max_body_bytes=64)

    @router.route("GET", "/{name}/did.json")
    def did(request: Request, params: Mapping[str, str]) -> Response:
        return json_response({"name": params["name"]})

    @router.route("POST", "/echo/{rest:path}")
    def echo(request: Request, params: Mapping[str, str]) -> Response:
        return json_response({"rest": params["rest"], "body": request.get_json()}, 201)

    @router.route("GET", "/slow")
    def slow(request: Request, params: Mapping[str, str]) -> Response:
        time.sleep(0.05)
        return json_response({"thread": threading.current_thread().name})

    @router.route("GET", "/boom")
    def boom(request: Request, params: Mapping[str, str]) -> Response:
        raise RuntimeError("secret-internal-detail")

    @router.route("GET", "/decode")
    def decode(request: Request, params: Mapping[str, str]) -> Response:
        raise DecodeError("the message is not a CatalogRequestMessage")

    @router.route("GET", "/forbidden")
    def forbidden(request: Request, params: Mapping[str, str]) -> Response:
        raise Forbidden("not for you")

    return router


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(_app(), name="test") as srv:
        yield srv


def test_url_and_routing(server: LoopbackServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.port > 0 and server.running
    answer = requests.get(server.url + "/alice/did.json", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"name": "alice"}
    echoed = requests.post(server.url + "/echo/a/b/c", json={"x": 1}, timeout=5)
    assert (echoed.status_code, echoed.json()) == (201, {"rest": "a/b/c", "body": {"x": 1}})
    head = requests.head(server.url + "/alice/did.json", timeout=5)
    assert head.status_code == 200 and head.content == b""


def test_errors_are_json(server: LoopbackServer) -> None:
    missing = requests.get(server.url + "/nothing/here", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["error"] == "Not Found"
    wrong_method = requests.delete(server.url + "/alice/did.json", timeout=5)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET"
    boom = requests.get(server.url + "/boom", timeout=5)
    assert boom.status_code == 500
    assert "secret-internal-detail" not in boom.text
    decode = requests.get(server.url + "/decode", timeout=5)
    assert decode.status_code == 400 and "CatalogRequestMessage" in decode.json()["error_description"]
    forbidden = requests.get(server.url + "/forbidden", timeout=5)
    assert (forbidden.status_code, forbidden.json()["error_description"]) == (403, "not for you")
    bad_json = requests.post(
        server.url + "/echo/x", data=b"{", headers={"Content-Type": "application/json"}, timeout=5
    )
    assert bad_json.status_code == 400
    too_large = requests.post(server.url + "/echo/x", json={"x": "y" * 100}, timeout=5)
    assert too_large.status_code == 413


def test_fifty_concurrent_requests(server: LoopbackServer) -> None:
    def call(_: int) -> tuple[int, str]:
        answer = requests.get(server.url + "/slow", timeout=10)
        return answer.status_code, answer.json()["thread"]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(call, range(50)))
    elapsed = time.perf_counter() - started
    assert [status for status, _ in results] == [200] * 50
    assert {name for _, name in results} == {"d4h-sandbox-conn"}
    # 50 handlers sleeping 0.05 s each: serial would take 2.5 s.
    assert elapsed < 2.0


def test_stop_leaks_no_threads_or_sockets() -> None:
    threads_before = set(threading.enumerate())
    fds_before = _open_fds()
    srv = LoopbackServer(_app(), name="leak")
    with requests.Session() as session:
        for _ in range(20):
            assert session.get(srv.url + "/alice/did.json", timeout=5).status_code == 200
    srv.stop()
    assert not srv.running
    assert [t for t in threading.enumerate() if t not in threads_before] == []
    assert _open_fds() == fds_before
    with pytest.raises(requests.ConnectionError):
        requests.get(srv.url + "/slow", timeout=2)
    srv.stop()  # idempotent


def test_stop_cuts_idle_connections_promptly() -> None:
    threads_before = set(threading.enumerate())
    srv = LoopbackServer(_app(), name="idle", grace_s=0.1)
    idle = socket.create_connection(("127.0.0.1", srv.port))
    idle.sendall(b"GET /slow HTTP/1.1\r\n")  # an unfinished request keeps a handler thread waiting
    time.sleep(0.1)
    started = time.perf_counter()
    srv.stop()
    assert time.perf_counter() - started < 1.0
    idle.close()
    assert [t for t in threading.enumerate() if t not in threads_before] == []


def test_in_flight_request_finishes_during_stop() -> None:
    srv = LoopbackServer(_app(), name="inflight")
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(requests.get, srv.url + "/slow", timeout=5)
        time.sleep(0.02)
        srv.stop()
        assert future.result().status_code == 200


def test_router_rejects_bad_patterns() -> None:
    router = Router()
    for pattern in ("no-slash", "/{a}/{a}", "/{oops", "/x}"):
        with pytest.raises(ConfigurationError):
            router.add("GET", pattern, lambda request, params: json_response({}))
    with pytest.raises(ConfigurationError):
        router.add("G E T", "/x", lambda request, params: json_response({}))
    with pytest.raises(ConfigurationError):
        Router(max_body_bytes=0)
    with pytest.raises(ConfigurationError):
        LoopbackServer(router, grace_s=-1)


def test_taken_port_is_a_configuration_error(server: LoopbackServer) -> None:
    with pytest.raises(ConfigurationError, match="cannot listen"):
        LoopbackServer(_app(), port=server.port)


def test_repr() -> None:
    with LoopbackServer(_app(), name="r") as srv:
        assert "running" in repr(srv) and srv.url in repr(srv)
    assert "stopped" in repr(srv)
    assert "GET /{name}/did.json" in repr(_app())
