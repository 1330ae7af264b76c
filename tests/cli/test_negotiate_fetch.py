"""``d4h negotiate``, ``d4h negotiations [resume]`` and ``d4h fetch`` against the sandbox, with a file store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from d4h_sdk.sandbox import DropConnections, FaultPlan, Sandbox
from d4h_sdk.store import SqliteStore
from tests.cli.conftest import DATASET, Run, payload

_AGREEMENT = re.compile(r"Agreement (\S+) \(dataset")


def _provider(sandbox: Sandbox) -> tuple[str, ...]:
    return (sandbox.provider_url, "--provider-id", sandbox.provider.did)


def _negotiate(d4h: Run, sandbox: Sandbox, *extra: str) -> str:
    done = d4h("negotiate", *_provider(sandbox), DATASET, "--purpose", "scientific_research", *extra)
    assert done.code == 0, done.err
    found = _AGREEMENT.search(done.out)
    assert found is not None, done.out
    return found.group(1)


def test_negotiate_prints_states_and_records_the_agreement(
    d4h: Run, sandbox: Sandbox, store_path: Path
) -> None:
    done = d4h(
        "negotiate", *_provider(sandbox), DATASET, "--purpose", "SCIENTIFIC_RESEARCH", "--timeout", "30"
    )
    assert done.code == 0, done.err
    assert "requested for dataset diabetes-sample" in done.out
    assert "negotiation FINALIZED" in done.out
    found = _AGREEMENT.search(done.out)
    assert found is not None, done.out
    with SqliteStore(store_path) as store:  # the file the command created
        agreement = store.get_agreement(found.group(1))
        assert agreement is not None and agreement.dataset_id == DATASET
        (negotiation,) = store.list_negotiations()
        assert negotiation.state == "FINALIZED" and negotiation.agreement_id == agreement.id

    listed = d4h("negotiations")
    assert listed.code == 0, listed.err
    assert negotiation.id in listed.out and agreement.id in listed.out and "FINALIZED" in listed.out
    assert "1 negotiation(s)" in listed.out
    as_json = d4h("negotiations", "--json")
    assert [(r["id"], r["state"], r["agreement_id"]) for r in json.loads(as_json.out)] == [
        (negotiation.id, "FINALIZED", agreement.id)
    ]


def test_no_wait_then_resume_from_the_store(d4h: Run, sandbox: Sandbox, store_path: Path) -> None:
    started = d4h("negotiate", *_provider(sandbox), DATASET, "--purpose", "scientific_research", "--no-wait")
    assert started.code == 0, started.err
    assert "Agreement" not in started.out
    (record,) = SqliteStore(store_path).list_negotiations()
    assert f"d4h negotiations resume {record.id}" in started.out
    assert record.state == "REQUESTED" and record.agreement_id is None

    resumed = d4h("negotiations", "resume", record.id, "--timeout", "30")
    assert resumed.code == 0, resumed.err
    assert "negotiation FINALIZED" in resumed.out
    found = _AGREEMENT.search(resumed.out)
    assert found is not None
    with SqliteStore(store_path) as store:
        assert store.get_agreement(found.group(1)) is not None

    unknown = d4h("negotiations", "resume", "urn:uuid:not-recorded")
    assert unknown.code == 1 and "not in this session's store" in unknown.err


def test_fetch_writes_the_verified_payload(d4h: Run, sandbox: Sandbox, tmp_path: Path) -> None:
    agreement_id = _negotiate(d4h, sandbox)
    target = tmp_path / "sample.csv"
    done = d4h("fetch", agreement_id, "-o", str(target))
    assert done.code == 0, done.err
    assert target.read_bytes() == payload(sandbox)
    assert f"Saved {len(payload(sandbox))} bytes" in done.out
    assert re.search(r"Checksum sha-256=:\S+: verified", done.out), done.out

    again = d4h("fetch", agreement_id, "-o", str(target))
    assert again.code == 1 and "exists" in again.err
    target.write_bytes(b"old")
    replaced = d4h("fetch", agreement_id, "-o", str(target), "--overwrite")
    assert replaced.code == 0, replaced.err
    assert target.read_bytes() == payload(sandbox)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.csv", "state"]  # no temporary file left


def test_fetch_of_an_unknown_agreement_leaves_no_file(d4h: Run, tmp_path: Path) -> None:
    target = tmp_path / "nothing.csv"
    done = d4h("fetch", "urn:uuid:unknown-agreement", "-o", str(target))
    assert done.code == 1
    assert "not in this session's store" in done.err and "Traceback" not in done.err
    assert not target.exists()


def test_a_refused_purpose_exits_1_with_the_providers_reason(d4h: Run, sandbox: Sandbox) -> None:
    local = d4h("negotiate", *_provider(sandbox), DATASET, "--purpose", "ADVERTISING")
    assert local.code == 1
    assert "no offer of dataset diabetes-sample is compatible" in local.err and "--offer-id" in local.err

    (offer,) = next(d for d in sandbox.datasets if d.id == DATASET).offers
    assert offer.id is not None
    sent = d4h("negotiate", *_provider(sandbox), DATASET, "--purpose", "ADVERTISING", "--offer-id", offer.id)
    assert sent.code == 1
    assert "terminated" in sent.err and "POLICY_PROHIBITED" in sent.err and "Art 54" in sent.err
    assert "Traceback" not in sent.err


def test_a_refused_participant_hears_the_provider(d4h: Run, sandbox: Sandbox) -> None:
    done = d4h(
        "negotiate",
        *_provider(sandbox),
        DATASET,
        "--purpose",
        "scientific_research",
        "--management-url",
        sandbox.management_url("ad-company"),
        "--api-key",
        sandbox.management_api_key("ad-company"),
    )
    assert done.code == 1
    assert "no dataset 'diabetes-sample' is available to you" in done.err


def test_a_broken_download_never_leaves_a_partial_file(
    d4h: Run, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreement_id = _negotiate(d4h, sandbox)
    target = tmp_path / "sample.csv"
    target.write_bytes(b"previous version")
    try:
        monkeypatch.setenv("D4H_MAX_RETRIES", "0")  # no backoff sleeps before giving up
        sandbox.faults = FaultPlan(drops=(DropConnections("/data/*", method="GET", count=20),))
        failed = d4h("fetch", agreement_id, "-o", str(target), "--overwrite")
        assert failed.code == 1 and "Traceback" not in failed.err
        assert target.read_bytes() == b"previous version"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.csv", "state"]

        monkeypatch.delenv("D4H_MAX_RETRIES")
        sandbox.faults = FaultPlan(drops=(DropConnections("/data/*", method="GET", count=1),))
        resumed = d4h("fetch", agreement_id, "-o", str(target), "--overwrite")
        assert resumed.code == 0, resumed.err
        assert target.read_bytes() == payload(sandbox) and "verified" in resumed.out
    finally:
        sandbox.faults = FaultPlan()
