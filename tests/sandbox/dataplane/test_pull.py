"""The data plane over real HTTP on 127.0.0.1: downloads, ranges, gzip, tokens, HEAD, lazy streaming."""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
from collections.abc import Iterator
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from d4h_sdk.sandbox._dataplane import StreamSource, digest_header

from .conftest import PAYLOAD, Plane

MIB = 1024 * 1024


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(max_retries=0, timeout=10) as client:
        yield client


def _raw(
    plane: Plane, method: str, transfer_id: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """One request with http.client: no transparent decompression, exact bytes on the wire."""
    parts = urlsplit(plane.url(transfer_id))
    conn = HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(method, parts.path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_full_download_matches_its_digest(plane: Plane, http: HttpClient) -> None:
    sent = {**plane.auth("tp-1"), "Accept-Encoding": "identity"}  # requests offers gzip by default
    with http.stream("GET", plane.url("tp-1"), headers=sent) as resp:
        body = b"".join(resp.iter_bytes())
        headers = resp.headers
    assert resp.status_code == 200 and body == PAYLOAD
    sha = hashlib.sha256(body).digest()
    assert headers["Repr-Digest"] == digest_header(sha) == "sha-256=:" + base64.b64encode(sha).decode() + ":"
    assert headers["Digest"] == "SHA-256=" + base64.b64encode(sha).decode()
    assert headers["Content-Length"] == str(len(PAYLOAD))
    assert headers["Content-Type"] == "application/fhir+ndjson"
    assert headers["ETag"].startswith('"') and headers["Accept-Ranges"] == "bytes"


def test_range_resume_reassembles_the_file(plane: Plane, http: HttpClient) -> None:
    half = len(PAYLOAD) // 2
    first = http.get(plane.url("tp-1"), headers={**plane.auth("tp-1"), "Range": f"bytes=0-{half - 1}"})
    assert first.status_code == 206 and first.content == PAYLOAD[:half]
    assert first.headers["Content-Range"] == f"bytes 0-{half - 1}/{len(PAYLOAD)}"
    etag, digest = first.headers["ETag"], first.headers["Repr-Digest"]
    headers = {**plane.auth("tp-1"), "Range": f"bytes={half}-", "If-Range": etag}
    with http.stream("GET", plane.url("tp-1"), headers=headers) as resp:
        rest = b"".join(resp.iter_bytes())
        assert resp.status_code == 206
        assert resp.headers["Content-Range"] == f"bytes {half}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}"
    assert digest_header(hashlib.sha256(first.content + rest).digest()) == digest


def test_range_edge_cases(plane: Plane, http: HttpClient) -> None:
    size = len(PAYLOAD)
    auth = plane.auth("tp-1")
    suffix = http.get(plane.url("tp-1"), headers={**auth, "Range": "bytes=-100"})
    assert suffix.status_code == 206 and suffix.content == PAYLOAD[-100:]
    clipped = http.get(plane.url("tp-1"), headers={**auth, "Range": f"bytes={size - 10}-{size + 500}"})
    assert clipped.status_code == 206 and clipped.content == PAYLOAD[-10:]
    stale = http.get(plane.url("tp-1"), headers={**auth, "Range": "bytes=0-9", "If-Range": '"stale"'})
    assert stale.status_code == 200 and stale.content == PAYLOAD
    several = http.get(plane.url("tp-1"), headers={**auth, "Range": "bytes=0-9,20-29"})
    assert several.status_code == 200 and len(several.content) == size
    beyond = http.get(plane.url("tp-1"), headers={**auth, "Range": f"bytes={size}-"}, allow_status=[416])
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{size}"


def test_gzip_is_streamed_and_not_combined_with_range(plane: Plane) -> None:
    status, headers, raw = _raw(plane, "GET", "tp-1", {**plane.auth("tp-1"), "Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert headers.get("transfer-encoding") == "chunked" and "content-length" not in headers
    assert raw[:2] == b"\x1f\x8b" and len(raw) < len(PAYLOAD) // 10
    assert gzip.decompress(raw) == PAYLOAD
    assert headers["etag"].endswith('-gzip"') and "repr-digest" not in headers
    status, headers, raw = _raw(
        plane, "GET", "tp-1", {**plane.auth("tp-1"), "Accept-Encoding": "gzip", "Range": "bytes=0-99"}
    )
    assert status == 206 and "content-encoding" not in headers and raw == PAYLOAD[:100]
    status, headers, _ = _raw(plane, "GET", "tp-1", {**plane.auth("tp-1"), "Accept-Encoding": "gzip;q=0"})
    assert status == 200 and "content-encoding" not in headers


def test_missing_and_invalid_tokens_get_401(plane: Plane) -> None:
    status, headers, _ = _raw(plane, "GET", "tp-1", {})
    assert status == 401 and headers["www-authenticate"] == 'Bearer realm="d4h-sandbox"'
    status, headers, body = _raw(plane, "GET", "tp-1", {"Authorization": "Bearer not.a.jwt"})
    assert status == 401 and 'error="invalid_token"' in headers["www-authenticate"]
    token = plane.token("tp-1")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    status, headers, body = _raw(plane, "GET", "tp-1", {"Authorization": "Bearer " + tampered})
    assert status == 401 and 'error="invalid_token"' in headers["www-authenticate"]
    assert tampered.encode() not in body and tampered not in headers["www-authenticate"]


def test_expired_token_gets_401(plane: Plane, http: HttpClient) -> None:
    auth = plane.auth("tp-1")
    plane.clock.now += 300 + 6
    with pytest.raises(AuthenticationError):
        http.get(plane.url("tp-1"), headers=auth)
    expired = http.get(plane.url("tp-1"), headers=auth, allow_status=[401])
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    assert "expired" in expired.headers["WWW-Authenticate"]


def test_suspension_revokes_and_a_new_token_works_after_resumption(plane: Plane, http: HttpClient) -> None:
    old = plane.auth("tp-1")
    assert http.get(plane.url("tp-1"), headers=old).status_code == 200
    plane.revocations.revoke("tp-1")  # suspension
    with pytest.raises(AuthenticationError):
        http.get(plane.url("tp-1"), headers=old)
    plane.revocations.reinstate("tp-1")  # resumption: the control plane re-issues
    assert http.get(plane.url("tp-1"), headers=plane.auth("tp-1")).content == PAYLOAD
    with pytest.raises(AuthenticationError):
        http.get(plane.url("tp-1"), headers=old)
    plane.revocations.terminate("tp-1")
    with pytest.raises(AuthenticationError):
        http.get(plane.url("tp-1"), headers=plane.auth("tp-1"))


def test_token_of_another_transfer_gets_403_and_unknown_transfer_404(plane: Plane, http: HttpClient) -> None:
    with pytest.raises(PermissionDeniedError):
        http.get(plane.url("tp-1"), headers=plane.auth("tp-2"))
    with pytest.raises(NotFoundError):
        http.get(plane.url("tp-2"), headers=plane.auth("tp-2"))
    assert http.post(plane.url("tp-1"), headers=plane.auth("tp-1"), allow_status=[405]).status_code == 405
    assert http.get(plane.server.url + "/elsewhere", allow_status=[404]).status_code == 404


class _Recorder:
    """A deterministic generator source that records how far the stream has been consumed."""

    def __init__(self, size: int, chunk: int = MIB) -> None:
        self.size, self.chunk = size, chunk
        self.consumed = 0
        self.opened = 0
        self.closed = threading.Event()

    def __call__(self) -> Iterator[bytes]:
        self.opened += 1
        self.consumed = 0
        block = bytes(range(256)) * (self.chunk // 256)
        try:
            for offset in range(0, self.size, self.chunk):
                piece = block[: min(self.chunk, self.size - offset)]
                self.consumed += len(piece)
                yield piece
        finally:
            self.closed.set()

    def sha256(self) -> str:
        digest = hashlib.sha256()
        block = bytes(range(256)) * (self.chunk // 256)
        for offset in range(0, self.size, self.chunk):
            digest.update(block[: min(self.chunk, self.size - offset)])
        return digest.hexdigest()


def test_head_sends_headers_without_reading_the_source(plane: Plane) -> None:
    recorder = _Recorder(5 * MIB)
    plane.sources["tp-3"] = StreamSource(recorder, size=recorder.size, sha256=recorder.sha256())
    status, headers, body = _raw(plane, "HEAD", "tp-3", plane.auth("tp-3"))
    assert status == 200 and body == b"" and headers["content-length"] == str(5 * MIB)
    assert headers["repr-digest"] == digest_header(bytes.fromhex(recorder.sha256()))
    assert recorder.opened == 0


def test_a_64_mib_stream_is_read_lazily(plane: Plane, http: HttpClient) -> None:
    recorder = _Recorder(64 * MIB)
    plane.sources["tp-big"] = StreamSource(recorder, size=recorder.size, sha256=recorder.sha256())
    digest = hashlib.sha256()
    sent = {**plane.auth("tp-big"), "Accept-Encoding": "identity"}
    with http.stream("GET", plane.url("tp-big"), headers=sent) as resp:
        chunks = resp.iter_bytes(64 * 1024)
        digest.update(next(chunks))
        assert recorder.opened == 1
        assert recorder.consumed < 16 * MIB  # socket buffers hold a few MiB; the rest is not produced yet
        for chunk in chunks:
            digest.update(chunk)
    assert recorder.consumed == 64 * MIB
    assert digest.hexdigest() == recorder.sha256()


def test_an_abandoned_download_stops_and_closes_the_source(plane: Plane, http: HttpClient) -> None:
    recorder = _Recorder(64 * MIB)
    plane.sources["tp-big"] = StreamSource(recorder, size=recorder.size, sha256=recorder.sha256())
    sent = {**plane.auth("tp-big"), "Accept-Encoding": "identity"}
    with http.stream("GET", plane.url("tp-big"), headers=sent) as resp:
        next(resp.iter_bytes(64 * 1024))
    assert recorder.closed.wait(5), "the server kept the source open after the client left"
    assert recorder.consumed < 32 * MIB
