"""Synthetic FHIR R4 NDJSON written by the tests: three HTEST patients with type 2 diabetes data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

HTEST = {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST"}]}


def _patient(pid: str, gender: str, birth: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "meta": HTEST,
        "gender": gender,
        "birthDate": birth,
        **extra,
    }


def _condition(cid: str, pid: str, onset: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "meta": HTEST,
        "subject": {"reference": f"Patient/{pid}"},
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "code": {
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "44054006",
                    "display": "Diabetes mellitus type 2",
                },
                {
                    "system": "http://hl7.org/fhir/sid/icd-10",
                    "code": "E11",
                    "display": "Type 2 diabetes mellitus",
                },
            ]
        },
        "onsetDateTime": onset,
    }


def _hba1c(oid: str, pid: str, value: float, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "meta": HTEST,
        "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c"}]},
        "valueQuantity": {"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
        "effectiveDateTime": when,
    }


def _metformin(mid: str, pid: str, start: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": mid,
        "meta": HTEST,
        "status": "active",
        "subject": {"reference": f"Patient/{pid}"},
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "A10BA02", "display": "metformin"}]
        },
        "effectivePeriod": {"start": start},
    }


def cohort() -> dict[str, list[dict[str, Any]]]:
    """Resources per type: 3 patients (ages 53, 63, 75 on 2024-06-30), conditions, HbA1c, metformin."""
    return {
        "Patient": [
            _patient("p1", "female", "1971-03-02", address=[{"use": "home", "country": "LU"}]),
            _patient("p2", "male", "1960-07", address=[{"use": "work", "country": "DE"}, {"country": "FR"}]),
            _patient("p3", "female", "1949-01-15", deceasedDateTime="2024-06-30"),
        ],
        "Condition": [
            _condition("c1", "p1", "2018-05-04"),
            _condition("c2", "p2", "2019-11"),
            _condition("c3", "p3", "2020-01-10T08:30:00+01:00"),
        ],
        "Observation": [
            _hba1c("o1", "p1", 7.2, "2023-01-10T09:00:00Z"),
            _hba1c("o2", "p1", 6.8, "2023-07-12T09:00:00Z"),
            _hba1c("o3", "p2", 8.4, "2024-02-01"),
            _hba1c("o4", "p3", 9.1, "2024-06-30T10:00:00+02:00"),
        ],
        "MedicationStatement": [
            _metformin("m1", "p1", "2018-06-01"),
            _metformin("m2", "p2", "2019-12-01"),
        ],
    }


def ndjson_lines(resources: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(r) + "\n" for r in resources]


@pytest.fixture
def bulk_dir(tmp_path: Path) -> Path:
    """A Bulk Data export folder: one NDJSON file per resource type."""
    for kind, resources in cohort().items():
        (tmp_path / f"{kind}.ndjson").write_text("".join(ndjson_lines(resources)), encoding="utf-8")
    return tmp_path


@pytest.fixture
def all_lines() -> list[str]:
    """All resources of the cohort as NDJSON lines, patients first."""
    return [line for resources in cohort().values() for line in ndjson_lines(resources)]
