"""``d4h catalog``: a table or JSON records of the provider's datasets, through the lab's EDC facade."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from d4h_sdk.sandbox import Sandbox
from tests.cli.conftest import DATASET, Run


def test_catalog_table_lists_every_dataset_with_its_facets(d4h: Run, sandbox: Sandbox) -> None:
    done = d4h(
        "catalog",
        sandbox.provider_url,
        "--provider-id",
        sandbox.provider.did,
        "--purpose",
        "SCIENTIFIC_RESEARCH",
    )
    assert done.code == 0, done.err
    for dataset in sandbox.datasets:
        assert dataset.id in done.out
    assert "Synthetic diabetes sample (public)" in done.out
    for header in ("id", "title", "category", "records", "access", "compatible"):
        assert header in done.out
    assert "EHRS" in done.out and "PUBLIC" in done.out
    # the EDC session has no claims: the provider decides (membership), nothing is refused locally
    assert "undecided" in done.out
    assert f"{len(sandbox.datasets)} dataset(s)" in done.out


def test_catalog_json_gives_records_and_the_purpose_check(d4h: Run, sandbox: Sandbox) -> None:
    done = d4h("catalog", sandbox.provider_url, "--provider-id", sandbox.provider.did, "--json")
    assert done.code == 0, done.err
    records = json.loads(done.out)
    assert sorted(r["id"] for r in records) == sorted(d.id for d in sandbox.datasets)
    assert all(r["compatible"] is None for r in records)  # no purpose: not evaluated
    sample = next(r for r in records if r["id"] == DATASET)
    assert sample["access_rights"] == "PUBLIC" and sample["participant_id"] == sandbox.provider.did

    refused = d4h(
        "catalog",
        sandbox.provider_url,
        "--provider-id",
        sandbox.provider.did,
        "--purpose",
        "advertising",
        "--json",
    )
    assert refused.code == 0, refused.err
    assert {r["compatible"] for r in json.loads(refused.out)} == {False}


def test_catalog_filters_and_limit(d4h: Run, sandbox: Sandbox) -> None:
    provider = (sandbox.provider_url, "--provider-id", sandbox.provider.did)
    themed = d4h("catalog", *provider, "--theme", "CANCER_DISEASE", "--json")
    assert themed.code == 0, themed.err
    assert [r["id"] for r in json.loads(themed.out)] == ["oncology-cohort"]
    text = d4h("catalog", *provider, "--text", "diabetes", "--limit", "1", "--json")
    assert text.code == 0, text.err
    found = json.loads(text.out)
    assert len(found) == 1 and "diabetes" in found[0]["id"]


def test_catalog_v4_without_provider_id_is_an_error_not_a_traceback(d4h: Run, sandbox: Sandbox) -> None:
    done = d4h("catalog", sandbox.provider_url, "--api-version", "v4")
    assert done.code == 1
    assert "participant id" in done.err and "--provider-id" in done.err and "Traceback" not in done.err
    ok = d4h("catalog", sandbox.provider_url, "--api-version", "v4", "--provider-id", sandbox.provider.did)
    assert ok.code == 0, ok.err


def test_the_d4h_entry_point_runs_catalog(sandbox: Sandbox, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("d4h")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "d4h_sdk.cli"]
    env = {
        **os.environ,
        "D4H_MANAGEMENT_URL": sandbox.management_url("research-lab"),
        "D4H_API_KEY": sandbox.management_api_key("research-lab"),
        "D4H_STORE_PATH": str(tmp_path / "store.sqlite"),
    }
    done = subprocess.run(
        [*command, "catalog", sandbox.provider_url, "--provider-id", sandbox.provider.did, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert DATASET in [r["id"] for r in json.loads(done.stdout)]
    assert (tmp_path / "store.sqlite").is_file()  # the default file store is created


def test_without_provider_id_the_error_says_which_option_to_pass(d4h: Run, sandbox: Sandbox) -> None:
    done = d4h("catalog", sandbox.provider_url, "--api-version", "v3")
    assert done.code == 1
    assert "no participant_id" in done.err and "--provider-id" in done.err
