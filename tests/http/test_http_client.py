from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import requests
import requests.auth
from http_loopback import Loopback, Servers, reply

from d4h_sdk._http import MAX_REDIRECTS, HttpClient, RequestInfo, ResponseInfo, Timeout
from d4h_sdk.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    NotFoundError,
    ResponseTooLargeError,
    ServerError,
)


@pytest.fixture
def make_server() -> Iterator[Callable[[], Loopback]]:
    servers = Servers()
    yield servers.start
    servers.close()


@pytest.fixture
def server(make_server: Callable[[], Loopback]) -> Loopback:
    return make_server()


@pytest.fixture
def other_server(make_server: Callable[[], Loopback]) -> Loopback:
    return make_server()


API_KEY = "sk-live-7f3a9c1e5b2d"
TOKEN = "tok-c0ffee-5ecret-77"


class KeyAndSignAuth(requests.auth.AuthBase):
    """Adds the API key and a custom signature header (to check 'headers the auth object added')."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        self.calls += 1
        r.headers["X-Api-Key"] = API_KEY
        r.headers["X-Edc-Sig"] = "sig-" + TOKEN
        return r


class BearerAuth(requests.auth.AuthBase):
    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {TOKEN}"
        return r


def ok(
    body: bytes = b'{"ok": true}', headers: dict[str, str] | None = None
) -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda h: reply(h, 200, body, {"Content-Type": "application/json", **(headers or {})})


def redirect(status: int, location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda h: reply(h, status, b"", {"Location": location})


# -- redirects --------------------------------------------------------------------------------------------


def test_same_origin_redirect_keeps_credentials(server: Loopback) -> None:
    server.routes["/a"] = redirect(302, "/b")
    server.routes["/b"] = ok()
    auth = KeyAndSignAuth()
    resp = HttpClient(auth=auth).get(server.url("/a"), headers={"Cookie": "sid=1"})
    assert resp.json() == {"ok": True} and resp.url == server.url("/b")
    hop = server.seen[1]
    assert hop.path == "/b"
    assert hop.headers["X-Api-Key"] == API_KEY and hop.headers["X-Edc-Sig"] == "sig-" + TOKEN
    assert hop.headers["Cookie"] == "sid=1"


def test_cross_origin_redirect_drops_credentials_and_auth_headers(
    server: Loopback, other_server: Loopback
) -> None:
    server.routes["/a"] = redirect(307, other_server.url("/b"))
    other_server.routes["/b"] = ok()
    auth = KeyAndSignAuth()
    resp = HttpClient(auth=auth).get(
        server.url("/a"),
        headers={
            "Authorization": "Bearer x-" + TOKEN,
            "Cookie": "sid=1",
            "Proxy-Authorization": "Basic eA==",
            "X-Trace": "t",
        },
    )
    assert resp.status_code == 200
    assert server.seen[0].headers["X-Api-Key"] == API_KEY
    hop = other_server.seen[0].headers
    for name in ("Authorization", "X-Api-Key", "Cookie", "Proxy-Authorization", "X-Edc-Sig"):
        assert name not in hop
    assert hop["X-Trace"] == "t"
    assert auth.calls == 1  # not applied again for the foreign hop


def test_back_to_original_origin_stays_without_credentials(server: Loopback, other_server: Loopback) -> None:
    server.routes["/a"] = redirect(302, other_server.url("/b"))
    other_server.routes["/b"] = redirect(302, server.url("/c"))
    server.routes["/c"] = ok()
    HttpClient(auth=BearerAuth()).get(server.url("/a"))
    assert "Authorization" not in server.seen[1].headers


@pytest.mark.parametrize("status", [301, 302, 303])
def test_post_redirect_becomes_get_without_body(server: Loopback, status: int) -> None:
    server.routes["/create"] = redirect(status, "/result")
    server.routes["/result"] = ok()
    HttpClient().post(server.url("/create"), json={"a": 1})
    first, second = server.seen
    assert first.method == "POST" and first.body == b'{"a":1}'
    assert second.method == "GET" and second.body == b""
    assert "Content-Type" not in second.headers and "Content-Length" not in second.headers


@pytest.mark.parametrize("status", [307, 308])
def test_307_308_keep_method_and_body(server: Loopback, status: int) -> None:
    server.routes["/create"] = redirect(status, "/moved")
    server.routes["/moved"] = ok()
    HttpClient().post(server.url("/create"), json={"a": 1})
    second = server.seen[1]
    assert second.method == "POST" and second.body == b'{"a":1}'
    assert second.headers["Content-Type"] == "application/json"


def test_post_after_redirect_is_still_not_retried(server: Loopback) -> None:
    server.routes["/create"] = redirect(307, "/moved")
    server.routes["/moved"] = lambda h: reply(h, 503)
    sleeps: list[float] = []
    with pytest.raises(ServerError):
        HttpClient(sleep=sleeps.append).post(server.url("/create"), json={})
    assert len(server.seen) == 2 and sleeps == []


def test_head_redirect_stays_head(server: Loopback) -> None:
    server.routes["/a"] = redirect(302, "/b")
    server.routes["/b"] = ok()
    HttpClient().request("HEAD", server.url("/a"))
    assert [s.method for s in server.seen] == ["HEAD", "HEAD"]


def test_too_many_redirects(server: Loopback) -> None:
    server.routes["/loop"] = redirect(302, "/loop")
    with pytest.raises(APIError, match="more than 10 redirects"):
        HttpClient().get(server.url("/loop"))
    assert len(server.seen) == MAX_REDIRECTS + 1


@pytest.mark.parametrize("location", ["file:///etc/passwd", "http://[::1"])
def test_redirect_to_bad_url_refused(server: Loopback, location: str) -> None:
    server.routes["/a"] = redirect(302, location)
    with pytest.raises(APIError, match="redirect to an invalid or non-HTTP URL refused"):
        HttpClient().get(server.url("/a"))


def test_redirect_without_location_is_returned(server: Loopback) -> None:
    server.routes["/a"] = lambda h: reply(h, 302, b"x")
    assert HttpClient().get(server.url("/a")).status_code == 302


# -- size cap, timeouts, connection errors ---------------------------------------------------------------


def test_content_length_above_cap_fails_early(server: Loopback) -> None:
    server.routes["/big"] = ok(b"x" * 5000)
    with pytest.raises(ResponseTooLargeError) as info:
        HttpClient(max_response_bytes=1000).get(server.url("/big?token=abc"))
    assert "1000 bytes" in str(info.value) and "abc" not in str(info.value)
    assert info.value.url == server.url("/big")


def test_body_above_cap_without_content_length(server: Loopback) -> None:
    def chunked(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for _ in range(10):
            h.wfile.write(b"3e8\r\n" + b"y" * 1000 + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")

    server.routes["/chunked"] = chunked
    with pytest.raises(ResponseTooLargeError):
        HttpClient(max_response_bytes=2500).get(server.url("/chunked"))
    assert HttpClient(max_response_bytes=10_000).get(server.url("/chunked")).content == b"y" * 10_000


def test_decompressed_size_is_capped(server: Loopback) -> None:
    packed = gzip.compress(b"z" * 100_000)
    server.routes["/gz"] = lambda h: reply(h, 200, packed, {"Content-Encoding": "gzip"})
    with pytest.raises(ResponseTooLargeError):
        HttpClient(max_response_bytes=50_000).get(server.url("/gz"))


def test_large_error_body_is_truncated_not_too_large(server: Loopback) -> None:
    server.routes["/e"] = lambda h: reply(h, 404, b"n" * 5000)
    with pytest.raises(NotFoundError) as info:
        HttpClient(max_response_bytes=100).get(server.url("/e"))
    assert info.value.body == "n" * 100


def _slow_headers(h: BaseHTTPRequestHandler) -> None:
    time.sleep(1.0)
    reply(h, 200, b"late")


def test_read_timeout_before_headers(server: Loopback) -> None:
    server.routes["/slow"] = _slow_headers
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        HttpClient(timeout=Timeout(connect=1, read=0.2), max_retries=0).get(server.url("/slow"))
    assert time.monotonic() - started < 0.9
    assert isinstance(info.value.__cause__, requests.ReadTimeout)
    assert "read timeout of 0.2 s" in str(info.value)


def test_read_timeout_retried_for_get(server: Loopback) -> None:
    server.routes["/slow"] = _slow_headers
    sleeps: list[float] = []
    with pytest.raises(APITimeoutError):
        HttpClient(timeout=0.2, max_retries=1, sleep=sleeps.append).get(server.url("/slow"))
    assert len(server.seen) == 2 and len(sleeps) == 1


def test_read_timeout_in_the_middle_of_the_body(server: Loopback) -> None:
    def stall(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "10")
        h.end_headers()
        h.wfile.write(b"12345")
        h.wfile.flush()
        time.sleep(1.0)

    server.routes["/stall"] = stall
    with pytest.raises(APITimeoutError) as info:
        HttpClient(timeout=0.2, max_retries=0).get(server.url("/stall"))
    assert isinstance(info.value.__cause__, requests.ConnectionError)


def test_connection_refused(make_server: Callable[[], Loopback]) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    sleeps: list[float] = []
    with pytest.raises(APIConnectionError) as info:
        HttpClient(sleep=sleeps.append).get(f"http://127.0.0.1:{port}/x?api_key={API_KEY}")
    assert not isinstance(info.value, APITimeoutError)
    assert isinstance(info.value.__cause__, requests.ConnectionError)
    assert API_KEY not in str(info.value)
    assert "Connection refused" in str(info.value)
    assert len(sleeps) == 2


def test_truncated_body_is_connection_error(server: Loopback) -> None:
    def short(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100")
        h.end_headers()
        h.wfile.write(b"only a part")
        h.close_connection = True

    server.routes["/short"] = short
    with pytest.raises(APIConnectionError):
        HttpClient(max_retries=0).get(server.url("/short"))


# -- streaming ---------------------------------------------------------------------------------------------


def test_stream_yields_chunks_and_closes(server: Loopback) -> None:
    server.routes["/file"] = lambda h: reply(h, 200, b"a" * 300_000, {"X-Request-Id": "r1"})
    client = HttpClient(max_response_bytes=10)  # does not apply to streams
    with client.stream("GET", server.url("/file")) as resp:
        assert resp.status_code == 200 and resp.correlation_id == "r1"
        assert resp.headers["content-length"] == "300000"
        chunks = list(resp.iter_bytes(100_000))
        assert "StreamingResponse GET" in repr(resp)
    assert b"".join(chunks) == b"a" * 300_000
    assert all(len(c) <= 100_000 for c in chunks)


def test_stream_max_bytes(server: Loopback) -> None:
    server.routes["/file"] = lambda h: reply(h, 200, b"a" * 300_000)
    with HttpClient().stream("GET", server.url("/file"), max_bytes=1000) as resp:
        with pytest.raises(ResponseTooLargeError):
            for _ in resp.iter_bytes(512):
                pass


def test_stream_error_status_raised_with_body(server: Loopback) -> None:
    server.routes["/file"] = lambda h: reply(h, 404, b'{"message": "no such asset"}')
    with pytest.raises(NotFoundError, match="no such asset"):
        with HttpClient().stream("GET", server.url("/file")):
            pytest.fail("must not be reached")


def test_stream_allowed_status_and_retry(server: Loopback) -> None:
    answers = iter([503, 206])
    server.routes["/file"] = lambda h: reply(h, next(answers), b"part")
    with HttpClient(sleep=lambda _: None).stream("GET", server.url("/file"), allow_status={416}) as resp:
        assert resp.status_code == 206 and b"".join(resp.iter_bytes()) == b"part"
    assert len(server.seen) == 2


def test_stream_read_timeout(server: Loopback) -> None:
    def stall(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "10")
        h.end_headers()
        h.wfile.write(b"12345")
        h.wfile.flush()
        time.sleep(1.0)

    server.routes["/stall"] = stall
    with HttpClient(timeout=0.2).stream("GET", server.url("/stall")) as resp:
        with pytest.raises(APITimeoutError):
            list(resp.iter_bytes(5))


# -- sessions, auth, netrc ----------------------------------------------------------------------------------


def test_owned_session_closed_user_session_kept(server: Loopback) -> None:
    server.routes["/x"] = ok()

    class Tracking(requests.Session):
        closed = False

        def close(self) -> None:
            self.closed = True
            super().close()

    mine = Tracking()
    mine.headers["X-From-Session"] = "yes"
    with HttpClient(session=mine) as client:
        client.get(server.url("/x"))
        assert "owns_session=False" in repr(client)
    assert not mine.closed
    assert server.seen[0].headers["X-From-Session"] == "yes"
    owned = HttpClient()
    assert "owns_session=True" in repr(owned)
    owned.close()


def test_owned_session_is_closed() -> None:
    client = HttpClient()
    session = client._session  # noqa: SLF001 - observing, not patching
    closed: list[bool] = []
    session.close = lambda: closed.append(True)  # type: ignore[method-assign]
    with client:
        pass
    assert closed == [True]


def test_netrc_never_used(server: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrcuser password netrcpass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    server.routes["/x"] = ok()
    assert requests.utils.get_netrc_auth(server.url("/x")) == ("netrcuser", "netrcpass")  # the trap is armed
    HttpClient().get(server.url("/x"))
    HttpClient(auth=BearerAuth()).get(server.url("/x"))
    assert "Authorization" not in server.seen[0].headers
    assert server.seen[1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_per_call_auth_and_session_auth(server: Loopback) -> None:
    server.routes["/x"] = ok()
    session = requests.Session()
    session.auth = ("user", "pass")
    client = HttpClient(session=session)
    client.get(server.url("/x"))
    client.get(server.url("/x"), auth=BearerAuth())
    assert server.seen[0].headers["Authorization"].startswith("Basic ")
    assert server.seen[1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_user_agent_and_json_body(server: Loopback) -> None:
    server.routes["/x"] = ok()
    HttpClient().put(server.url("/x"), json={"é": [1, 2]})
    HttpClient(user_agent="my-app/1").delete(
        server.url("/x"), data=b"raw", headers={"Content-Type": "text/plain"}
    )
    first, second = server.seen
    assert first.headers["User-Agent"].startswith("d4h-sdk/")
    assert first.headers["Content-Type"] == "application/json"
    assert json.loads(first.body) == {"é": [1, 2]} and first.body == '{"é":[1,2]}'.encode()
    assert second.headers["User-Agent"] == "my-app/1" and second.body == b"raw"


def test_verify_false_accepted(server: Loopback) -> None:
    server.routes["/x"] = ok()
    assert HttpClient(verify=False).get(server.url("/x")).status_code == 200


def test_response_object(server: Loopback) -> None:
    server.routes["/x"] = ok(
        "é".encode("latin-1"), {"Content-Type": "text/plain; charset=iso-8859-1", "X-Correlation-Id": "c-9"}
    )
    resp = HttpClient().get(server.url("/x"), params={"token": TOKEN})
    assert resp.text == "é" and resp.correlation_id == "c-9"
    assert resp.headers["x-correlation-id"] == "c-9"
    assert resp.elapsed > 0 and resp.method == "GET"
    assert TOKEN not in repr(resp) and "200" in repr(resp)


# -- hooks, logs and reprs never leak secrets ---------------------------------------------------------------


def test_event_hooks_receive_redacted_info(server: Loopback) -> None:
    server.routes["/a"] = redirect(302, "/b")
    server.routes["/b"] = ok(headers={"Set-Cookie": "sid=" + TOKEN})
    requests_seen: list[RequestInfo] = []
    responses_seen: list[tuple[RequestInfo, ResponseInfo]] = []
    client = HttpClient(
        auth=KeyAndSignAuth(),
        event_hooks={
            "request": [requests_seen.append],
            "response": [lambda i, r: responses_seen.append((i, r))],
        },
    )
    client.get(server.url("/a") + f"?access_token={TOKEN}")
    assert [i.method for i in requests_seen] == ["GET", "GET"]
    assert requests_seen[0].url == server.url("/a") + "?access_token=***"
    assert requests_seen[0].headers["X-Api-Key"] == "***" and requests_seen[0].headers["X-Edc-Sig"] == "***"
    assert [r.status_code for _, r in responses_seen] == [302, 200]
    assert responses_seen[1][1].headers["Set-Cookie"] == "***"
    assert all(r.elapsed >= 0 for _, r in responses_seen)
    assert TOKEN not in repr(requests_seen) + repr(responses_seen) and API_KEY not in repr(requests_seen)
    with pytest.raises(AttributeError):
        requests_seen[0].method = "POST"  # type: ignore[misc]


def test_hook_exceptions_propagate(server: Loopback) -> None:
    server.routes["/x"] = ok()

    def boom(*_: object) -> None:
        raise RuntimeError("hook failed")

    with pytest.raises(RuntimeError, match="hook failed"):
        HttpClient(event_hooks={"request": [boom]}).get(server.url("/x"))
    assert server.seen == []
    with pytest.raises(RuntimeError, match="hook failed"):
        HttpClient(event_hooks={"response": [boom]}).get(server.url("/x"))
    assert len(server.seen) == 1


def test_unknown_hook_kind_rejected() -> None:
    with pytest.raises(ConfigurationError, match="unknown event hook"):
        HttpClient(event_hooks={"error": []})


@pytest.mark.parametrize(
    "kwargs", [{"max_retries": -1}, {"max_response_bytes": 0}, {"max_retry_after": -1.0}]
)
def test_invalid_options_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        HttpClient(**kwargs)  # type: ignore[arg-type]


def test_no_secret_in_logs_reprs_or_errors(server: Loopback, caplog: pytest.LogCaptureFixture) -> None:
    server.routes["/a"] = redirect(302, "/b")
    server.routes["/b"] = lambda h: reply(
        h, 401, json.dumps({"message": f"bad {API_KEY} / {TOKEN}"}).encode()
    )
    caplog.set_level(logging.DEBUG, logger="d4h_sdk")
    client = HttpClient(auth=KeyAndSignAuth())
    with pytest.raises(APIError) as info:
        client.get(
            server.url("/a"), params={"api_key": API_KEY}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    texts = [caplog.text, repr(client), str(info.value), repr(info.value)]
    for text in texts:
        assert API_KEY not in text and TOKEN not in text
    assert "sending GET" in caplog.text and "received 401" in caplog.text
    assert "X-Api-Key" in caplog.text  # the header name is logged, its value is not
    assert "auth=KeyAndSignAuth" in repr(client)


def test_redirect_body_is_not_read(server: Loopback) -> None:
    def endless_redirect(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", "/b")
        h.send_header("Content-Length", str(10**9))
        h.end_headers()
        h.wfile.write(b"0123456789")
        h.wfile.flush()
        time.sleep(1.0)

    server.routes["/a"] = endless_redirect
    server.routes["/b"] = ok()
    started = time.monotonic()
    assert (
        HttpClient(timeout=Timeout(connect=1, read=0.5), max_retries=0).get(server.url("/a")).status_code
        == 200
    )
    assert time.monotonic() - started < 0.5


def test_auth_response_hooks_and_cookies_still_work(server: Loopback) -> None:
    seen_statuses: list[int] = []

    class HookedAuth(requests.auth.AuthBase):
        def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
            r.register_hook("response", lambda resp, **kw: seen_statuses.append(resp.status_code))
            return r

    server.routes["/login"] = lambda h: reply(h, 200, b"", {"Set-Cookie": "sid=abc; Path=/"})
    server.routes["/x"] = ok()
    client = HttpClient(auth=HookedAuth())
    client.get(server.url("/login"))
    client.get(server.url("/x"))
    assert seen_statuses == [200, 200]
    assert server.seen[1].headers["Cookie"] == "sid=abc"
