"""Benchmark: download from the sandbox data plane with ``HttpClient.stream`` vs ``curl`` (DESIGN.md §6).

A data plane serving a generated N MiB stream (known SHA-256, 1 MiB chunks) runs in a child process on
127.0.0.1, so that neither client shares an interpreter (or a GIL) with the server. Rounds alternate:

* SDK: ``HttpClient.stream("GET", url, headers={"Authorization": ..., "Accept-Encoding": "identity"})`` and
  ``iter_bytes(chunk)``, counting bytes; a second SDK line also hashes the body with SHA-256 and checks it
  against the ``Repr-Digest`` header (what a verifying downloader does);
* curl: ``curl -s -o /dev/null`` of the same URL, the bearer header read from stdin (``-H @-``), timed by
  curl itself (``%{time_total}``, connect to last byte) so that its process start-up is not counted; the
  SDK is timed likewise from the request to the last byte.

Medians of the per-round throughputs are reported, with the ratio SDK / curl. Target (DESIGN.md §6): the
SDK at >= 90 % of curl's loopback throughput.

Usage: ``python benchmarks/download.py [--quick] [--mib N] [--rounds N] [--chunk BYTES] [--strict]``
(``--quick``: 32 MiB; default 256 MiB).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

TARGET_RATIO = 0.90
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


def _curl_round(curl: str, url: str, token: str, size: int) -> float:
    """curl's own transfer time (``%{time_total}``: connect to last byte), not the process start-up."""
    done = subprocess.run(
        [curl, "-s", "-f", "-o", os.devnull, "-H", "@-", "-w", "%{size_download} %{time_total}", url],
        input=f"Authorization: Bearer {token}\n",
        capture_output=True,
        text=True,
        check=False,
    )
    received, _, elapsed = (done.stdout or "0 0").partition(" ")
    if done.returncode != 0 or int(received) != size:
        raise SystemExit(f"curl failed (exit {done.returncode}, {received} bytes)")
    return size / float(elapsed) / MIB


def main() -> int:
    """Run the benchmark and print one line per client."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="32 MiB instead of 256 MiB")
    parser.add_argument("--mib", type=int, default=None, help="download size in MiB")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=1024 * 1024, help="iter_bytes chunk size")
    parser.add_argument("--strict", action="store_true", help="exit 1 when below the target")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    size = (args.mib or (32 if args.quick else 256)) * MIB
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(size)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        url, token = child.stdout.readline().split()
        curl = shutil.which("curl")
        _sdk_round(url, token, size, args.chunk, False)  # warm-up
        sdk, sdk_verify, ref = [], [], []
        for _ in range(args.rounds):
            sdk.append(_sdk_round(url, token, size, args.chunk, False))
            sdk_verify.append(_sdk_round(url, token, size, args.chunk, True))
            if curl:
                ref.append(_curl_round(curl, url, token, size))
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)
    mib = size // MIB
    print(
        f"download {mib} MiB from the sandbox data plane (loopback, server in a child process), "
        f"{args.rounds} rounds, medians"
    )
    sdk_med, verify_med = statistics.median(sdk), statistics.median(sdk_verify)
    print(f"  HttpClient.stream (chunk {args.chunk}):        {sdk_med:8.1f} MiB/s")
    print(f"  HttpClient.stream + SHA-256 + Repr-Digest:  {verify_med:8.1f} MiB/s")
    if not ref:
        print("  curl: not found; no ratio")
        return 0
    curl_med = statistics.median(ref)
    ratio = sdk_med / curl_med
    print(f"  curl -s -o /dev/null:                       {curl_med:8.1f} MiB/s")
    print(
        f"  ratio SDK / curl: {ratio:.2f} (with SHA-256: {verify_med / curl_med:.2f}); "
        f"target >= {TARGET_RATIO:.2f}: {'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )
    return 1 if args.strict and ratio < TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
