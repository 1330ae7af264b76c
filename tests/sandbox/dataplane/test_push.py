"""Push: the data plane sends a source to the consumer's HTTP endpoint, streaming, retrying only PUT."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import AuthenticationError, ConfigurationError, ServerError
from d4h_sdk.models import DataAddress, EndpointProperty
from d4h_sdk.sandbox._dataplane import BytesSource, StreamSource, push
from d4h_sdk.sandbox._http_server import LoopbackServer

from .conftest import assert_no_server_threads

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PAYLOAD = hashlib.sha256(b"push").digest() * 50_000  # 1.6 MB


@dataclass
class Received:
    method: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A WSGI receiver that records every request and answers with the queued statuses (then 200)."""

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        from werkzeug.wrappers import Request

        request = Request(environ)
        body = request.stream.read()
        with self.lock:
            self.received.append(Received(request.method, dict(request.headers), body))
            status = self.statuses.pop(0) if self.statuses else 200
        start_response(f"{status} X", [("Content-Length", "2"), ("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, LoopbackServer]]:
    app = Receiver()
    with LoopbackServer(app, name="push-receiver") as server:
        yield app, server
    assert_no_server_threads()


def _address(url: str, **props: object) -> DataAddress:
    return DataAddress(
        endpoint_type="https://w3id.org/idsa/v4.1/HTTP",
        endpoint=url,
        endpoint_properties=tuple(EndpointProperty(name=k, value=v) for k, v in props.items()),
    )


def test_push_puts_the_bytes_with_the_destination_token(receiver: tuple[Receiver, LoopbackServer]) -> None:
    app, server = receiver
    source = BytesSource(PAYLOAD, media_type="application/x-ndjson")
    response = push(
        source, _address(server.url + "/inbox/1", authorization="CONSUMER-TOKEN", authType="bearer")
    )
    assert response.status_code == 200
    (got,) = app.received
    assert got.method == "PUT" and got.body == PAYLOAD
    assert got.headers["Authorization"] == "Bearer CONSUMER-TOKEN"
    assert got.headers["Content-Length"] == str(len(PAYLOAD))
    assert got.headers["Content-Type"] == "application/x-ndjson"


def test_put_is_retried_with_the_whole_body_again(receiver: tuple[Receiver, LoopbackServer]) -> None:
    app, server = receiver
    app.statuses = [503]
    chunks = [PAYLOAD[i : i + 100_000] for i in range(0, len(PAYLOAD), 100_000)]
    source = StreamSource(lambda: iter(chunks), size=len(PAYLOAD))  # a generator, re-created per attempt
    with HttpClient(max_retries=2, sleep=lambda _: None) as http:
        assert push(source, _address(server.url + "/inbox"), http=http).status_code == 200
    assert [r.body == PAYLOAD for r in app.received] == [True, True]


def test_post_is_never_replayed(receiver: tuple[Receiver, LoopbackServer]) -> None:
    app, server = receiver
    app.statuses = [503]
    with HttpClient(max_retries=2, sleep=lambda _: None) as http, pytest.raises(ServerError):
        push(BytesSource(PAYLOAD), _address(server.url + "/inbox", method="POST"), http=http)
    assert len(app.received) == 1 and app.received[0].method == "POST"


def test_edc_style_destination_and_errors(receiver: tuple[Receiver, LoopbackServer]) -> None:
    app, server = receiver
    edc = DataAddress(
        endpoint_type="HttpData",
        endpoint_properties=(
            EndpointProperty(name="baseUrl", value=server.url + "/edc"),
            EndpointProperty(name="authKey", value="X-Api-Key"),
            EndpointProperty(name="authCode", value="secret-code"),
        ),
    )
    push(BytesSource(b"hello"), edc, method="post")
    assert app.received[-1].method == "POST" and app.received[-1].headers["X-Api-Key"] == "secret-code"
    app.statuses = [401]
    with pytest.raises(AuthenticationError):
        push(BytesSource(b"hello"), _address(server.url + "/inbox", authorization="raw-value"))
    assert app.received[-1].headers["Authorization"] == "raw-value"
    with pytest.raises(ConfigurationError):
        push(BytesSource(b"x"), _address("ftp://example.org/inbox"))
    with pytest.raises(ConfigurationError):
        push(BytesSource(b"x"), _address(server.url, method="DELETE"))
