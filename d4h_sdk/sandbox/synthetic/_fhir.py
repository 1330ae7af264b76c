"""FHIR R4 resources and streaming Bulk Data NDJSON (one resource per line) from a synthetic cohort.

Every resource is tagged as test data (``meta.security`` ``HTEST`` from ``v3-ActReason``) and persons carry an
obviously fake name. Writers pull one patient at a time from the cohort: memory does not grow with its size.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.sandbox.synthetic._model import (
    Coding,
    Cohort,
    Component,
    ConditionRecord,
    MedicationRecord,
    ObservationRecord,
    PatientRecord,
    PersonRecord,
    Value,
)
from d4h_sdk.sandbox.synthetic._oncology import MORPHOLOGY_EXTENSION

__all__ = [
    "FHIR_NDJSON_MEDIA_TYPE",
    "RESOURCE_TYPES",
    "iter_fhir_lines",
    "iter_fhir_ndjson",
    "patient_resources",
    "write_fhir_ndjson",
]

FHIR_NDJSON_MEDIA_TYPE = "application/fhir+ndjson"
"""The media type of FHIR Bulk Data NDJSON."""
RESOURCE_TYPES = ("Patient", "Condition", "Observation", "MedicationStatement")
"""The resource types written, in the order they are written for each patient."""

_UCUM = "http://unitsofmeasure.org"
_TEST_TAG = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
    "code": "HTEST",
    "display": "test health data",
}
_META = {"security": [_TEST_TAG]}
_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_DEFAULT_CHUNK = 64 * 1024


def _coding(c: Coding) -> dict[str, str]:
    return {"system": c.system, "code": c.code, "display": c.display}


def _concept(*codings: Coding) -> dict[str, Any]:
    return {"coding": [_coding(c) for c in codings], "text": codings[0].display}


def _value(value: Value, unit: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"valueString": value}
    if unit is None:
        return {"valueInteger": value} if isinstance(value, int) else {"valueQuantity": {"value": value}}
    return {"valueQuantity": {"value": value, "unit": unit, "system": _UCUM, "code": unit}}


def _patient(p: PersonRecord) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": p.id,
        "meta": _META,
        "identifier": [{"system": "urn:d4h:sandbox:synthetic-patient", "value": p.id}],
        "name": [{"use": "anonymous", "family": "Synthetic", "given": [f"Test-{p.id}"]}],
        "gender": p.gender,
        "birthDate": p.birth_date.isoformat(),
        "address": [{"use": "home", "country": p.country}],
    }


def _condition(c: ConditionRecord) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": c.id,
        "meta": _META,
        "clinicalStatus": {"coding": [{"system": _CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": _VERIFICATION, "code": "confirmed"}]},
        "code": _concept(*c.codings),
        "subject": {"reference": f"Patient/{c.patient_id}"},
        "onsetDateTime": c.onset.isoformat(),
        "recordedDate": c.onset.isoformat(),
    }
    if c.morphology is not None:
        resource["extension"] = [
            {"url": MORPHOLOGY_EXTENSION, "valueCodeableConcept": _concept(c.morphology)}
        ]
    return resource


def _component(c: Component) -> dict[str, Any]:
    return {"code": _concept(c.code), **_value(c.value, c.unit)}


def _observation(o: ObservationRecord) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": o.id,
        "meta": _META,
        "status": "final",
        "category": [{"coding": [{"system": _CATEGORY, "code": o.category}]}],
        "code": _concept(o.code),
        "subject": {"reference": f"Patient/{o.patient_id}"},
        "effectiveDateTime": o.effective.isoformat().replace("+00:00", "Z"),
        **_value(o.value, o.unit),
    }
    if o.components:
        resource["component"] = [_component(c) for c in o.components]
    return resource


def _medication(m: MedicationRecord) -> dict[str, Any]:
    period = {"start": m.start.isoformat()}
    if m.end is not None:
        period["end"] = m.end.isoformat()
    return {
        "resourceType": "MedicationStatement",
        "id": m.id,
        "meta": _META,
        "status": m.status,
        "medicationCodeableConcept": _concept(m.code),
        "subject": {"reference": f"Patient/{m.patient_id}"},
        "effectivePeriod": period,
    }


def patient_resources(record: PatientRecord) -> Iterator[dict[str, Any]]:
    """The FHIR R4 resources of one patient: Patient, Conditions, Observations, MedicationStatements."""
    yield _patient(record.person)
    yield from map(_condition, record.conditions)
    yield from map(_observation, record.observations)
    yield from map(_medication, record.medications)


def _wanted(resource_type: str | Collection[str] | None) -> frozenset[str]:
    if resource_type is None:
        return frozenset(RESOURCE_TYPES)
    chosen = frozenset((resource_type,) if isinstance(resource_type, str) else resource_type)
    unknown = sorted(chosen - set(RESOURCE_TYPES))
    if unknown:
        raise ConfigurationError(
            f"unknown resource type(s) {', '.join(unknown)}; choose from {', '.join(RESOURCE_TYPES)}"
        )
    return chosen


def iter_fhir_lines(cohort: Cohort, *, resource_type: str | Collection[str] | None = None) -> Iterator[str]:
    """Yield the cohort as NDJSON lines (each ends with a newline), patient after patient.

    Args:
        cohort: The cohort.
        resource_type: Only these resource types (e.g. ``"Observation"`` for a per-type Bulk Data file).

    Raises:
        ConfigurationError: An unknown resource type.
    """
    wanted = _wanted(resource_type)
    for record in cohort.records():
        for resource in patient_resources(record):
            if resource["resourceType"] in wanted:
                yield json.dumps(resource, separators=(",", ":"), ensure_ascii=False) + "\n"


def iter_fhir_ndjson(
    cohort: Cohort, *, resource_type: str | Collection[str] | None = None, chunk_size: int = _DEFAULT_CHUNK
) -> Iterator[bytes]:
    """Yield the cohort as UTF-8 NDJSON in chunks of whole lines of about ``chunk_size`` bytes.

    Args:
        cohort: The cohort.
        resource_type: Only these resource types.
        chunk_size: The size from which a chunk is emitted (a chunk never splits a line).

    Raises:
        ConfigurationError: An unknown resource type or a chunk size below 1.
    """
    if chunk_size < 1:
        raise ConfigurationError(f"chunk_size must be >= 1, not {chunk_size}")
    parts: list[bytes] = []
    size = 0
    for line in iter_fhir_lines(cohort, resource_type=resource_type):
        data = line.encode("utf-8")
        parts.append(data)
        size += len(data)
        if size >= chunk_size:
            yield b"".join(parts)
            parts, size = [], 0
    if parts:
        yield b"".join(parts)


def write_fhir_ndjson(cohort: Cohort, directory: str | os.PathLike[str]) -> dict[str, Path]:
    """Write a Bulk Data export: one ``<ResourceType>.ndjson`` file per type, in one streaming pass.

    Args:
        cohort: The cohort.
        directory: An existing or new directory.

    Returns:
        Resource type -> the file written.

    Raises:
        ConfigurationError: The directory cannot be created or written.
    """
    folder = Path(directory)
    paths = {kind: folder / f"{kind}.ndjson" for kind in RESOURCE_TYPES}
    with ExitStack() as stack:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handles = {
                kind: stack.enter_context(path.open("w", encoding="utf-8", newline="\n"))
                for kind, path in paths.items()
            }
        except OSError as exc:
            raise ConfigurationError(f"cannot write FHIR NDJSON to {folder}: {exc.strerror or exc}") from exc
        for record in cohort.records():
            for resource in patient_resources(record):
                handles[resource["resourceType"]].write(
                    json.dumps(resource, separators=(",", ":"), ensure_ascii=False) + "\n"
                )
    return paths
