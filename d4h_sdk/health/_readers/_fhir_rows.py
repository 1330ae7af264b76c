"""Flatten single FHIR R4 resources into plain rows (dicts); no pandas here.

Every extractor is tolerant of absent elements (they become ``None``) and strict about values it must parse
(dates): a bad value raises :class:`RowError`, which the reader reports with the line number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from d4h_sdk.health._readers._codes import ATC, ICD10, LOINC, SNOMED, coding_system_of
from d4h_sdk.health._readers._dates import parse_date, parse_datetime

__all__ = ["COLUMNS", "EXTRACTORS", "FRAME_OF", "RowError"]

Row = dict[str, Any]
_MIN_YEAR, _MAX_YEAR = 1678, 2261

COLUMNS: Mapping[str, Sequence[str]] = {
    "patients": ("id", "gender", "birth_date", "deceased", "deceased_date", "country"),
    "conditions": (
        "id",
        "patient_id",
        "code",
        "system",
        "coding_system",
        "icd10_code",
        "snomed_code",
        "display",
        "clinical_status",
        "onset",
    ),
    "observations": (
        "id",
        "patient_id",
        "code",
        "system",
        "loinc_code",
        "display",
        "panel_code",
        "value",
        "unit",
        "value_code",
        "value_system",
        "value_string",
        "effective",
        "status",
    ),
    "medication_statements": (
        "id",
        "patient_id",
        "code",
        "system",
        "atc_code",
        "display",
        "medication_ref",
        "status",
        "effective",
    ),
}
"""The columns of each frame, in order."""

FRAME_OF: Mapping[str, str] = {
    "Patient": "patients",
    "Condition": "conditions",
    "Observation": "observations",
    "MedicationStatement": "medication_statements",
}
"""FHIR resource type -> frame name."""


class RowError(ValueError):
    """A resource has a value the reader cannot accept (internal; reported with its line number)."""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _ref_id(reference: object, resource_type: str = "Patient") -> str | None:
    """``Patient/123``, ``https://x/fhir/Patient/123/_history/2`` -> ``123``; other references as given."""
    ref = _str(_obj(reference).get("reference"))
    if ref is None:
        return None
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == resource_type and parts[index + 1]:
            return parts[index + 1]
    return ref


def _codings(concept: object) -> list[tuple[str | None, str, str | None]]:
    found = []
    for coding in _list(_obj(concept).get("coding")):
        code = _str(_obj(coding).get("code"))
        if code is not None:
            found.append((_str(coding.get("system")), code, _str(coding.get("display"))))
    return found


def _pick(codings: list[tuple[str | None, str, str | None]], preferred: Sequence[str]) -> tuple[Any, ...]:
    for system in preferred:
        for coding in codings:
            if coding[0] == system:
                return coding
    return codings[0] if codings else (None, None, None)


def _code_of(codings: list[tuple[str | None, str, str | None]], system: str) -> str | None:
    return next((code for sys, code, _ in codings if sys == system), None)


def _when(resource: Mapping[str, Any], prefix: str, element: str) -> datetime | None:
    """The ``<prefix>DateTime`` / ``Instant`` / ``Period.start`` of a resource, in UTC (naive = UTC)."""
    text = _str(resource.get(f"{prefix}DateTime")) or _str(resource.get(f"{prefix}Instant"))
    source = f"{element}.{prefix}DateTime"
    if text is None:
        text = _str(_obj(resource.get(f"{prefix}Period")).get("start"))
        source = f"{element}.{prefix}Period.start"
    if text is None:
        return None
    try:
        moment = parse_datetime(text)
    except ValueError as exc:
        raise RowError(f"{source}: {exc}") from exc
    _in_range(moment.year, source)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _in_range(year: int, source: str) -> None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:  # the range of datetime64[ns]
        raise RowError(f"{source}: year outside {_MIN_YEAR}-{_MAX_YEAR}")


def _patient(resource: Mapping[str, Any]) -> Iterator[Row]:
    patient_id = _str(resource.get("id"))
    if patient_id is None:
        raise RowError("Patient has no id")
    birth: date | None = None
    if (text := _str(resource.get("birthDate"))) is not None:
        try:
            birth = parse_date(text)
        except ValueError as exc:
            raise RowError(f"Patient.birthDate: {exc}") from exc
        _in_range(birth.year, "Patient.birthDate")
    deceased: bool | None = resource.get("deceasedBoolean") if "deceasedBoolean" in resource else None
    deceased_date = _when(resource, "deceased", "Patient")
    if deceased_date is not None:
        deceased = True
    addresses = [_obj(a) for a in _list(resource.get("address"))]
    home = next((a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else {})
    yield {
        "id": patient_id,
        "gender": _str(resource.get("gender")),
        "birth_date": birth,
        "deceased": deceased if isinstance(deceased, bool) else None,
        "deceased_date": deceased_date,
        "country": _str(home.get("country")),
    }


def _condition(resource: Mapping[str, Any]) -> Iterator[Row]:
    codings = _codings(resource.get("code"))
    system, code, display = _pick(codings, (ICD10, SNOMED))
    status = _pick(_codings(resource.get("clinicalStatus")), ())[1]
    yield {
        "id": _str(resource.get("id")),
        "patient_id": _ref_id(resource.get("subject")),
        "code": code,
        "system": system,
        "coding_system": coding_system_of(system),
        "icd10_code": _code_of(codings, ICD10),
        "snomed_code": _code_of(codings, SNOMED),
        "display": display or _str(_obj(resource.get("code")).get("text")),
        "clinical_status": status,
        "onset": _when(resource, "onset", "Condition"),
    }


def _value(element: Mapping[str, Any]) -> Row:
    quantity = _obj(element.get("valueQuantity"))
    number = quantity.get("value")
    for key in ("valueInteger", "valueDecimal"):
        if number is None and key in element:
            number = element[key]
    value_system, value_code, _ = _pick(_codings(element.get("valueCodeableConcept")), ())
    text = element.get("valueString")
    if isinstance(element.get("valueBoolean"), bool):
        text = "true" if element["valueBoolean"] else "false"
    return {
        "value": float(number) if isinstance(number, (int, float)) and not isinstance(number, bool) else None,
        "unit": _str(quantity.get("unit")) or _str(quantity.get("code")),
        "value_code": value_code,
        "value_system": value_system,
        "value_string": _str(text),
    }


def _observation(resource: Mapping[str, Any]) -> Iterator[Row]:
    codings = _codings(resource.get("code"))
    system, code, display = _pick(codings, (LOINC,))
    base = {
        "id": _str(resource.get("id")),
        "patient_id": _ref_id(resource.get("subject")),
        "effective": _when(resource, "effective", "Observation"),
        "status": _str(resource.get("status")),
    }
    components = [_obj(c) for c in _list(resource.get("component"))]
    own = _value(resource)
    if not components or any(v is not None for v in own.values()):
        yield {
            **base,
            "code": code,
            "system": system,
            "loinc_code": _code_of(codings, LOINC),
            "display": display,
            "panel_code": None,
            **own,
        }
    for component in components:
        parts = _codings(component.get("code"))
        c_system, c_code, c_display = _pick(parts, (LOINC,))
        yield {
            **base,
            "code": c_code,
            "system": c_system,
            "loinc_code": _code_of(parts, LOINC),
            "display": c_display,
            "panel_code": code,
            **_value(component),
        }


def _medication_statement(resource: Mapping[str, Any]) -> Iterator[Row]:
    concept = resource.get("medicationCodeableConcept")
    if concept is None:  # R5 spelling, accepted for convenience
        concept = _obj(resource.get("medication")).get("concept")
    codings = _codings(concept)
    system, code, display = _pick(codings, (ATC,))
    reference = _str(_obj(resource.get("medicationReference")).get("reference"))
    yield {
        "id": _str(resource.get("id")),
        "patient_id": _ref_id(resource.get("subject")),
        "code": code,
        "system": system,
        "atc_code": _code_of(codings, ATC),
        "display": display or _str(_obj(concept).get("text")),
        "medication_ref": reference,
        "status": _str(resource.get("status")),
        "effective": _when(resource, "effective", "MedicationStatement"),
    }


EXTRACTORS: Mapping[str, Callable[[Mapping[str, Any]], Iterator[Row]]] = {
    "Patient": _patient,
    "Condition": _condition,
    "Observation": _observation,
    "MedicationStatement": _medication_statement,
}
"""FHIR resource type -> function yielding its rows."""
