"""Benchmark: download from the sandbox data plane with ``HttpClient.stream`` vs ``curl`` (DESIGN.md §6).

A data plane serving a generated N MiB stream (known SHA-256, 1 MiB chunks) runs in a child process on
127.0.0.1, so that neither client shares an interpreter (or a GIL) with the server. Rounds alternate:

* SDK: ``HttpClient.stream("GET", url, headers={"Authorization": ..., "Accept-Encoding": "identity"})`` and
  ``iter_bytes(chunk)``, counting bytes; a second SDK line also hashes the body with SHA-256 and checks it
  against the ``Repr-Digest`` header (what a verifying downloader does);
* curl: ``curl -s -o /dev/null`` of the same URL, the bearer header read from stdin (``-H @-``), timed by
  curl itself (``%{time_total}``, connect to last byte) so that its process start-up is not counted; the
  SDK is timed likewise from the request to the last byte.

* ``Download.to_file`` (d4h_sdk.transfer): the full download path: EDR credential, SHA-256 of every byte
  checked against ``Repr-Digest``, a temporary file in ``--dir``, fsync, rename; timed from the call to its
  return (fsync included); next to it ``curl -o <file>`` into the same directory (no fsync);
* peak RSS growth of ``Download.to_file``, measured in a fresh child process (clean baseline): ``VmHWM``
  after the call minus ``VmRSS`` just before it (``/proc/self/status``; ``ru_maxrss`` elsewhere).

Medians of the per-round throughputs are reported, with the ratios SDK / curl. Targets (DESIGN.md §6): the
SDK at >= 90 % of curl's loopback throughput; memory flat (< 64 MiB growth).

A ``Download.iter_bytes`` line (verified, bytes discarded) isolates the download engine from the disk.

Usage: ``python benchmarks/download.py [--quick] [--mib N] [--rounds N] [--chunk BYTES] [--dir DIR]
[--strict]`` (``--quick``: 32 MiB; default 256 MiB; ``--mib 1024`` for the 1 GiB figure).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TARGET_RATIO = 0.90
TARGET_RSS_MIB = 64
MIB = 1024 * 1024
PROVIDER = "did:web:provider.bench"
CONSUMER = "did:web:consumer.bench"


def _block() -> bytes:
    return hashlib.sha256(b"bench").digest() * (MIB // 32)


def _stream(size: int) -> Iterator[bytes]:
    block = _block()
    for offset in range(0, size, MIB):
        yield block[: min(MIB, size - offset)]


def _sha256(size: int) -> bytes:
    digest = hashlib.sha256()
    for chunk in _stream(size):
        digest.update(chunk)
    return digest.digest()


def serve(size: int) -> None:
    """Child process: serve the stream, print ``url token`` on one line, stop when stdin closes."""
    from d4h_sdk.identity.signing import generate_key
    from d4h_sdk.sandbox._dataplane import DataPlane, StreamSource
    from d4h_sdk.sandbox._edr import EdrTokenIssuer, EdrTokenValidator, RevocationList
    from d4h_sdk.sandbox._http_server import LoopbackServer

    signer = generate_key("P-256", key_id=PROVIDER + "#edr")
    revocations = RevocationList()
    issuer = EdrTokenIssuer(signer, issuer_did=PROVIDER, lifetime_s=3600, revocations=revocations)
    validator = EdrTokenValidator(signer.public_jwk(), issuer_did=PROVIDER, revocations=revocations)
    source = StreamSource(lambda: _stream(size), size=size, sha256=_sha256(size))
    app = DataPlane(validator, lambda transfer_id: source if transfer_id == "bench" else None)
    with LoopbackServer(app, name="bench") as server:
        token = issuer.issue(transfer_id="bench", agreement_id="a", dataset_id="d", audience=CONSUMER).token
        print(server.url + DataPlane.path_for("bench"), token, flush=True)
        sys.stdin.read()


def _sdk_round(url: str, token: str, size: int, chunk: int, verify: bool) -> float:
    from d4h_sdk._http import HttpClient

    headers = {"Authorization": "Bearer " + token, "Accept-Encoding": "identity"}
    with HttpClient(timeout=60, max_retries=0) as http:
        started = time.perf_counter()
        with http.stream("GET", url, headers=headers) as resp:
            received = 0
            if verify:
                digest = hashlib.sha256()
                for part in resp.iter_bytes(chunk):
                    digest.update(part)
                    received += len(part)
                expected = "sha-256=:" + base64.b64encode(digest.digest()).decode() + ":"
                if resp.headers.get("Repr-Digest") != expected:
                    raise SystemExit("digest mismatch")
            else:
                for part in resp.iter_bytes(chunk):
                    received += len(part)
        elapsed = time.perf_counter() - started
    if received != size:
        raise SystemExit(f"SDK received {received} of {size} bytes")
    return size / elapsed / MIB


def _download_round(url: str, token: str, size: int, chunk: int, directory: Path) -> float:
    """``Download.to_file`` into ``directory`` (verified against Repr-Digest, fsynced, renamed)."""
    from d4h_sdk._http import HttpClient
    from d4h_sdk.models import EndpointDataReference
    from d4h_sdk.transfer import Download

    edr = EndpointDataReference(endpoint=url, authorization=token, auth_type="bearer")
    target = directory / "download.bin"
    with HttpClient(timeout=60, max_retries=0) as http:
        started = time.perf_counter()
        with Download(edr, http=http, chunk_size=chunk) as download:
            download.to_file(target, overwrite=True)
        elapsed = time.perf_counter() - started
    received = target.stat().st_size
    target.unlink()
    if received != size or not download.verified:
        raise SystemExit(f"Download received {received} of {size} bytes (verified: {download.verified})")
    return size / elapsed / MIB


def _iter_round(url: str, token: str, size: int, chunk: int, verify: bool = True) -> float:
    """``Download.iter_bytes`` discarding the bytes: the download engine without the file."""
    from d4h_sdk._http import HttpClient
    from d4h_sdk.models import EndpointDataReference
    from d4h_sdk.transfer import Download

    edr = EndpointDataReference(endpoint=url, authorization=token, auth_type="bearer")
    received = 0
    with HttpClient(timeout=60, max_retries=0) as http:
        started = time.perf_counter()
        with Download(edr, http=http, chunk_size=chunk, verify=verify) as download:
            for part in download.iter_bytes():
                received += len(part)
        elapsed = time.perf_counter() - started
    if received != size or download.verified is not verify:
        raise SystemExit(f"Download received {received} of {size} bytes (verified: {download.verified})")
    return size / elapsed / MIB


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_child(url: str, token: str, size: int, chunk: int, directory: str) -> None:
    """Child process: print the peak RSS growth (KiB) of one ``Download.to_file`` call, then the baseline."""
    from d4h_sdk._http import HttpClient
    from d4h_sdk.models import EndpointDataReference
    from d4h_sdk.transfer import Download

    edr = EndpointDataReference(endpoint=url, authorization=token, auth_type="bearer")
    target = Path(directory) / "rss.bin"
    with HttpClient(timeout=60, max_retries=0) as http:
        download = Download(edr, http=http, chunk_size=chunk)
        before = _status_kib("VmRSS")
        if before is None:  # no /proc: ru_maxrss (KiB on Linux, bytes on macOS) before and after
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        download.to_file(target, overwrite=True)
        after = _status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    target.unlink()
    print(after - before, before, flush=True)


def _rss_growth(url: str, token: str, size: int, chunk: int, directory: Path) -> tuple[float, float]:
    """Peak RSS growth and baseline RSS (MiB) of ``Download.to_file`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, __file__, "--rss-child", url, str(size), str(chunk), str(directory)],
        input=token,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"RSS child failed: {done.stderr.strip()[-500:]}")
    growth, baseline = done.stdout.split()
    return int(growth) / 1024, int(baseline) / 1024


def _curl_round(curl: str, url: str, token: str, size: int, output: str = os.devnull) -> float:
    """curl's own transfer time (``%{time_total}``: connect to last byte), not the process start-up."""
    done = subprocess.run(
        [curl, "-s", "-f", "-o", output, "-H", "@-", "-w", "%{size_download} %{time_total}", url],
        input=f"Authorization: Bearer {token}\n",
        capture_output=True,
        text=True,
        check=False,
    )
    received, _, elapsed = (done.stdout or "0 0").partition(" ")
    if done.returncode != 0 or int(received) != size:
        raise SystemExit(f"curl failed (exit {done.returncode}, {received} bytes)")
    if output != os.devnull:
        os.unlink(output)
    return size / float(elapsed) / MIB


def main() -> int:
    """Run the benchmark and print one line per client."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="32 MiB instead of 256 MiB")
    parser.add_argument("--mib", type=int, default=None, help="download size in MiB")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=1024 * 1024, help="iter_bytes chunk size")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where Download.to_file writes (default: a temp dir)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when below the target")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--rss-child", nargs=4, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    if args.rss_child is not None:
        url, size_text, chunk_text, directory = args.rss_child
        rss_child(url, sys.stdin.read().strip(), int(size_text), int(chunk_text), directory)
        return 0
    size = (args.mib or (32 if args.quick else 256)) * MIB
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(size)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    workdir = tempfile.TemporaryDirectory(prefix="d4h-bench-", dir=args.dir)
    directory = Path(workdir.name)
    try:
        assert child.stdout is not None
        url, token = child.stdout.readline().split()
        curl = shutil.which("curl")
        _sdk_round(url, token, size, args.chunk, False)  # warm-up
        sdk, sdk_verify, full, engine, engine_raw, ref, ref_file = [], [], [], [], [], [], []
        for _ in range(args.rounds):
            sdk.append(_sdk_round(url, token, size, args.chunk, False))
            sdk_verify.append(_sdk_round(url, token, size, args.chunk, True))
            full.append(_download_round(url, token, size, args.chunk, directory))
            engine.append(_iter_round(url, token, size, args.chunk))
            engine_raw.append(_iter_round(url, token, size, args.chunk, verify=False))
            if curl:
                ref.append(_curl_round(curl, url, token, size))
                ref_file.append(_curl_round(curl, url, token, size, str(directory / "curl.bin")))
        rss_growth, rss_base = _rss_growth(url, token, size, args.chunk, directory)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)
        workdir.cleanup()
    mib = size // MIB
    print(
        f"download {mib} MiB from the sandbox data plane (loopback, server in a child process), "
        f"{args.rounds} rounds, medians"
    )
    sdk_med, verify_med = statistics.median(sdk), statistics.median(sdk_verify)
    full_med, engine_med = statistics.median(full), statistics.median(engine)
    rss_ok = rss_growth < TARGET_RSS_MIB
    print(f"  HttpClient.stream (chunk {args.chunk}):        {sdk_med:8.1f} MiB/s")
    print(f"  HttpClient.stream + SHA-256 + Repr-Digest:  {verify_med:8.1f} MiB/s")
    raw_med = statistics.median(engine_raw)
    print(f"  Download.iter_bytes (verify=False, no file):{raw_med:8.1f} MiB/s")
    print(f"  Download.iter_bytes (verify, no file):      {engine_med:8.1f} MiB/s")
    print(f"  Download.to_file (verify, fsync, rename):   {full_med:8.1f} MiB/s")
    print(
        f"  Download.to_file peak RSS growth: {rss_growth:.1f} MiB (baseline {rss_base:.1f} MiB); "
        f"target < {TARGET_RSS_MIB} MiB: {'met' if rss_ok else 'NOT met'}"
    )
    if not ref:
        print("  curl: not found; no ratio")
        return 1 if args.strict and not rss_ok else 0
    curl_med, curl_file_med = statistics.median(ref), statistics.median(ref_file)
    ratio, full_ratio = sdk_med / curl_med, full_med / curl_med
    print(f"  curl -s -o /dev/null:                       {curl_med:8.1f} MiB/s")
    print(f"  curl -s -o <file> (same directory):         {curl_file_med:8.1f} MiB/s")
    print(
        f"  ratio HttpClient.stream / curl: {ratio:.2f} (with SHA-256: {verify_med / curl_med:.2f}); "
        f"target >= {TARGET_RATIO:.2f}: {'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )
    print(
        f"  ratio Download.to_file / curl -o /dev/null: {full_ratio:.2f}; "
        f"/ curl -o <file>: {full_med / curl_file_med:.2f}; "
        f"Download.iter_bytes / curl -o /dev/null: {engine_med / curl_med:.2f} "
        f"(verify=False: {raw_med / curl_med:.2f}); "
        f"target >= {TARGET_RATIO:.2f}: {'met' if full_ratio >= TARGET_RATIO else 'NOT met'}"
    )
    return 1 if args.strict and (ratio < TARGET_RATIO or full_ratio < TARGET_RATIO or not rss_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
