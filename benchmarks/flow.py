"""Benchmark: a consumer flow against the sandbox, per SDK backend, and the same flow by third-party clients.

The flow: catalog -> negotiate (research purpose) -> transfer (HTTP pull) -> download, as ``research-lab``
for the ``diabetes-sample`` dataset of one embedded sandbox. Side by side, in one run:

* ``d4h_sdk`` through the sandbox's EDC Management API facade (v3), as with a real EDC (``Session.edc``);
* ``d4h_sdk`` speaking DSP straight to the provider (``Session.direct`` with the participant's STS);
* ``edc-client`` (PyPI) through the same management facade, run in its own interpreter (a venv: it is no
  dependency of this project; ``--edc-client-python``), using its generated Management API v3 client;
* ``tractusx-sdk`` (PyPI; needs Python >= 3.12): reported as skipped, with the reason, when not available.

What is counted: the HTTP requests the client library itself sends (retries and redirects included), i.e.
for ``d4h_sdk`` every request of the session's HTTP clients (its ``event_hooks``: management or DSP client,
and the data-plane client), for ``edc-client`` every ``urllib3`` request of its process. Not counted: what
the EDC facade (or the provider) sends on the consumer's behalf (DSP messages, DCP token and presentation
exchanges, callbacks), and callbacks received by the direct DSP backend.

* first flow: a new session; requests and wall time from the catalog request to the last downloaded byte
  (after one untimed warm-up flow per SDK backend, so that imports and the sandbox's first checks are paid);
* repeat flow: another pull under the same contract (``session.transfers.pull(contract)``): with a cached
  EDR the SDK goes straight to the data plane (DESIGN.md §6 target: at most 2 requests). ``edc-client`` has
  no EDR cache, so its repeat flow starts a transfer again (start, poll, EDR, GET);
* p50/p95 latency of the repeat flow over ``--runs`` runs (default 50; ``--quick``: 10).

Usage: ``python benchmarks/flow.py [--quick] [--runs N] [--edc-client-python PATH]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATASET = "diabetes-sample"
CONSUMER = "research-lab"
TARGET_REPEAT_REQUESTS = 2
EDC_CLIENT_VENV = Path("/tmp/edc-client-venv/bin/python")

_ID_SEGMENT = re.compile(r"/(?:urn(?::|%3A)[^/?]+|[0-9a-f]{8}-[0-9a-f-]{27,})", re.IGNORECASE)


def _shape(method: str, url: str) -> str:
    """``METHOD /path`` with ids replaced by ``{id}`` and the host dropped."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0]
    return f"{method} {_ID_SEGMENT.sub('/{id}', path)}"


@dataclass
class Result:
    """One client's figures (``skipped``: why it did not run)."""

    name: str
    first_requests: int = 0
    first_s: float = 0.0
    repeat_requests: list[int] = field(default_factory=list)
    repeat_s: list[float] = field(default_factory=list)
    first_shapes: list[str] = field(default_factory=list)
    repeat_shapes: list[str] = field(default_factory=list)
    skipped: str | None = None


class RequestCounter:
    """A ``request`` event hook counting what a session's HTTP clients send."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, request: Any) -> None:
        self.sent.append(_shape(request.method, request.url))

    def take(self) -> list[str]:
        """The requests counted since the last call."""
        sent, self.sent = self.sent, []
        return sent


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


# -- d4h_sdk -----------------------------------------------------------------------------------------------


def _sdk_session(sandbox: Any, backend: str, counter: RequestCounter, claims: dict[str, Any]) -> Any:
    from d4h_sdk import Session
    from d4h_sdk.connectors import Provider
    from d4h_sdk.sandbox._authority import DS4H_SCOPES

    hooks: dict[str, list[Callable[..., None]]] = {"request": [counter]}
    lab = sandbox.participants[CONSUMER]
    if backend == "edc":
        session = Session.edc(
            sandbox.management_url(CONSUMER),
            api_key=sandbox.management_api_key(CONSUMER),
            api_version="v3",
            claims=claims,
            participant_id=lab.did,
            event_hooks=hooks,
        )
    else:
        session = Session.direct(
            participant_id=lab.did, token_source=lab.sts, scopes=DS4H_SCOPES, claims=claims, event_hooks=hooks
        )
    session.default_provider = Provider(sandbox.provider_url, participant_id=sandbox.provider.did)
    return session


def run_sdk(sandbox: Any, backend: str, runs: int, expected: bytes) -> Result:
    """The flow with ``d4h_sdk`` on one backend."""
    from d4h_sdk import Session
    from d4h_sdk.policy import purposes

    purpose = purposes.SCIENTIFIC_RESEARCH
    with Session.sandbox(sandbox, backend="dsp") as probe:
        claims = dict(probe.identity.claims)
    result = Result(f"d4h_sdk {'EDC facade v3' if backend == 'edc' else 'direct DSP'}")
    counter = RequestCounter()
    with _sdk_session(sandbox, backend, counter, claims) as session:
        started = time.perf_counter()
        hits = session.catalog.search(session.default_provider, purpose=purpose)
        hit = next(h for h in hits if h.dataset.id == DATASET)
        contract = session.negotiations.negotiate(hit, purpose=purpose, timeout=60)
        with session.transfers.pull(contract) as download:
            data = download.read_bytes()
        result.first_s = time.perf_counter() - started
        assert data == expected, "the first flow downloaded other bytes"
        result.first_shapes = counter.take()
        result.first_requests = len(result.first_shapes)
        for _ in range(runs):
            started = time.perf_counter()
            with session.transfers.pull(contract) as download:
                data = download.read_bytes()
            result.repeat_s.append(time.perf_counter() - started)
            assert data == expected, "a repeat flow downloaded other bytes"
            shapes = counter.take()
            result.repeat_requests.append(len(shapes))
            result.repeat_shapes = shapes
    return result


# -- tractusx-sdk ------------------------------------------------------------------------------------------


def run_tractusx() -> Result:
    """tractusx-sdk, where it can run (it needs Python >= 3.12)."""
    result = Result("tractusx-sdk")
    if sys.version_info < (3, 12):
        result.skipped = (
            f"tractusx-sdk needs Python >= 3.12; this interpreter is {sys.version.split()[0]} "
            "(and no Python 3.12 is on this machine)"
        )
    elif importlib.util.find_spec("tractusx_sdk") is None:
        result.skipped = "tractusx-sdk is not installed in this interpreter (pip install tractusx-sdk)"
    else:
        result.skipped = "tractusx-sdk is installed, but this benchmark has no driver for it yet"
    return result


# -- edc-client (in its own interpreter) -------------------------------------------------------------------

_EDC_CLIENT_DRIVER = r"""
import json, re, sys, time
import urllib3
import edc_client
from edc_client.connector import Connector, Counterparty

sent = []
_urlopen = urllib3.PoolManager.urlopen
def counting(self, method, url, *args, **kwargs):
    sent.append(method + " " + url)
    return _urlopen(self, method, url, *args, **kwargs)
urllib3.PoolManager.urlopen = counting

cfg = json.loads(sys.stdin.readline())
POLL = 0.05
client = Connector("samples", cfg["management_url"], cfg["consumer_did"], "", cfg["api_key"],
                   dsp_protocol="dataspace-protocol-http:2025-1")
provider = Counterparty(cfg["provider_did"], cfg["provider_url"])

def pull(agreement_id):
    tp_id = client.start_pull(provider, agreement_id)["@id"]
    while client.get_transfer_state(tp_id)["state"] != "STARTED":
        time.sleep(POLL)
    endpoint, authorization = client.edr_endpoint_auth(client.get_edr(tp_id))
    # The sandbox's EDR authorization is a bearer token (authType bearer); edc-client sends it as is.
    return client.pull_data(endpoint, "Bearer " + authorization).data

def take():
    out = list(sent); sent.clear(); return out

started = time.perf_counter()
catalog = client.fetch_catalog(provider)
datasets = catalog.get("dataset") or catalog.get("dcat:dataset")
dataset = next(d for d in datasets if d["@id"] == cfg["dataset"])
offers = dataset.get("hasPolicy") or dataset.get("odrl:hasPolicy")
offer = offers[0] if isinstance(offers, list) else offers
# edc-client's negotiate() sends a bare offer (id, assigner, target): the provider terminates it
# (POLICY_UNDECIDED, no purpose declared), and its typed ContractRequestV3 / OfferV3 models drop the
# offer's permissions (and counterPartyId). So the catalog offer with the declared purpose goes through
# edc-client's generic ApiClient (param_serialize + call_api), to the same Management API v3 path.
permission = dict(offer["permission"][0])
permission["constraint"] = list(permission.get("constraint", [])) + [
    {"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": {"@id": cfg["purpose"]}}]
policy = {**offer, "permission": [permission], "target": cfg["dataset"], "assigner": cfg["provider_did"]}
body = {"@context": {"@vocab": "https://w3id.org/edc/v0.0.1/ns/", "odrl": "http://www.w3.org/ns/odrl/2/"},
        "@type": "ContractRequest", "counterPartyId": cfg["provider_did"],
        "counterPartyAddress": cfg["provider_url"], "protocol": "dataspace-protocol-http:2025-1",
        "policy": policy}
request = client.client.param_serialize(
    method="POST", resource_path="/v3/contractnegotiations", body=body,
    header_params={"Content-Type": "application/json", "Accept": "application/json"})
raw = client.client.call_api(*request)
raw.read()
if raw.status >= 400:
    print(json.dumps({"error": f"negotiation refused: HTTP {raw.status}: {raw.data[:300]!r}"})); sys.exit(0)
neg_id = json.loads(raw.data)["@id"]
while True:
    negotiation = client.get_negotiation(neg_id)
    if negotiation.state in ("FINALIZED", "TERMINATED"):
        break
    time.sleep(POLL)
if negotiation.state != "FINALIZED":
    print(json.dumps({"error": f"negotiation {negotiation.state}: {negotiation.error_detail}"})); sys.exit(0)
data = pull(negotiation.contract_agreement_id)
first_s = time.perf_counter() - started
first = take()
repeat_s, repeat_n, shapes = [], [], []
for _ in range(cfg["runs"]):
    started = time.perf_counter()
    again = pull(negotiation.contract_agreement_id)
    repeat_s.append(time.perf_counter() - started)
    shapes = take(); repeat_n.append(len(shapes))
    assert again == data
print(json.dumps({"first_s": first_s, "first": first, "repeat_s": repeat_s, "repeat_n": repeat_n,
                  "repeat": shapes, "bytes": len(data)}))
"""


def _edc_client_python(given: str | None) -> tuple[str | None, str]:
    if given:
        return given, ""
    if importlib.util.find_spec("edc_client") is not None:
        return sys.executable, ""
    if EDC_CLIENT_VENV.exists():
        return str(EDC_CLIENT_VENV), ""
    return None, (
        "edc-client is not installed; put it in a throwaway venv: python -m venv /tmp/edc-client-venv && "
        "/tmp/edc-client-venv/bin/pip install edc-client (or pass --edc-client-python)"
    )


def run_edc_client(sandbox: Any, runs: int, python: str | None, expected: bytes) -> Result:
    """edc-client driving the flow through the sandbox's management facade, in its own interpreter."""
    from d4h_sdk.policy import purposes

    result = Result("edc-client 1.x EDC facade v3")
    interpreter, reason = _edc_client_python(python)
    if interpreter is None:
        result.skipped = reason
        return result
    settings = {
        "management_url": sandbox.management_url(CONSUMER),
        "api_key": sandbox.management_api_key(CONSUMER),
        "consumer_did": sandbox.participants[CONSUMER].did,
        "provider_did": sandbox.provider.did,
        "provider_url": sandbox.provider_url,
        "dataset": DATASET,
        "purpose": purposes.SCIENTIFIC_RESEARCH.iri,
        "runs": runs,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        done = subprocess.run(
            [interpreter, "-c", _EDC_CLIENT_DRIVER],
            input=json.dumps(settings) + "\n",  # the API key through a pipe, not argv
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        result.skipped = f"edc-client could not run: {exc}"
        return result
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        result.skipped = f"edc-client failed (exit {done.returncode}): {tail[0][:300]}"
        return result
    figures = json.loads(lines[-1])
    if "error" in figures:
        result.skipped = f"edc-client could not complete the flow: {figures['error']}"
        return result
    if figures["bytes"] != len(expected):
        result.skipped = f"edc-client downloaded {figures['bytes']} bytes, expected {len(expected)}"
        return result
    result.first_s = figures["first_s"]
    result.first_shapes = [_shape(*line.split(" ", 1)) for line in figures["first"]]
    result.first_requests = len(result.first_shapes)
    result.repeat_s = figures["repeat_s"]
    result.repeat_requests = figures["repeat_n"]
    result.repeat_shapes = [_shape(*line.split(" ", 1)) for line in figures["repeat"]]
    return result


# -- report ------------------------------------------------------------------------------------------------


def _summary(shapes: list[str]) -> str:
    return ", ".join(f"{n}x {shape}" if n > 1 else shape for shape, n in Counter(shapes).items())


def report(results: list[Result], runs: int) -> None:
    """Print the table, the ratios to the SDK's EDC backend, and what each flow sent."""
    base = next((r for r in results if r.skipped is None), None)
    print(f"\nflow: catalog -> negotiate -> transfer -> download of {DATASET!r}; repeat flows: {runs}\n")
    header = (
        f"{'client':<32} {'first req':>9} {'first ms':>9} {'repeat req':>10} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p50 vs SDK':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if r.skipped is not None:
            print(f"{r.name:<32} skipped: {r.skipped}")
            continue
        p50 = statistics.median(r.repeat_s) * 1000
        p95 = _percentile(r.repeat_s, 0.95) * 1000
        repeat = statistics.mean(r.repeat_requests) if r.repeat_requests else 0
        ratio = p50 / (statistics.median(base.repeat_s) * 1000) if base and base.repeat_s else float("nan")
        print(
            f"{r.name:<32} {r.first_requests:>9} {r.first_s * 1000:>9.0f} {repeat:>10.1f} "
            f"{p50:>8.1f} {p95:>8.1f} {ratio:>9.2f}x"
        )
    print()
    for r in results:
        if r.skipped is None:
            print(f"{r.name}\n  first:  {_summary(r.first_shapes)}\n  repeat: {_summary(r.repeat_shapes)}")
    sdk = [r for r in results if r.skipped is None and r.name.startswith("d4h_sdk")]
    worst = max((max(r.repeat_requests) for r in sdk if r.repeat_requests), default=0)
    verdict = "met" if worst <= TARGET_REPEAT_REQUESTS else "MISSED"
    print(f"\ntarget: a repeat flow on a cached EDR costs <= {TARGET_REPEAT_REQUESTS} requests: {verdict}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="10 repeat flows instead of 50")
    parser.add_argument("--runs", type=int, default=None, help="repeat flows per client (default 50)")
    parser.add_argument("--edc-client-python", default=None, help="an interpreter that has edc-client")
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (10 if args.quick else 50)

    from d4h_sdk.sandbox import Sandbox

    with Sandbox(seed=1, patients=200) as sandbox:
        dataset = next(d for d in sandbox.datasets if d.id == DATASET)
        expected = b"".join(dataset.payload().source())
        print(f"sandbox started in {sandbox.start_s:.2f} s; {DATASET}: {len(expected)} bytes")
        for backend in ("edc", "dsp"):  # warm-up (imports, the provider's first DCP checks): not counted
            run_sdk(sandbox, backend, 1, expected)
        results = [
            run_sdk(sandbox, "edc", runs, expected),
            run_sdk(sandbox, "dsp", runs, expected),
            run_edc_client(sandbox, runs, args.edc_client_python, expected),
            run_tractusx(),
        ]
    report(results, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
