"""Benchmark: the cost of ``import d4h_sdk`` in a fresh process (DESIGN.md §6).

Each run starts a new interpreter that measures, around the import, the wall time (``time.perf_counter``)
and the peak RSS (``VmHWM`` from ``/proc/self/status``; ``ru_maxrss`` elsewhere), and lists the heavy
modules it pulled in.
Medians over ``--runs`` runs (7 by default), for ``import d4h_sdk`` and for the baseline
``import requests, pydantic, tenacity`` plus one small model. Targets: <= 150 ms and <= 50 MB RSS; pyld,
rdflib and jwcrypto must not be imported by ``import d4h_sdk``.

Usage: ``python benchmarks/import_cost.py [--runs N] [--strict]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TARGET_MS = 150.0
TARGET_RSS_MB = 50.0
FORBIDDEN = ("pyld", "rdflib", "jwcrypto")
WATCHED = (*FORBIDDEN, "requests", "tenacity", "pydantic", "urllib3")

# Peak RSS in KiB. On Linux, ru_maxrss survives fork+exec (a child started by a big parent reports the
# parent's peak), so VmHWM of the new address space is read from /proc when it exists.
_PROBE = """
import json, resource, sys, time
def peak_kib():
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]), "VmHWM"
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), "ru_maxrss"
rss_before, source = peak_kib()
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
rss_after, source = peak_kib()
watched = {watched!r}
print(json.dumps({{
    "ms": elapsed * 1000.0,
    "rss_before_mb": rss_before / 1024.0,
    "rss_after_mb": rss_after / 1024.0,
    "rss_source": source,
    "imported": [name for name in watched if name in sys.modules],
}}))
"""

SDK_BODY = "import d4h_sdk"
BASELINE_BODY = """
import requests, pydantic, tenacity
class _Probe(pydantic.BaseModel):
    id: str
    title: str | None = None
    keywords: tuple[str, ...] = ()
_Probe(id="urn:uuid:1", keywords=("a",))
"""
FIRST_USE_BODY = """
import d4h_sdk
from d4h_sdk import wire
context = ["https://w3id.org/dspace/2025/1/context.jsonld"]
wire.decode({"@context": context, "@type": "Catalog", "@id": "urn:x"})
"""


def _probe(body: str) -> dict[str, Any]:
    code = _PROBE.format(body=body.strip(), watched=WATCHED)
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    after = statistics.median(sample["rss_after_mb"] for sample in samples)
    before = statistics.median(sample["rss_before_mb"] for sample in samples)
    return {
        "ms": statistics.median(sample["ms"] for sample in samples),
        "rss_mb": after,
        "rss_delta_mb": statistics.median(
            sample["rss_after_mb"] - sample["rss_before_mb"] for sample in samples
        ),
        "rss_interpreter_mb": before,
        "rss_source": samples[0]["rss_source"],
        "imported": sorted({name for sample in samples for name in sample["imported"]}),
        "samples_ms": [sample["ms"] for sample in samples],
    }


def measure(runs: int = 7) -> dict[str, Any]:
    """Measure ``import d4h_sdk``, the baseline and a first decode; ``runs`` fresh processes each."""
    sdk: list[dict[str, Any]] = []
    baseline: list[dict[str, Any]] = []
    first_use: list[dict[str, Any]] = []
    for _ in range(runs):
        sdk.append(_probe(SDK_BODY))
        baseline.append(_probe(BASELINE_BODY))
        first_use.append(_probe(FIRST_USE_BODY))
    return {
        "runs": runs,
        "sdk": _summary(sdk),
        "baseline": _summary(baseline),
        "first_use": _summary(first_use),
    }


def report(results: dict[str, Any]) -> list[str]:
    """Print the import-cost table; return the names of missed targets."""
    sdk, baseline = results["sdk"], results["baseline"]
    print(
        f"import cost, fresh process, medians of {results['runs']} runs (peak RSS from {sdk['rss_source']})"
    )
    print(f"{'':<44} {'ms':>8} {'RSS MB':>8} {'dRSS MB':>8}")
    rows = (
        ("import d4h_sdk", sdk),
        ("import requests, pydantic, tenacity + model", baseline),
        ("import d4h_sdk + first wire.decode (info)", results["first_use"]),
    )
    for label, row in rows:
        print(f"{label:<44} {row['ms']:>8.1f} {row['rss_mb']:>8.1f} {row['rss_delta_mb']:>8.1f}")
    print(
        f"ratio sdk/baseline: time {sdk['ms'] / baseline['ms']:.2f}, "
        f"RSS {sdk['rss_mb'] / baseline['rss_mb']:.2f}"
    )
    missed = []
    time_ok = sdk["ms"] <= TARGET_MS
    rss_ok = sdk["rss_mb"] <= TARGET_RSS_MB
    heavy = [name for name in FORBIDDEN if name in sdk["imported"]]
    print(f"import time {sdk['ms']:.1f} ms   target <= {TARGET_MS:g} ms   {'PASS' if time_ok else 'MISS'}")
    print(
        f"peak RSS    {sdk['rss_mb']:.1f} MB    "
        f"target <= {TARGET_RSS_MB:g} MB    {'PASS' if rss_ok else 'MISS'}"
    )
    print(
        f"modules loaded by import d4h_sdk: {', '.join(sdk['imported']) or 'none of ' + ', '.join(WATCHED)}"
    )
    print(
        f"heavy modules (must be absent: {', '.join(FORBIDDEN)}): "
        f"{'PASS' if not heavy else 'MISS ' + str(heavy)}"
    )
    if not time_ok:
        missed.append("import time")
    if not rss_ok:
        missed.append("import RSS")
    if heavy:
        missed.append("heavy modules imported: " + ", ".join(heavy))
    return missed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; see the module docstring."""
    parser = argparse.ArgumentParser(description="Cost of `import d4h_sdk` in a fresh process.")
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per measurement (default 7)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be positive")
    results = measure(args.runs)
    missed = report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if missed:
        print("targets missed: " + ", ".join(missed))
        return 1 if args.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
