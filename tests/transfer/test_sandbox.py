"""Download against the sandbox data plane over real HTTP: sinks, digest, gzip, EDR refresh, faults."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import AuthenticationError, PermissionDeniedError, ResponseTooLargeError
from d4h_sdk.models import EndpointDataReference
from d4h_sdk.sandbox._dataplane import digest_header
from d4h_sdk.sandbox._faults import DropConnections, FaultPlan, SlowBody
from d4h_sdk.transfer import Download

from .conftest import PAYLOAD, Plane, leftovers

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")


def test_to_file_verifies_and_renames(plane: Plane, http: HttpClient, tmp_path: Path) -> None:
    download = Download(plane.edr("tp-bin"), http=http, chunk_size=100_000)
    target = download.to_file(tmp_path / "data.bin")
    assert target == tmp_path / "data.bin" and target.read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == ["data.bin"]
    assert download.verified is True
    assert download.checksum == digest_header(hashlib.sha256(PAYLOAD).digest())
    assert download.sha256 == hashlib.sha256(PAYLOAD).hexdigest()
    assert download.size == len(PAYLOAD) and download.media_type == "application/octet-stream"
    sent = plane.recorder.requests
    assert [(r["method"], r["accept_encoding"], r["range"]) for r in sent] == [("GET", "identity", None)]
    assert (sent[0]["authorization"] or "").startswith("Bearer ey")


def test_read_bytes_and_iter_bytes(plane: Plane, http: HttpClient) -> None:
    download = Download(plane.edr("tp-bin"), http=http, chunk_size=65536)
    assert download.read_bytes() == PAYLOAD
    chunks = list(download.iter_bytes())
    assert b"".join(chunks) == PAYLOAD and max(map(len, chunks)) <= 65536
    assert download.verified


def test_gzip_takes_the_digest_from_head(plane: Plane, http: HttpClient) -> None:
    download = Download(plane.edr("tp-bin"), http=http, accept_gzip=True)
    assert download.read_bytes() == PAYLOAD
    assert download.verified and download.size == len(PAYLOAD)
    sent = [(r["method"], r["accept_encoding"]) for r in plane.recorder.requests]
    assert sent == [("HEAD", "identity"), ("GET", "gzip")]


def test_progress_reports_every_chunk_up_to_the_total(plane: Plane, http: HttpClient) -> None:
    seen: list[tuple[int, int | None]] = []
    Download(
        plane.edr("tp-bin"), http=http, chunk_size=200_000, progress=lambda d, t: seen.append((d, t))
    ).read_bytes()
    assert seen[0] == (0, len(PAYLOAD)) and seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    done = [d for d, _ in seen]
    assert done == sorted(done) and len(seen) >= 1 + len(PAYLOAD) // 200_000


def test_size_cap_before_reading(plane: Plane, http: HttpClient, tmp_path: Path) -> None:
    download = Download(plane.edr("tp-bin"), http=http, max_bytes=len(PAYLOAD) - 1)
    with pytest.raises(ResponseTooLargeError, match="exceeds the limit"):
        download.to_file(tmp_path / "big.bin")
    assert leftovers(tmp_path) == []
    with pytest.raises(ResponseTooLargeError):
        download.read_bytes()
    assert Download(plane.edr("tp-bin"), http=http, max_bytes=len(PAYLOAD)).read_bytes() == PAYLOAD


def test_refused_token_calls_refresh_edr_once(plane: Plane, http: HttpClient) -> None:
    calls: list[int] = []

    def refresh() -> EndpointDataReference:
        calls.append(1)
        return plane.edr("tp-bin")

    download = Download(plane.edr("tp-bin", token="expired.or.bad"), http=http, refresh_edr=refresh)
    assert download.read_bytes() == PAYLOAD
    assert calls == [1]
    assert [r["authorization"] == "Bearer expired.or.bad" for r in plane.recorder.requests] == [True, False]


def test_refresh_is_not_repeated(plane: Plane, http: HttpClient) -> None:
    calls: list[int] = []

    def refresh() -> EndpointDataReference:
        calls.append(1)
        return plane.edr("tp-bin", token="still.bad.token")

    with pytest.raises(AuthenticationError) as caught:
        Download(plane.edr("tp-bin", token="bad.bad.bad"), http=http, refresh_edr=refresh).read_bytes()
    assert calls == [1] and "still.bad.token" not in str(caught.value)


def test_token_for_another_transfer_is_403(plane: Plane, http: HttpClient) -> None:
    token = plane.edr("tp-csv").authorization
    with pytest.raises(PermissionDeniedError):
        Download(plane.edr("tp-bin", token=token), http=http).read_bytes()


def test_to_pandas_csv(plane: Plane, http: HttpClient) -> None:
    frame = Download(plane.edr("tp-csv"), http=http).to_pandas()
    assert list(frame.columns) == ["patient_id", "diabetes_type", "hba1c"]
    assert frame.groupby("diabetes_type")["hba1c"].mean().round(2).to_dict() == {
        "type 1": 7.1,
        "type 2": 7.65,
    }


def test_to_pandas_fhir_ndjson(plane: Plane, http: HttpClient) -> None:
    download = Download(plane.edr("tp-fhir"), http=http)
    frame = download.to_pandas()
    assert download.media_type == "application/fhir+ndjson" and download.verified
    assert list(frame["resourceType"]) == ["Patient", "Observation"]
    assert frame.loc[1, "valueQuantity.value"] == 7.1 and frame.loc[1, "subject.reference"] == "Patient/p1"


def test_dropped_connection_is_retried_by_the_client(plane: Plane, tmp_path: Path) -> None:
    plane.injector.plan = FaultPlan(drops=(DropConnections("/data/*", count=1),))
    with HttpClient(max_retries=2, timeout=10, sleep=lambda s: None) as http:
        Download(plane.edr("tp-bin"), http=http).to_file(tmp_path / "d.bin")
    assert (tmp_path / "d.bin").read_bytes() == PAYLOAD
    assert plane.injector.hits["drop"] == 1 and len(plane.recorder.requests) == 2


def test_slow_body_streams_with_progress(plane: Plane, http: HttpClient) -> None:
    plane.injector.plan = FaultPlan(slow_bodies=(SlowBody("/data/*", chunk_bytes=128 * 1024, delay_s=0.001),))
    seen: list[int] = []
    data = Download(
        plane.edr("tp-bin"), http=http, chunk_size=128 * 1024, progress=lambda d, t: seen.append(d)
    ).read_bytes()
    assert data == PAYLOAD and plane.injector.hits["slow"] == 1
    assert seen[-1] == len(PAYLOAD) and len(seen) > 5
