"""The sandbox datasets: HealthDCAT-AP metadata, asset properties, offers that grant and refuse."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from d4h_sdk import policy
from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health import health_view, validate
from d4h_sdk.health.healthdcat import AccessRights, HealthCategory, HealthTheme
from d4h_sdk.models import Dataset
from d4h_sdk.policy import Outcome, purposes
from d4h_sdk.sandbox.synthetic import (
    CSV_MEDIA_TYPE,
    DATASET_IRI_BASE,
    FHIR_NDJSON_MEDIA_TYPE,
    DiabetesCohort,
    SandboxDataset,
    default_datasets,
    summarize,
)


@pytest.fixture(scope="module")
def datasets() -> dict[str, SandboxDataset]:
    return {d.id: d for d in default_datasets(seed=2, patients=40, bigfile_size=3 * 1024 * 1024 + 1)}


RESEARCHER = {"membershipStatus": "active", "euEeaStatus": "eu-member-state", "permitIssued": True}
PUBLIC_AI_LAB = {
    **RESEARCHER,
    "organizationOwnershipType": "public",
    "processingEnvironment": "spe",
}


def test_ids_and_access_rights(datasets: dict[str, SandboxDataset]) -> None:
    assert list(datasets) == ["diabetes-cohort", "oncology-cohort", "diabetes-sample", "benchmark-file"]
    rights = {d.id: d.access_rights for d in datasets.values()}
    assert rights["diabetes-cohort"] is AccessRights.NON_PUBLIC
    assert rights["diabetes-sample"] is AccessRights.PUBLIC
    for d in datasets.values():
        assert d.health.access_rights == d.access_rights.value
        assert d.health.id == DATASET_IRI_BASE + d.id
        assert d.health.title_text() == d.title


@pytest.mark.parametrize("key", ["diabetes-cohort", "oncology-cohort", "diabetes-sample", "benchmark-file"])
def test_healthdcat_validates_without_errors_at_its_level(
    datasets: dict[str, SandboxDataset], key: str
) -> None:
    report = datasets[key].validate()
    assert report.conforms, str(report)
    assert report.access_level is datasets[key].access_rights
    assert validate(datasets[key].health).conforms


def test_metadata_carries_generation_statistics(datasets: dict[str, SandboxDataset]) -> None:
    d = datasets["diabetes-cohort"]
    summary = summarize(DiabetesCohort(seed=2, patients=40))
    stats = summary.statistics()
    assert d.summary == summary and d.statistics == stats
    h = d.health
    assert h.number_of_records == stats.number_of_records and h.number_of_records % 10 == 0
    assert h.number_of_unique_individuals == 40
    assert (h.min_typical_age, h.max_typical_age) == (stats.min_typical_age, stats.max_typical_age)
    assert {"E10", "E11", "O24.4", "E11.9"} <= set(h.code_values)
    assert HealthCategory.EHRS.value in h.health_categories
    assert h.health_themes == (HealthTheme.NONCOMMUNICABLE_DISEASES.value,)
    assert any(cs.endswith("/LOINC") for cs in h.coding_systems)
    assert h.has_structured_data is True
    columns = h.variables[0].tables[0].columns
    assert [c.name for c in columns] == [c.name for c in DiabetesCohort().columns()]
    onco = datasets["oncology-cohort"].health
    assert {"C50.9", "C34.9", "C18.9", "8500/3", "8140/3"} <= set(onco.code_values)
    assert any(cs.endswith("/ICD-O") for cs in onco.coding_systems)


def test_statistics_agree_with_profile_dataset(datasets: dict[str, SandboxDataset]) -> None:
    pytest.importorskip("pandas")
    from d4h_sdk.health.readers import profile_dataset, read_csv_typed

    d = datasets["oncology-cohort"]
    table = read_csv_typed(
        b"".join(d.payload("cohort.csv").chunks()), d.health.variables[0].tables[0].columns
    )
    profiled = profile_dataset(table, person_column="patient_id", birth_date_column="birth_date")
    assert d.statistics is not None
    assert profiled.number_of_records == d.statistics.number_of_records
    assert profiled.number_of_unique_individuals == d.statistics.number_of_unique_individuals
    assert (profiled.min_typical_age, profiled.max_typical_age) == (
        d.statistics.min_typical_age,
        d.statistics.max_typical_age,
    )
    assert (profiled.temporal_start, profiled.temporal_end) == (
        d.statistics.temporal_start,
        d.statistics.temporal_end,
    )


def test_asset_properties_read_back_through_health_view(datasets: dict[str, SandboxDataset]) -> None:
    d = datasets["diabetes-cohort"]
    props = d.properties
    assert "http://healthdataportal.eu/ns/health#healthCategory" in props
    assert "@id" not in props
    seen = health_view(Dataset.model_validate({"@id": d.id, **props}))
    assert seen is not None
    assert seen.health_categories == d.health.health_categories
    assert seen.number_of_records == d.health.number_of_records
    assert seen.access_rights == AccessRights.NON_PUBLIC.value


def test_same_requester_granted_one_dataset_refused_another(datasets: dict[str, SandboxDataset]) -> None:
    research = datasets["diabetes-cohort"].offer("research")
    ai = datasets["oncology-cohort"].offer("ai")
    granted = policy.evaluate(research, claims=RESEARCHER, purpose=purposes.SCIENTIFIC_RESEARCH)
    refused = policy.evaluate(ai, claims=RESEARCHER, purpose=purposes.ALGORITHM_TRAINING)
    assert granted.permitted
    assert not refused.permitted
    assert refused.reasons
    assert policy.evaluate(ai, claims=PUBLIC_AI_LAB, purpose=purposes.ALGORITHM_TRAINING).permitted


def test_purposes_and_art54_decide(datasets: dict[str, SandboxDataset]) -> None:
    research = datasets["diabetes-cohort"].offer("research")
    assert (
        policy.evaluate(research, claims=RESEARCHER, purpose=purposes.ADVERTISING).outcome
        is Outcome.PROHIBITED
    )
    assert not policy.evaluate(research, claims=RESEARCHER, purpose=purposes.EDUCATION).permitted
    without_permit = {k: v for k, v in RESEARCHER.items() if k != "permitIssued"} | {"dacApproval": False}
    assert not policy.evaluate(
        research, claims=without_permit, purpose=purposes.SCIENTIFIC_RESEARCH
    ).permitted
    sample = datasets["diabetes-sample"].offer("open")
    assert policy.evaluate(
        sample, claims={"membershipStatus": "active"}, purpose=purposes.EDUCATION
    ).permitted
    stats = datasets["diabetes-cohort"].offer("statistics")
    claims = {"membershipStatus": "active", "dataFormat": "statistical"}
    assert policy.evaluate(stats, claims=claims, purpose=purposes.SCIENTIFIC_RESEARCH).permitted


def test_every_offer_is_linted_clean_and_identified(datasets: dict[str, SandboxDataset]) -> None:
    ids = [o.id for d in datasets.values() for o in d.offers]
    assert len(ids) == len(set(ids)) == 6
    for d in datasets.values():
        for offer in d.offers:
            assert offer.target is None
            assert offer.id and offer.id.startswith("urn:d4h:sandbox:offer:" + d.id + ":")
            assert [i.severity for i in policy.lint(offer) if i.severity != "info"] == []


def test_payloads(datasets: dict[str, SandboxDataset]) -> None:
    d = datasets["diabetes-sample"]
    assert [(p.name, p.media_type) for p in d.payloads] == [
        ("cohort.csv", CSV_MEDIA_TYPE),
        ("fhir.ndjson", FHIR_NDJSON_MEDIA_TYPE),
    ]
    csv = b"".join(d.payload().chunks())
    assert d.summary is not None
    assert csv.startswith(b"patient_id,") and csv.count(b"\r\n") == 1 + d.summary.rows
    assert b"".join(d.payload("fhir.ndjson").chunks(0, 20)) == b'{"resourceType":"Pat'
    with pytest.raises(ConfigurationError):
        d.payload("nope.bin")
    with pytest.raises(ConfigurationError):
        d.offer("nope")
    big = datasets["benchmark-file"].payload()
    assert big.size == 3 * 1024 * 1024 + 1 and big.sha256 is not None
    assert big.sha256() == hashlib.sha256(b"".join(big.chunks())).hexdigest()
    assert len(b"".join(big.chunks(10, 20))) == 10


def test_default_datasets_is_deterministic_and_sized() -> None:
    one = default_datasets(seed=5, patients=12, bigfile_size=10, sample_patients=3)
    two = default_datasets(seed=5, patients=12, bigfile_size=10, sample_patients=3)
    assert [d.health for d in one] == [d.health for d in two]
    assert one[0].summary is not None and one[0].summary.patients == 12
    assert one[2].summary is not None and one[2].summary.patients == 3
    assert one[0].health.distributions[0].access_url == "http://127.0.0.1/dsp"
    custom = default_datasets(patients=2, bigfile_size=10, access_url="http://127.0.0.1:9999/api/dsp")
    assert all(d.health.distributions[0].access_url == "http://127.0.0.1:9999/api/dsp" for d in custom)


@pytest.mark.fixtures
@pytest.mark.parametrize("key", ["diabetes-cohort", "oncology-cohort"])
def test_non_public_datasets_conform_to_official_r8_shapes(
    datasets: dict[str, SandboxDataset], key: str, shared_fixtures: Path
) -> None:
    pytest.importorskip("pyshacl")
    from d4h_sdk.health import validate_shacl

    shapes = shared_fixtures / "healthdcat" / "official-r8" / "non-public-shapes.ttl"
    report = validate_shacl(datasets[key].health, shapes=shapes)
    assert report.conforms, str(report)


def test_import_stays_light() -> None:
    code = (
        "import sys, d4h_sdk.sandbox.synthetic as s; s.DiabetesCohort(patients=1); "
        "print(sorted(m for m in ('pandas', 'rdflib', 'pyld', 'werkzeug', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
