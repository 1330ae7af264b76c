"""CSV and FHIR R4 NDJSON writers: round trips through the SDK's readers, streaming, chunking."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health.readers import ATC, ICD10, LOINC, read_csv_typed, read_fhir_ndjson
from d4h_sdk.sandbox.synthetic import (
    RESOURCE_TYPES,
    Cohort,
    DiabetesCohort,
    OncologyCohort,
    csvw_metadata,
    iter_csv,
    iter_fhir_lines,
    iter_fhir_ndjson,
    summarize,
    write_csv,
    write_fhir_ndjson,
)

pd = pytest.importorskip("pandas")

COHORTS: list[Cohort] = [DiabetesCohort(seed=11, patients=25), OncologyCohort(seed=11, patients=40)]


@pytest.mark.parametrize("cohort", COHORTS, ids=lambda c: c.name)
def test_fhir_round_trip_counts_and_codes(cohort: Cohort) -> None:
    summary = summarize(cohort)
    frames = read_fhir_ndjson(b"".join(iter_fhir_ndjson(cohort, chunk_size=4096)))
    assert frames.resource_counts == summary.resources
    assert frames.errors == () and dict(frames.skipped) == {}
    records = list(cohort.records())
    assert sorted(frames.patients["id"]) == sorted(r.person.id for r in records)
    assert sorted(frames.conditions["icd10_code"]) == sorted(
        c.codings[0].code for r in records for c in r.conditions
    )
    assert set(frames.conditions["system"]) == {ICD10}
    expected_loinc = {o.code.code for r in records for o in r.observations} | {
        c.code.code for r in records for o in r.observations for c in o.components
    }
    found = set(frames.observations["loinc_code"].dropna()) | set(frames.observations["panel_code"].dropna())
    assert found == expected_loinc
    assert set(frames.observations["system"]) == {LOINC}
    assert sorted(frames.medication_statements["atc_code"]) == sorted(
        m.code.code for r in records for m in r.medications
    )
    assert set(frames.medication_statements["system"]) == {ATC}
    births = {r.person.id: r.person.birth_date for r in records}
    assert {
        pid: ts.date() for pid, ts in zip(frames.patients["id"], frames.patients["birth_date"], strict=True)
    } == births


def test_fhir_values_match_csv_rows() -> None:
    cohort = COHORTS[0]
    frames = read_fhir_ndjson(b"".join(iter_fhir_ndjson(cohort)))
    table = read_csv_typed(b"".join(iter_csv(cohort)), cohort.columns())
    obs = frames.observations
    for loinc, column, unit in (
        ("4548-4", "hba1c_percent", "%"),
        ("59261-8", "hba1c_mmol_mol", "mmol/mol"),
        ("98979-8", "egfr", "mL/min/{1.73_m2}"),
        ("8480-6", "systolic_mmhg", "mm[Hg]"),
    ):
        rows = obs[obs["loinc_code"] == loinc].sort_values(["patient_id", "effective"])
        assert set(rows["unit"]) == {unit}
        expected = table.sort_values(["patient_id", "visit_date"])[column].astype(float).tolist()
        assert rows["value"].tolist() == expected
    systolic = obs[obs["loinc_code"] == "8480-6"]
    assert set(systolic["panel_code"]) == {"85354-9"}


@pytest.mark.parametrize("cohort", COHORTS, ids=lambda c: c.name)
def test_csv_round_trip_typed_by_csvw_columns(cohort: Cohort) -> None:
    records = list(cohort.records())
    frame = read_csv_typed(
        b"".join(iter_csv(cohort, chunk_size=1000)), cohort.columns(), extra_columns="error"
    )
    rows = [row for r in records for row in r.rows]
    assert len(frame) == len(rows) == summarize(cohort).rows
    assert list(frame.columns) == [c.name for c in cohort.columns()]
    assert str(frame["birth_date"].dtype) == "datetime64[ns]"
    assert str(frame["patient_id"].dtype) == "string"
    for name in frame.columns:
        got = [None if pd.isna(v) else v for v in frame[name].astype(object).tolist()]
        want = [row[name] for row in rows]
        if str(frame[name].dtype).startswith("datetime"):
            got = [v.date().isoformat() if v is not None else None for v in got]
        assert got == want, name


def test_fhir_resources_are_tagged_test_data_and_fake() -> None:
    lines = list(iter_fhir_lines(COHORTS[1]))
    assert all(line.endswith("\n") and "\n" not in line[:-1] for line in lines)
    resources = [json.loads(line) for line in lines]
    assert {r["resourceType"] for r in resources} == set(RESOURCE_TYPES)
    for resource in resources:
        assert resource["meta"]["security"][0]["code"] == "HTEST"
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    assert patient["name"][0]["family"] == "Synthetic"
    condition = next(r for r in resources if r["resourceType"] == "Condition")
    morphology = condition["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert morphology["code"] in {"8500/3", "8140/3"}


def test_resource_type_filter_and_unknown_type() -> None:
    cohort = COHORTS[0]
    only = list(iter_fhir_lines(cohort, resource_type="MedicationStatement"))
    assert only and all('"resourceType":"MedicationStatement"' in line for line in only)
    assert len(only) == summarize(cohort).resources["MedicationStatement"]
    with pytest.raises(ConfigurationError, match="Encounter"):
        list(iter_fhir_lines(cohort, resource_type=["Patient", "Encounter"]))
    with pytest.raises(ConfigurationError):
        list(iter_fhir_ndjson(cohort, chunk_size=0))
    with pytest.raises(ConfigurationError):
        list(iter_csv(cohort, chunk_size=0))


def test_chunks_hold_whole_lines() -> None:
    chunks = list(iter_fhir_ndjson(COHORTS[0], chunk_size=2048))
    assert len(chunks) > 5
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    assert all(len(chunk) < 2048 + 4096 for chunk in chunks)
    csv_chunks = list(iter_csv(COHORTS[0], chunk_size=512))
    assert len(csv_chunks) > 5 and all(chunk.endswith(b"\r\n") for chunk in csv_chunks)


def test_writers_stream_lazily() -> None:
    huge = DiabetesCohort(seed=1, patients=10_000_000)
    started = time.perf_counter()
    first_csv = next(iter_csv(huge))
    first_fhir = next(iter_fhir_ndjson(huge))
    lines = list(itertools.islice(iter_fhir_lines(huge), 3))
    assert time.perf_counter() - started < 2.0
    assert first_csv.startswith(b"patient_id,sex,birth_date")
    assert first_fhir.startswith(b'{"resourceType":"Patient"')
    assert len(lines) == 3


def test_write_bulk_export_directory_and_csv(tmp_path: Path) -> None:
    cohort = COHORTS[1]
    paths = write_fhir_ndjson(cohort, tmp_path / "fhir")
    assert sorted(paths) == sorted(RESOURCE_TYPES)
    frames = read_fhir_ndjson(tmp_path / "fhir")
    assert frames.resource_counts == summarize(cohort).resources
    target = write_csv(cohort, tmp_path / "cohort.csv")
    assert target.read_bytes() == b"".join(iter_csv(cohort))
    assert len(read_csv_typed(target, cohort.columns())) == cohort.patients


def test_write_errors_are_configuration_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError, match="cannot write"):
        write_fhir_ndjson(COHORTS[0], blocker / "sub")
    with pytest.raises(ConfigurationError, match="cannot write"):
        write_csv(COHORTS[0], blocker / "x.csv")


def test_csvw_metadata_document() -> None:
    cohort = COHORTS[0]
    doc = csvw_metadata(cohort, url="https://provider.example/data/cohort.csv")
    assert doc["@context"] == "http://www.w3.org/ns/csvw"
    columns = doc["tableSchema"]["columns"]
    assert [c["name"] for c in columns] == [c.name for c in cohort.columns()]
    hba1c = next(c for c in columns if c["name"] == "hba1c_percent")
    assert hba1c["datatype"] == "decimal" and hba1c["propertyUrl"] == "https://loinc.org/4548-4/"
    assert columns[0]["required"] is True
