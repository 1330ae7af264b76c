"""Fixtures: the sandbox data plane (with fault injection and a request log) and a scriptable faulty server."""

from __future__ import annotations

import base64
import hashlib
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.identity.signing import LocalKeySigner, generate_key
from d4h_sdk.models import EndpointDataReference
from d4h_sdk.sandbox._dataplane import BytesSource, DataPlane, DataSource
from d4h_sdk.sandbox._edr import EdrTokenIssuer, EdrTokenValidator, RevocationList
from d4h_sdk.sandbox._faults import FaultInjector
from d4h_sdk.sandbox._http_server import LoopbackServer

PROVIDER = "did:web:provider.example"
CONSUMER = "did:web:consumer.example"
PAYLOAD = hashlib.sha256(b"transfer").digest() * 45_000 + b"tail"  # 1.44 MB, not a multiple of 64 KiB
CSV = b"patient_id,diabetes_type,hba1c\np1,type 1,7.1\np2,type 2,8.4\np3,type 2,6.9\n"
FHIR = (
    b'{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1970-05-01"}\n'
    b'{"resourceType":"Observation","id":"o1","status":"final","subject":{"reference":"Patient/p1"},'
    b'"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},'
    b'"valueQuantity":{"value":7.1,"unit":"%"}}\n'
)


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(max_retries=0, timeout=10) as client:
        yield client


class Recorder:
    """WSGI middleware keeping (method, Range, If-Range, Accept-Encoding, Authorization) of each request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[dict[str, str | None]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.requests.append(
            {
                "method": environ["REQUEST_METHOD"],
                "range": environ.get("HTTP_RANGE"),
                "if_range": environ.get("HTTP_IF_RANGE"),
                "accept_encoding": environ.get("HTTP_ACCEPT_ENCODING"),
                "authorization": environ.get("HTTP_AUTHORIZATION"),
            }
        )
        result: Iterable[bytes] = self.app(environ, start_response)
        return result


@dataclass
class Plane:
    server: LoopbackServer
    issuer: EdrTokenIssuer
    injector: FaultInjector
    recorder: Recorder
    sources: dict[str, DataSource]

    def url(self, transfer_id: str) -> str:
        return self.server.url + DataPlane.path_for(transfer_id)

    def edr(self, transfer_id: str, *, token: str | None = None) -> EndpointDataReference:
        if token is None:
            token = self.issuer.issue(
                transfer_id=transfer_id, agreement_id="agreement-1", dataset_id="dataset-1", audience=CONSUMER
            ).token
        return EndpointDataReference(endpoint=self.url(transfer_id), authorization=token, auth_type="bearer")


@pytest.fixture(scope="session")
def signer() -> LocalKeySigner:
    return generate_key("P-256", key_id=PROVIDER + "#edr-1")


@pytest.fixture
def plane(signer: LocalKeySigner) -> Iterator[Plane]:
    """The sandbox data plane on loopback, behind the sandbox's fault injector and a request recorder."""
    revocations = RevocationList()
    issuer = EdrTokenIssuer(signer, issuer_did=PROVIDER, lifetime_s=300, revocations=revocations)
    validator = EdrTokenValidator(signer.public_jwk(), issuer_did=PROVIDER, revocations=revocations)
    sources: dict[str, DataSource] = {
        "tp-bin": BytesSource(PAYLOAD, chunk_size=256 * 1024),
        "tp-csv": BytesSource(CSV, media_type="text/csv"),
        "tp-fhir": BytesSource(FHIR, media_type="application/fhir+ndjson"),
    }
    injector = FaultInjector(DataPlane(validator, sources.get))
    recorder = Recorder(injector)
    with LoopbackServer(recorder, name="transfer-test") as server:
        yield Plane(server, issuer, injector, recorder, sources)
    injector.close()


@dataclass
class Faulty:
    """A scriptable data plane: cuts bodies, ignores ranges, lies about digests, refuses tokens.

    Attributes:
        payload: The representation served.
        token: The one accepted ``Authorization`` value.
        cuts: For each successive response, how many body bytes to send before closing (None: all).
        ignore_range: Answer Range requests with 200 and the whole body.
        range_status: Answer Range requests with this status instead (e.g. 416).
        content_range_shift: Add this to the first byte announced in Content-Range (a lying server).
        headers: Extra response headers (digests, ETag); defaults to a strong ETag and the true Repr-Digest.
        media_type: The Content-Type.
        replace_after: After this many responses, serve ``replacement`` instead of ``payload``.
        replacement: The changed representation.
        rotate_after: After this many requests, accept only ``rotate_to`` (the first token expired).
        rotate_to: The token accepted after the rotation.
        send_length: Send Content-Length (otherwise the body goes chunked).
    """

    payload: bytes
    token: str = "Bearer good"
    cuts: list[int | None] = field(default_factory=list)
    ignore_range: bool = False
    range_status: int | None = None
    content_range_shift: int = 0
    headers: dict[str, str] | None = None
    media_type: str = "application/octet-stream"
    replace_after: int | None = None
    replacement: bytes = b""
    rotate_after: int | None = None
    rotate_to: str = ""
    send_length: bool = True
    requests: list[dict[str, str | None]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.requests.append(
            {
                "method": environ["REQUEST_METHOD"],
                "range": environ.get("HTTP_RANGE"),
                "if_range": environ.get("HTTP_IF_RANGE"),
                "authorization": environ.get("HTTP_AUTHORIZATION"),
                "accept_encoding": environ.get("HTTP_ACCEPT_ENCODING"),
            }
        )
        if self.rotate_after is not None and len(self.requests) > self.rotate_after:
            self.token = self.rotate_to
        if environ.get("HTTP_AUTHORIZATION") != self.token:
            start_response(
                "401 Unauthorized", [("Content-Type", "application/json"), ("Content-Length", "2")]
            )
            return [b"{}"]
        served = len([r for r in self.requests if r["authorization"] == self.token]) - 1
        payload = self.payload
        if self.replace_after is not None and served >= self.replace_after:
            payload = self.replacement
        headers = {"ETag": '"v1"', "Repr-Digest": "sha-256=:" + b64_sha256(payload) + ":"}
        if self.headers is not None:
            headers = dict(self.headers)
        headers["Content-Type"] = self.media_type
        status = "200 OK"
        start = 0
        requested = environ.get("HTTP_RANGE")
        if requested and self.range_status is not None:
            start_response(
                f"{self.range_status} Error",
                [("Content-Range", f"bytes */{len(payload)}"), ("Content-Length", "0")],
            )
            return [b""]
        if requested and not self.ignore_range:
            start = int(requested.removeprefix("bytes=").removesuffix("-"))
            status = "206 Partial Content"
            first = start + self.content_range_shift
            headers["Content-Range"] = f"bytes {first}-{len(payload) - 1}/{len(payload)}"
        body = payload[start:]
        if self.send_length:
            headers["Content-Length"] = str(len(body))
        start_response(status, list(headers.items()))
        cut = self.cuts.pop(0) if self.cuts else None
        return _body(body, cut, environ)


def _body(body: bytes, cut: int | None, environ: dict[str, Any]) -> Iterator[bytes]:
    if cut is None:
        for offset in range(0, len(body), 65536):
            yield body[offset : offset + 65536]
        return
    yield body[:cut]
    conn = environ.get("werkzeug.socket")
    if isinstance(conn, socket.socket):
        conn.shutdown(socket.SHUT_WR)  # FIN after the bytes sent: the client sees a short body
    raise ConnectionAbortedError("test: body cut")


@pytest.fixture
def faulty_server() -> Iterator[tuple[Faulty, str]]:
    app = Faulty(PAYLOAD)
    with LoopbackServer(app, name="transfer-faulty") as server:
        yield app, server.url + "/data/x"


def edr_for(url: str, token: str = "good", auth_type: str | None = "bearer") -> EndpointDataReference:
    return EndpointDataReference(endpoint=url, authorization=token, auth_type=auth_type)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())
