"""Download against a scriptable faulty server: resume, restarts, digests, atomic files, auth, errors."""

from __future__ import annotations

import base64
import hashlib
import sys
from pathlib import Path

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import (
    APIConnectionError,
    ChecksumMismatchError,
    ConfigurationError,
    DecodeError,
    ResponseTooLargeError,
    TransferError,
)
from d4h_sdk.models import EndpointDataReference
from d4h_sdk.transfer import Download

from .conftest import CSV, PAYLOAD, Faulty, b64_sha256, edr_for, leftovers

Server = tuple[Faulty, str]

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")


def test_cut_body_resumes_with_range_and_if_range(
    faulty_server: Server, http: HttpClient, tmp_path: Path
) -> None:
    app, url = faulty_server
    app.cuts = [500_000, 300_000]
    download = Download(edr_for(url), http=http, chunk_size=50_000)  # a cut loses at most the read under way
    download.to_file(tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD and download.verified
    assert [(r["range"], r["if_range"]) for r in app.requests] == [
        (None, None),
        ("bytes=500000-", '"v1"'),
        ("bytes=800000-", '"v1"'),
    ]
    assert leftovers(tmp_path) == ["f.bin"]


def test_too_many_cuts_give_up_without_a_file(
    faulty_server: Server, http: HttpClient, tmp_path: Path
) -> None:
    app, url = faulty_server
    app.cuts = [1000, 1000, 1000]
    with pytest.raises(APIConnectionError):
        Download(edr_for(url), http=http, max_resumes=2).to_file(tmp_path / "f.bin")
    assert len(app.requests) == 3 and leftovers(tmp_path) == []


def test_200_to_a_range_restarts_the_file(faulty_server: Server, http: HttpClient, tmp_path: Path) -> None:
    app, url = faulty_server
    app.cuts = [400_000]
    app.ignore_range = True
    seen: list[int] = []
    download = Download(
        edr_for(url), http=http, chunk_size=50_000, progress=lambda done, total: seen.append(done)
    )
    download.to_file(tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD and download.verified
    assert app.requests[1]["range"] == "bytes=400000-"
    restart = seen.index(0, 1)
    assert seen[restart - 1] == 400_000 and seen[-1] == len(PAYLOAD)


def test_200_to_a_range_in_an_iterator_skips_what_was_given(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    app.cuts = [123_457]
    app.ignore_range = True
    download = Download(edr_for(url), http=http, chunk_size=50_000)
    assert b"".join(download.iter_bytes()) == PAYLOAD
    assert download.verified and len(app.requests) == 2


def test_changed_resource_in_an_iterator_is_an_error(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    app.cuts = [100_000]
    app.ignore_range = True
    app.replace_after = 1
    app.replacement = b"x" * len(PAYLOAD)
    with pytest.raises(TransferError, match="changed during the download"):
        b"".join(Download(edr_for(url), http=http, chunk_size=50_000).iter_bytes())


def test_wrong_digest_leaves_no_file(faulty_server: Server, http: HttpClient, tmp_path: Path) -> None:
    app, url = faulty_server
    wrong = b64_sha256(b"something else")
    app.headers = {"ETag": '"v1"', "Repr-Digest": f"sha-256=:{wrong}:"}
    with pytest.raises(ChecksumMismatchError) as caught:
        Download(edr_for(url), http=http).to_file(tmp_path / "f.bin")
    assert caught.value.expected == wrong and caught.value.actual == b64_sha256(PAYLOAD)
    assert caught.value.algorithm == "sha-256" and leftovers(tmp_path) == []


def test_wrong_digest_in_an_iterator_raises_after_the_last_chunk(
    faulty_server: Server, http: HttpClient
) -> None:
    app, url = faulty_server
    app.headers = {"Repr-Digest": "sha-256=:" + b64_sha256(b"other") + ":"}
    received = bytearray()
    with pytest.raises(ChecksumMismatchError):
        for chunk in Download(edr_for(url), http=http).iter_bytes():
            received += chunk
    assert bytes(received) == PAYLOAD


def test_verify_false_skips_the_check(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    app.headers = {"Repr-Digest": "sha-256=:" + b64_sha256(b"other") + ":"}
    download = Download(edr_for(url), http=http, verify=False)
    assert download.read_bytes() == PAYLOAD and download.verified is False and download.sha256 is None
    assert download.checksum == "sha-256=:" + b64_sha256(b"other") + ":"


@pytest.mark.parametrize(
    ("headers", "verified"),
    [
        ({"Digest": "SHA-256=" + b64_sha256(PAYLOAD)}, True),
        (
            {"Repr-Digest": "sha-512=:" + base64.b64encode(hashlib.sha512(PAYLOAD).digest()).decode() + ":"},
            True,
        ),
        ({}, False),
    ],
)
def test_legacy_sha512_and_missing_digests(
    faulty_server: Server, http: HttpClient, headers: dict[str, str], verified: bool
) -> None:
    app, url = faulty_server
    app.headers = headers
    download = Download(edr_for(url), http=http)
    assert download.read_bytes() == PAYLOAD
    assert download.verified is verified and download.sha256 == hashlib.sha256(PAYLOAD).hexdigest()


def test_wrong_sha512_is_caught(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    app.headers = {
        "Repr-Digest": "sha-512=:" + base64.b64encode(hashlib.sha512(b"x").digest()).decode() + ":"
    }
    with pytest.raises(ChecksumMismatchError) as caught:
        Download(edr_for(url), http=http).read_bytes()
    assert caught.value.algorithm == "sha-512"


def test_416_on_resume_is_an_error(faulty_server: Server, http: HttpClient, tmp_path: Path) -> None:
    app, url = faulty_server
    app.cuts = [1000]
    app.range_status = 416
    with pytest.raises(TransferError, match="cannot serve bytes=1000-"):
        Download(edr_for(url), http=http, chunk_size=1000).to_file(tmp_path / "f.bin")
    assert leftovers(tmp_path) == []


def test_range_answer_at_the_wrong_offset_is_an_error(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    app.cuts = [1000]
    app.content_range_shift = 5
    with pytest.raises(TransferError, match="from byte 1000"):
        Download(edr_for(url), http=http, chunk_size=1000).read_bytes()


def test_exception_mid_download_leaves_no_partial_file(
    faulty_server: Server, http: HttpClient, tmp_path: Path
) -> None:
    _, url = faulty_server
    (tmp_path / "f.bin").write_bytes(b"previous version")

    def explode(done: int, total: int | None) -> None:
        if done > 300_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Download(edr_for(url), http=http, progress=explode).to_file(tmp_path / "f.bin", overwrite=True)
    assert leftovers(tmp_path) == ["f.bin"] and (tmp_path / "f.bin").read_bytes() == b"previous version"
    Download(edr_for(url), http=http).to_file(tmp_path / "f.bin", overwrite=True)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD and leftovers(tmp_path) == ["f.bin"]


def test_existing_file_needs_overwrite(faulty_server: Server, http: HttpClient, tmp_path: Path) -> None:
    app, url = faulty_server
    (tmp_path / "f.bin").write_bytes(b"keep")
    with pytest.raises(ConfigurationError, match="overwrite=True"):
        Download(edr_for(url), http=http).to_file(tmp_path / "f.bin")
    with pytest.raises(ConfigurationError, match="does not exist"):
        Download(edr_for(url), http=http).to_file(tmp_path / "missing" / "f.bin")
    assert app.requests == [] and (tmp_path / "f.bin").read_bytes() == b"keep"


def test_401_refreshes_the_edr_once(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    calls: list[int] = []

    def refresh() -> EndpointDataReference:
        calls.append(1)
        return edr_for(url, token="good")

    assert Download(edr_for(url, token="old"), http=http, refresh_edr=refresh).read_bytes() == PAYLOAD
    assert calls == [1] and [r["authorization"] for r in app.requests] == ["Bearer old", "Bearer good"]


def test_401_on_resume_refreshes_too(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    app.cuts = [1000]
    app.rotate_after, app.rotate_to = 1, "Bearer fresh"  # the first token "expires" after one request
    calls: list[int] = []

    def refresh() -> EndpointDataReference:
        calls.append(1)
        return edr_for(url, token="fresh")

    assert Download(edr_for(url), http=http, chunk_size=1000, refresh_edr=refresh).read_bytes() == PAYLOAD
    assert calls == [1]
    assert [(r["authorization"], r["range"]) for r in app.requests] == [
        ("Bearer good", None),
        ("Bearer good", "bytes=1000-"),
        ("Bearer fresh", "bytes=1000-"),
    ]


def test_raw_authorization_when_auth_type_is_not_bearer(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    app.token = "raw-token"
    assert Download(edr_for(url, token="raw-token", auth_type=None), http=http).read_bytes() == PAYLOAD
    app.token = "Bearer already"
    assert Download(edr_for(url, token="Bearer already"), http=http).read_bytes() == PAYLOAD


def test_close_stops_the_iterator(faulty_server: Server, http: HttpClient) -> None:
    _, url = faulty_server
    with Download(edr_for(url), http=http, chunk_size=1000) as download:
        chunks = download.iter_bytes()
        assert len(next(chunks)) == 1000
    assert next(chunks, None) is None
    assert "good" not in repr(download) and url in repr(download)


def test_to_pandas_media_types(
    faulty_server: Server, http: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, url = faulty_server
    app.payload = CSV
    app.media_type = "text/csv; charset=utf-8"
    assert Download(edr_for(url), http=http).to_pandas()["hba1c"].tolist() == [7.1, 8.4, 6.9]
    app.media_type = "application/octet-stream"
    with pytest.raises(ConfigurationError, match="media_type="):
        Download(edr_for(url), http=http).to_pandas()
    assert len(Download(edr_for(url), http=http).to_pandas(media_type="text/csv")) == 3
    with pytest.raises(DecodeError, match="line 1"):
        Download(edr_for(url), http=http).to_pandas(media_type="application/x-ndjson")
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ConfigurationError, match=r"d4h-sdk\[pandas\]"):
        Download(edr_for(url), http=http).to_pandas(media_type="text/csv")


def test_invalid_options() -> None:
    with HttpClient() as http:
        edr = edr_for("http://127.0.0.1:9/data")
        for kwargs in ({"max_bytes": 0}, {"chunk_size": 0}, {"max_resumes": -1}):
            with pytest.raises(ConfigurationError):
                Download(edr, http=http, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="http"):
            Download(edr_for("ftp://host/data"), http=http)


def test_to_pandas_json_bundle(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    app.payload = (
        b'{"resourceType":"Bundle","type":"collection","entry":['
        b'{"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Doe"}]}},'
        b'{"resource":{"resourceType":"Patient","id":"p2","address":{"country":"FR"}}}]}'
    )
    app.media_type = "application/fhir+json"
    frame = Download(edr_for(url), http=http).to_pandas()
    assert list(frame["id"]) == ["p1", "p2"] and frame.loc[1, "address.country"] == "FR"
    app.payload = b"[{"
    with pytest.raises(DecodeError, match="not valid JSON"):
        Download(edr_for(url), http=http).to_pandas(media_type="application/json")


def test_unknown_length_is_learned_and_capped_mid_body(faulty_server: Server, http: HttpClient) -> None:
    app, url = faulty_server
    app.send_length = False
    seen: list[int | None] = []
    download = Download(edr_for(url), http=http, progress=lambda done, total: seen.append(total))
    assert download.read_bytes() == PAYLOAD
    assert download.size == len(PAYLOAD) and set(seen) == {None} and download.verified
    with pytest.raises(ResponseTooLargeError):
        Download(edr_for(url), http=http, max_bytes=100_000, chunk_size=65536).read_bytes()


def test_unreachable_data_plane_is_not_resumed(http: HttpClient, tmp_path: Path) -> None:
    with pytest.raises(APIConnectionError):
        Download(edr_for("http://127.0.0.1:9/data/x"), http=http).to_file(tmp_path / "f.bin")
    with pytest.raises(ConfigurationError, match="directory"):
        Download(edr_for("http://127.0.0.1:9/data/x"), http=http).to_file(tmp_path)
    assert leftovers(tmp_path) == []
