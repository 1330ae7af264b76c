"""Benchmark: fetching and decoding a large DSP catalog, side by side with the baselines (DESIGN.md §6).

Measured in one run, medians over ``--runs`` runs (GC on):

(a)  ``requests.get`` + ``json.loads`` -> plain dicts (the baseline);
(b)  SDK fetch (``HttpClient().get``) + ``wire.decode`` -> typed ``Catalog``;
(b') as (b), and every ``Dataset`` materialised via ``list(catalog.datasets)``;
(c)  SDK JSON-LD fallback: ``wire.decode`` of the same catalog in EDC's own compaction, every dataset
     materialised;
(d)  naive pyld ``expand`` + ``compact`` (to the DSP 2025-1 context) of the EDC-shaped document, with an
     offline document loader — slow, so timed once.

Targets: (b)/(a) <= 1.2 and (d)/(c) >= 20. Then ``import_cost.py`` measures ``import d4h_sdk`` in fresh
processes. Exits non-zero only on a crash, or with ``--strict`` when a target is missed.

Usage: ``python benchmarks/catalog_decode.py [--quick] [--datasets N] [--runs N] [--json PATH] [--strict]``
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _catalog_gen  # noqa: E402
import import_cost  # noqa: E402

if TYPE_CHECKING:
    from d4h_sdk.models import Catalog

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGET_FETCH_RATIO = 1.2
TARGET_FALLBACK_SPEEDUP = 20.0


class _CatalogHandler(BaseHTTPRequestHandler):
    """Serves the server's ``body`` to every GET."""

    protocol_version = "HTTP/1.1"
    server: _CatalogServer

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        """Answer with the catalog."""
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        """Keep the benchmark output clean."""


class _CatalogServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, body: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _CatalogHandler)
        self.body = body


@contextmanager
def _serve(body: bytes) -> Iterator[str]:
    """Serve ``body`` at ``/catalog`` on a free loopback port; yield the URL."""
    server = _CatalogServer(body)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/catalog"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _offline_loader() -> tuple[Callable[..., Any], str]:
    """Return an offline pyld document loader: the SDK's, else a dict over the official fixture contexts."""
    try:
        jsonld_pkg = importlib.import_module("d4h_sdk.jsonld")
        loader_cls = getattr(jsonld_pkg, "DocumentLoader", None)
    except ImportError:
        loader_cls = None
    if loader_cls is not None:
        return loader_cls(), "d4h_sdk.jsonld.DocumentLoader()"
    fixtures = (
        Path(os.environ.get("D4H_SHARED_FIXTURES", REPO.parent / "shared" / "fixtures")) / "dsp" / "2025-1"
    )
    documents = {
        "https://w3id.org/dspace/2025/1/context.jsonld": json.loads(
            (fixtures / "context" / "context.jsonld").read_text(encoding="utf-8")
        ),
        "https://w3id.org/dspace/2025/1/odrl-profile.jsonld": json.loads(
            (fixtures / "context" / "odrl-profile.jsonld").read_text(encoding="utf-8")
        ),
    }

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url not in documents:
            raise LookupError(f"offline loader: {url} is not bundled")
        return {"contextUrl": None, "documentUrl": url, "document": documents[url]}

    return load, "dict loader over the fixture contexts"


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def run(datasets: int, runs: int) -> dict[str, Any]:
    """Generate, serve and measure; return the results as a JSON-ready dict."""
    import requests

    from d4h_sdk import models, wire
    from d4h_sdk._http import HttpClient

    def decode(payload: bytes) -> Catalog:
        return cast("Catalog", wire.decode(payload))

    dsp_body = json.dumps(_catalog_gen.dsp_2025_catalog(datasets), separators=(",", ":")).encode()
    edc_body = json.dumps(_catalog_gen.edc_catalog(datasets), separators=(",", ":")).encode()
    _, _, expected = _catalog_gen.records(datasets)
    expected_ids = [record.id for record in expected]
    print(
        f"catalog: {datasets} datasets, "
        f"DSP 2025-1 {len(dsp_body) / 1e6:.2f} MB, EDC {len(edc_body) / 1e6:.2f} MB"
    )

    samples: dict[str, list[float]] = {"a": [], "b": [], "b_prime": [], "c": [], "loads": [], "decode": []}
    with _serve(dsp_body) as url:
        # Warm-up (not timed): imports, first connections, lazy model building, and a correctness check.
        assert json.loads(requests.get(url, timeout=30).content)["@id"]
        with HttpClient() as client:
            warm = wire.decode(client.get(url).content)
        if not isinstance(warm, models.Catalog):
            raise SystemExit(f"fast path: decoded a {type(warm).__name__}, not a Catalog")
        got_ids = [dataset.id for dataset in warm.datasets]
        if got_ids != expected_ids:
            raise SystemExit("fast path: decoded dataset ids differ from the generated ones")
        fallback = wire.decode(edc_body)
        if not isinstance(fallback, models.Catalog):
            raise SystemExit(f"fallback: decoded a {type(fallback).__name__}, not a Catalog")
        if [dataset.id for dataset in fallback.datasets] != expected_ids:
            raise SystemExit("fallback: decoded dataset ids differ from the generated ones")
        del warm, fallback

        for index in range(runs):
            start = time.perf_counter()
            plain = json.loads(requests.get(url, timeout=30).content)
            samples["a"].append(time.perf_counter() - start)
            del plain

            start = time.perf_counter()
            with HttpClient() as client:
                catalog = decode(client.get(url).content)
            samples["b"].append(time.perf_counter() - start)
            del catalog

            start = time.perf_counter()
            with HttpClient() as client:
                catalog = decode(client.get(url).content)
            materialised = list(catalog.datasets)
            samples["b_prime"].append(time.perf_counter() - start)
            del catalog, materialised

            start = time.perf_counter()
            catalog = decode(edc_body)
            materialised = list(catalog.datasets)
            samples["c"].append(time.perf_counter() - start)
            del catalog, materialised

            # Breakdown without HTTP, for diagnosis: json.loads vs wire.decode of the same bytes.
            start = time.perf_counter()
            plain = json.loads(dsp_body)
            samples["loads"].append(time.perf_counter() - start)
            del plain
            start = time.perf_counter()
            catalog = decode(dsp_body)
            samples["decode"].append(time.perf_counter() - start)
            del catalog
            print(
                f"  run {index + 1}/{runs}: a {samples['a'][-1] * 1000:.0f} ms, "
                f"b {samples['b'][-1] * 1000:.0f} ms, "
                f"b' {samples['b_prime'][-1] * 1000:.0f} ms, c {samples['c'][-1] * 1000:.0f} ms",
                flush=True,
            )

    pyld_seconds, pyld_loader = _time_pyld(edc_body, datasets)
    medians = {key: _median_ms(values) for key, values in samples.items()}
    pyld_ms = pyld_seconds * 1000.0
    return {
        "datasets": datasets,
        "runs": runs,
        "dsp_bytes": len(dsp_body),
        "edc_bytes": len(edc_body),
        "median_ms": medians,
        "samples_ms": {key: [value * 1000.0 for value in values] for key, values in samples.items()},
        "pyld": {"ms": pyld_ms, "loader": pyld_loader},
        "ratios": {
            "b_over_a": medians["b"] / medians["a"],
            "b_prime_over_a": medians["b_prime"] / medians["a"],
            "d_over_c": pyld_ms / medians["c"],
            "decode_over_loads": medians["decode"] / medians["loads"],
        },
    }


def _time_pyld(body: bytes, datasets: int) -> tuple[float, str]:
    """Time pyld expand + compact (to the DSP 2025-1 context) of ``body`` once, from bytes."""
    from pyld import jsonld

    loader, loader_name = _offline_loader()
    options = {"documentLoader": loader}
    context = {"@context": [_catalog_gen.DSP_2025_CONTEXT]}
    print(f"  pyld expand + compact of {datasets} datasets (once) ...", flush=True)
    start = time.perf_counter()
    expanded = jsonld.expand(json.loads(body), options)
    compacted = jsonld.compact(expanded, context, options)
    elapsed = time.perf_counter() - start
    if not compacted:
        raise SystemExit("pyld produced an empty document")
    return elapsed, loader_name


def _flag(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(results: dict[str, Any], imports: dict[str, Any] | None) -> list[str]:
    """Print the results table; return the names of missed targets."""
    medians = results["median_ms"]
    ratios = results["ratios"]
    pyld = results["pyld"]
    missed = []
    print()
    print(f"Catalog of {results['datasets']} datasets, medians of {results['runs']} runs")
    print(f"{'measurement':<62} {'median ms':>10}")
    rows = [
        ("(a)  requests.get + json.loads -> dicts", medians["a"]),
        ("(b)  HttpClient().get + wire.decode -> Catalog", medians["b"]),
        ("(b') (b) + list(catalog.datasets)", medians["b_prime"]),
        ("(c)  wire.decode, EDC compaction (fallback) + list(datasets)", medians["c"]),
    ]
    for label, value in rows:
        print(f"{label:<62} {value:>10.1f}")
    print(f"{'(d)  pyld expand + compact, timed once':<62} {pyld['ms']:>10.1f}")
    print("breakdown, no HTTP:")
    print(f"{'     json.loads(bytes)':<62} {medians['loads']:>10.1f}")
    print(f"{'     wire.decode(bytes)':<62} {medians['decode']:>10.1f}")
    print()
    fetch_ok = ratios["b_over_a"] <= TARGET_FETCH_RATIO
    fallback_ok = ratios["d_over_c"] >= TARGET_FALLBACK_SPEEDUP
    print(f"(b)/(a)  = {ratios['b_over_a']:6.2f}   target <= {TARGET_FETCH_RATIO}   {_flag(fetch_ok)}")
    print(f"(b')/(a) = {ratios['b_prime_over_a']:6.2f}   (for information)")
    print(f"decode/loads = {ratios['decode_over_loads']:6.2f}   (for information, no HTTP)")
    print(
        f"(d)/(c)  = {ratios['d_over_c']:6.1f}   "
        f"target >= {TARGET_FALLBACK_SPEEDUP:g}    {_flag(fallback_ok)}"
    )
    if not fetch_ok:
        missed.append("fetch+decode (b)/(a)")
    if not fallback_ok:
        missed.append("fallback speed-up (d)/(c)")
    if imports is not None:
        print()
        missed.extend(import_cost.report(imports))
    return missed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 datasets, 1 run (a smoke test for CI)")
    parser.add_argument("--datasets", type=int, help="catalog size (default 10,000; 1,000 with --quick)")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 7; 1 with --quick)")
    parser.add_argument("--json", type=Path, help="where to write the results (default benchmarks/.out/...)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--skip-import-cost", action="store_true", help="do not run import_cost.py at the end"
    )
    args = parser.parse_args(argv)
    datasets = args.datasets or (1_000 if args.quick else 10_000)
    runs = args.runs or (1 if args.quick else 7)
    if datasets < 1 or runs < 1:
        parser.error("--datasets and --runs must be positive")

    results = run(datasets, runs)
    imports = None if args.skip_import_cost else import_cost.measure(runs=3 if args.quick else 7)
    missed = report(results, imports)

    out = args.json or HERE / ".out" / ("catalog_decode-quick.json" if args.quick else "catalog_decode.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "catalog_decode": results,
        "import_cost": imports,
        "missed": missed,
    }
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {out}")
    if missed:
        print("targets missed: " + ", ".join(missed))
        return 1 if args.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
