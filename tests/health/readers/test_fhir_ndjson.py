from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
import pytest

from d4h_sdk.errors import ConfigurationError, DecodeError
from d4h_sdk.health._readers import FhirFrames, NdjsonError, read_fhir_ndjson

from .conftest import cohort, ndjson_lines


def test_bulk_folder_gives_four_typed_frames(bulk_dir: Path) -> None:
    frames = read_fhir_ndjson(bulk_dir)
    assert frames.resource_counts == {
        "Patient": 3,
        "Condition": 3,
        "Observation": 4,
        "MedicationStatement": 2,
    }
    assert frames.errors == () and frames.skipped == {}
    patients = frames.patients.set_index("id")
    assert list(patients.index) == ["p1", "p2", "p3"]
    assert patients.loc["p2", "birth_date"] == pd.Timestamp("1960-07-01")  # partial date -> first day
    assert patients.loc["p1", "country"] == "LU"  # the home address
    assert patients.loc["p2", "country"] == "DE"  # no home address: the first one
    assert bool(patients.loc["p3", "deceased"]) is True
    assert pd.isna(patients.loc["p1", "deceased"])
    assert str(frames.patients["birth_date"].dtype) == "datetime64[ns]"


def test_conditions_prefer_icd10_and_keep_snomed(bulk_dir: Path) -> None:
    conditions = read_fhir_ndjson(bulk_dir).conditions
    row = conditions.set_index("id").loc["c1"]
    assert (row["code"], row["system"], row["coding_system"]) == (
        "E11",
        "http://hl7.org/fhir/sid/icd-10",
        "ICD-10",
    )
    assert (row["icd10_code"], row["snomed_code"]) == ("E11", "44054006")
    assert row["patient_id"] == "p1" and row["clinical_status"] == "active"
    onsets = conditions.set_index("id")["onset"]
    assert onsets["c2"] == pd.Timestamp("2019-11-01", tz="UTC")
    assert onsets["c3"] == pd.Timestamp("2020-01-10T07:30:00", tz="UTC")  # +01:00 converted to UTC


def test_observations_flatten_loinc_value_unit(bulk_dir: Path) -> None:
    obs = read_fhir_ndjson(bulk_dir).observations
    assert set(obs["loinc_code"]) == {"4548-4"}
    assert obs.set_index("id").loc["o3", "value"] == pytest.approx(8.4)
    assert set(obs["unit"]) == {"%"}
    assert obs["value"].dtype == "float64"
    assert str(obs["effective"].dtype) == "datetime64[ns, UTC]"
    assert obs.groupby("patient_id").size().to_dict() == {"p1": 2, "p2": 1, "p3": 1}


def test_medication_statements_carry_atc(bulk_dir: Path) -> None:
    meds = read_fhir_ndjson(bulk_dir).medication_statements
    assert list(meds["atc_code"]) == ["A10BA02", "A10BA02"]
    assert list(meds["patient_id"]) == ["p1", "p2"]
    assert meds.loc[0, "effective"] == pd.Timestamp("2018-06-01", tz="UTC")  # effectivePeriod.start


def test_panel_components_and_coded_values_become_rows() -> None:
    bp = {
        "resourceType": "Observation",
        "id": "bp",
        "subject": {"reference": "https://fhir.example/Patient/p9/_history/3"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {"value": 142, "unit": "mm[Hg]"},
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                "valueQuantity": {"value": 91, "code": "mm[Hg]"},
            },
        ],
    }
    smoking = {
        "resourceType": "Observation",
        "id": "s",
        "code": {"coding": [{"system": "http://loinc.org", "code": "72166-2"}]},
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "8517006"}]},
    }
    obs = read_fhir_ndjson([json.dumps(bp), json.dumps(smoking)]).observations
    assert list(obs["code"]) == ["8480-6", "8462-4", "72166-2"]
    assert list(obs["panel_code"].fillna("-")) == ["85354-9", "85354-9", "-"]
    assert list(obs["value"].iloc[:2]) == [142.0, 91.0]
    assert list(obs["unit"].iloc[:2]) == ["mm[Hg]", "mm[Hg]"]
    assert list(obs["patient_id"].iloc[:2]) == ["p9", "p9"]
    assert (obs.loc[2, "value_code"], obs.loc[2, "value_system"]) == ("8517006", "http://snomed.info/sct")
    assert pd.isna(obs.loc[2, "value"])


def test_sources_bytes_lines_file_object_and_gzip(tmp_path: Path, all_lines: list[str]) -> None:
    content = "".join(all_lines).encode()
    gz = tmp_path / "all.ndjson.gz"
    gz.write_bytes(gzip.compress(content))
    readings = [
        read_fhir_ndjson(content),
        read_fhir_ndjson(all_lines),
        read_fhir_ndjson(io.StringIO("".join(all_lines))),
        read_fhir_ndjson(gz),
        read_fhir_ndjson(str(gz)),
    ]
    for frames in readings:
        assert frames.resource_counts == readings[0].resource_counts
        pd.testing.assert_frame_equal(frames.observations, readings[0].observations)


def test_bad_line_raises_with_its_line_number() -> None:
    lines = [*ndjson_lines(cohort()["Patient"]), '{"resourceType": "Patient", "id": "p4", "gender": \n']
    with pytest.raises(DecodeError, match=r"<lines> line 4: not valid JSON") as info:
        read_fhir_ndjson(lines)
    assert info.value.errors == ({"source": "<lines>", "line": 4, "msg": info.value.errors[0]["msg"]},)


def test_bad_lines_collected_in_files(tmp_path: Path) -> None:
    good = ndjson_lines(cohort()["Observation"])
    secret = '{"resourceType": "Observation", "id": "x", "effectiveDateTime": "2023-13-45"}\n'
    body = [good[0], "\n", "[1, 2]\n", "{broken\n", '{"id": "no-type"}\n', secret, good[1]]
    (tmp_path / "Observation.ndjson").write_text("".join(body), encoding="utf-8")
    (tmp_path / "Patient.ndjson").write_bytes(b'{"resourceType": "Patient"}\n\xff\xfe\n')
    frames = read_fhir_ndjson(tmp_path, errors="collect")
    assert [(e.source, e.line) for e in frames.errors] == [
        ("Observation.ndjson", 3),
        ("Observation.ndjson", 4),
        ("Observation.ndjson", 5),
        ("Observation.ndjson", 6),
        ("Patient.ndjson", 1),
        ("Patient.ndjson", 2),
    ]
    messages = [e.message for e in frames.errors]
    assert "expected a JSON object" in messages[0]
    assert "no resourceType" in messages[2]
    assert "Observation.effectiveDateTime" in messages[3] and "2023-13-45" not in messages[3]
    assert "Patient has no id" in messages[4] and "not UTF-8" in messages[5]
    assert str(frames.errors[0]) == "Observation.ndjson line 3: " + messages[0]
    assert frames.resource_counts == {"Observation": 2}
    assert isinstance(frames.errors[0], NdjsonError)


def test_resource_type_filter_and_unknown_types(all_lines: list[str]) -> None:
    lines = [*all_lines, '{"resourceType": "Encounter", "id": "e1"}']
    frames = read_fhir_ndjson(lines, resource_type="Observation")
    assert frames.resource_counts == {"Observation": 4}
    assert frames.skipped == {"Patient": 3, "Condition": 3, "MedicationStatement": 2, "Encounter": 1}
    assert frames.patients.empty and list(frames.patients.columns)[:3] == ["id", "gender", "birth_date"]
    both = read_fhir_ndjson(lines, resource_type={"Patient", "Condition"})
    assert both.resource_counts == {"Patient": 3, "Condition": 3}


def test_byte_order_mark_on_first_line_is_accepted() -> None:
    frames = read_fhir_ndjson(b"\xef\xbb\xbf" + json.dumps(cohort()["Patient"][0]).encode())
    assert list(frames.patients["id"]) == ["p1"]


def test_long_lines_are_refused() -> None:
    with pytest.raises(DecodeError, match="longer than 50 bytes"):
        read_fhir_ndjson([json.dumps(cohort()["Patient"][0])], max_line_bytes=50)


def test_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        read_fhir_ndjson(tmp_path / "missing.ndjson")
    with pytest.raises(ConfigurationError, match="as bytes or as an iterable"):
        read_fhir_ndjson('{"resourceType": "Patient", "id": "p1"}')
    with pytest.raises(ConfigurationError, match="errors must be"):
        read_fhir_ndjson([], errors="ignore")  # type: ignore[arg-type]


def test_empty_input_gives_empty_typed_frames() -> None:
    frames = read_fhir_ndjson(b"")
    assert isinstance(frames, FhirFrames)
    assert set(frames.frames()) == {"patients", "conditions", "observations", "medication_statements"}
    assert all(frame.empty for frame in frames.frames().values())
    assert str(frames.conditions["onset"].dtype) == "datetime64[ns, UTC]"
