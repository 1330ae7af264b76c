"""WebDidResolver against a real HTTP server on 127.0.0.1; StaticDidResolver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import (
    APIConnectionError,
    ConfigurationError,
    NotFoundError,
    ResponseTooLargeError,
    VerificationError,
)
from d4h_sdk.identity.did import (
    DidDocument,
    DidResolutionError,
    DidResolver,
    StaticDidResolver,
    WebDidResolver,
)

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Server:
    port: int = 0
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def authority(self) -> str:
        return f"localhost:{self.port}"

    def did(self, *path: str) -> str:
        return ":".join([f"did:web:localhost%3A{self.port}", *path])

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.hits if p == path)

    def serve(
        self, path: str, body: bytes, content_type: str = "application/json", status: int = 200
    ) -> None:
        def handler(h: BaseHTTPRequestHandler) -> None:
            _reply(h, status, body, {"Content-Type": content_type})

        self.routes[path] = handler

    def serve_doc(self, path: str, doc: dict[str, Any]) -> None:
        self.serve(path, json.dumps(doc).encode(), "application/did+json")


def _reply(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    h.send_response(status)
    for name, value in headers.items():
        h.send_header(name, value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            state.hits.append((self.path, dict(self.headers.items())))
            route = state.routes.get(self.path)
            if route is None:
                _reply(self, 404, b"not found", {"Content-Type": "text/plain"})
            else:
                route(self)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(max_retries=0, timeout=2) as client:
        yield client


def _doc(did: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": "#key-1",
                "type": "JsonWebKey2020",
                "controller": did,
                "publicKeyJwk": {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": "CV-aGlld3nVdgnhoZK0D36Wk-9aIMlZjZOK2XhPMnkQ",
                },
            }
        ],
        "capabilityInvocation": ["#key-1"],
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


WELL_KNOWN = "/.well-known/did.json"


def test_resolves_caches_and_expires(server: Server) -> None:
    did = server.did()
    server.serve_doc(WELL_KNOWN, _doc(did))
    clock = Clock()
    with WebDidResolver(insecure_hosts=[server.authority], ttl_s=300, clock=clock) as resolver:
        doc = resolver.resolve(did)
        assert doc.id == did
        assert doc.key_for(f"{did}#key-1", "capabilityInvocation")["crv"] == "Ed25519"
        assert "application/did+json" in server.hits[0][1]["Accept"]
        clock.now += 299
        assert resolver.resolve(did) is doc
        assert server.count(WELL_KNOWN) == 1  # cache hit: no second request
        clock.now += 2
        assert resolver.resolve(did) == doc
        assert server.count(WELL_KNOWN) == 2  # expired: fetched again
        resolver.clear_cache()
        resolver.resolve(did)
        assert server.count(WELL_KNOWN) == 3


def test_path_based_did_and_zero_ttl(server: Server, http: HttpClient) -> None:
    did = server.did("user", "alice")
    server.serve_doc("/user/alice/did.json", _doc(did))
    resolver = WebDidResolver(http=http, insecure_hosts=[server.authority], ttl_s=0)
    resolver.resolve(did)
    resolver.resolve(did)
    assert server.count("/user/alice/did.json") == 2


def test_cache_is_bounded(server: Server, http: HttpClient) -> None:
    for name in "abc":
        server.serve_doc(f"/{name}/did.json", _doc(server.did(name)))
    resolver = WebDidResolver(http=http, insecure_hosts=[server.authority], max_entries=2)
    for name in "abc":
        resolver.resolve(server.did(name))
    resolver.resolve(server.did("c"))
    resolver.resolve(server.did("b"))
    assert server.count("/c/did.json") == server.count("/b/did.json") == 1
    resolver.resolve(server.did("a"))  # evicted as the oldest
    assert server.count("/a/did.json") == 2


def _resolve_error(
    server: Server, http: HttpClient, did: str | None = None, **options: Any
) -> DidResolutionError:
    resolver = WebDidResolver(http=http, insecure_hosts=[server.authority], **options)
    with pytest.raises(DidResolutionError) as info:
        resolver.resolve(did or server.did())
    assert isinstance(info.value, VerificationError)
    return info.value


def test_id_mismatch(server: Server, http: HttpClient) -> None:
    server.serve_doc(WELL_KNOWN, _doc("did:web:evil.example"))
    error = _resolve_error(server, http)
    assert "describes 'did:web:evil.example'" in str(error)
    assert "must equal the DID" in str(error)


def test_oversize_body(server: Server, http: HttpClient) -> None:
    doc = _doc(server.did()) | {"padding": "x" * 4096}
    server.serve_doc(WELL_KNOWN, doc)
    error = _resolve_error(server, http, max_bytes=1024)
    assert isinstance(error.__cause__, ResponseTooLargeError)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<html>login</html>", "text/html", "not a JSON DID document"),
        (b"not json at all", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "not a JSON object"),
        (b"\xff\xfe{", "application/json", "not valid JSON"),
        (b'{"id": 42}', "application/json", "invalid"),
    ],
)
def test_bad_bodies(server: Server, http: HttpClient, body: bytes, content_type: str, message: str) -> None:
    server.serve(WELL_KNOWN, body, content_type)
    assert message in str(_resolve_error(server, http))


def test_private_key_in_document_is_rejected_without_leaking_it(server: Server, http: HttpClient) -> None:
    doc = _doc(server.did())
    doc["verificationMethod"][0]["publicKeyJwk"]["d"] = "VERY-SECRET-PRIVATE-SCALAR"
    server.serve_doc(WELL_KNOWN, doc)
    error = _resolve_error(server, http)
    assert "private key members ['d']" in str(error)
    assert "VERY-SECRET" not in str(error)


def test_404_is_not_cached(server: Server, http: HttpClient) -> None:
    error = _resolve_error(server, http)
    assert isinstance(error.__cause__, NotFoundError)
    assert "HTTP 404" in str(error)
    server.serve_doc(WELL_KNOWN, _doc(server.did()))
    assert (
        WebDidResolver(http=http, insecure_hosts=[server.authority]).resolve(server.did()).id == server.did()
    )


def test_https_is_required_unless_allow_listed(server: Server, http: HttpClient) -> None:
    server.serve_doc(WELL_KNOWN, _doc(server.did()))
    resolver = WebDidResolver(http=http, insecure_hosts=["localhost"])  # no port: does not match
    with pytest.raises(DidResolutionError) as info:
        resolver.resolve(server.did())
    assert isinstance(info.value.__cause__, APIConnectionError)  # TLS handshake against a plain HTTP server
    assert server.count(WELL_KNOWN) == 0


def test_redirect_to_another_origin_is_refused(server: Server, http: HttpClient) -> None:
    target = f"http://127.0.0.1:{server.port}/elsewhere/did.json"
    server.serve_doc("/elsewhere/did.json", _doc(server.did()))
    server.routes[WELL_KNOWN] = lambda h: _reply(h, 302, b"", {"Location": target})
    assert "another origin" in str(_resolve_error(server, http))


def test_same_origin_redirect_is_followed(server: Server, http: HttpClient) -> None:
    server.serve_doc("/moved/did.json", _doc(server.did()))
    server.routes[WELL_KNOWN] = lambda h: _reply(h, 301, b"", {"Location": "/moved/did.json"})
    resolver = WebDidResolver(http=http, insecure_hosts=[server.authority])
    assert resolver.resolve(server.did()).id == server.did()


def test_unreachable_host(http: HttpClient) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    resolver = WebDidResolver(http=http, insecure_hosts=[f"localhost:{port}"])
    with pytest.raises(DidResolutionError, match="cannot fetch") as info:
        resolver.resolve(f"did:web:localhost%3A{port}")
    assert isinstance(info.value.__cause__, APIConnectionError)


@pytest.mark.parametrize("did", ["did:web:192.168.0.1", "did:key:z6Mk", "did:web:example.com#key-1", ""])
def test_invalid_dids_are_verification_errors(did: str) -> None:
    with pytest.raises(DidResolutionError, match="cannot resolve") as info:
        WebDidResolver().resolve(did)
    assert isinstance(info.value.__cause__, ConfigurationError)


def test_concurrent_resolution(server: Server) -> None:
    did = server.did()
    server.serve_doc(WELL_KNOWN, _doc(did))
    with WebDidResolver(insecure_hosts=[server.authority]) as resolver, ThreadPoolExecutor(8) as pool:
        docs = list(pool.map(lambda _: resolver.resolve(did), range(32)))
    assert all(d == docs[0] for d in docs)
    assert 1 <= server.count(WELL_KNOWN) <= 8


def test_options_are_checked() -> None:
    bad: list[dict[str, Any]] = [{"timeout": 0}, {"max_bytes": 0}, {"ttl_s": -1}, {"max_entries": 0}]
    for options in bad:
        with pytest.raises(ConfigurationError):
            WebDidResolver(**options)
    assert "insecure_hosts=['localhost:1']" in repr(WebDidResolver(insecure_hosts=["LOCALHOST:1"]))


def test_static_resolver(shared_fixtures: Any) -> None:
    raw = json.loads((shared_fixtures / "didweb" / "did-web-example-jwk.json").read_text())
    doc = DidDocument.model_validate(_doc("did:web:b.example"))
    resolver = StaticDidResolver({raw["id"]: raw, "did:web:b.example": doc})
    assert resolver.resolve("did:web:example.com").key_for("#key-2", "assertionMethod")["crv"] == "P-256"
    assert resolver.resolve("did:web:b.example") is doc
    with pytest.raises(DidResolutionError, match="no DID document"):
        resolver.resolve("did:web:c.example")
    with pytest.raises(ConfigurationError, match="describes"):
        StaticDidResolver({"did:web:other.example": raw})
    with pytest.raises(ConfigurationError, match="describes"):
        StaticDidResolver({"did:web:other.example": doc})
    with pytest.raises(ConfigurationError, match="invalid"):
        StaticDidResolver(
            {"did:web:x.example": {"id": "did:web:x.example", "verificationMethod": [{"id": "#k"}]}}
        )


def test_resolvers_satisfy_the_protocol() -> None:
    assert isinstance(WebDidResolver(), DidResolver)
    assert isinstance(StaticDidResolver({}), DidResolver)
