"""The plain records a synthetic cohort yields, shared by the cohorts and the CSV / FHIR writers."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from d4h_sdk.health.healthdcat import Column, column

__all__ = [
    "Cohort",
    "Coding",
    "Component",
    "ConditionRecord",
    "MedicationRecord",
    "ObservationRecord",
    "PatientRecord",
    "PersonRecord",
    "Value",
    "patient_rng",
]

Value = float | int | str | None
"""A measured value: a number (with a UCUM unit), a string, or nothing."""


@dataclass(frozen=True)
class Coding:
    """A code from a code system (FHIR ``Coding``).

    Attributes:
        system: The code-system URI (``http://loinc.org``).
        code: The code (``4548-4``).
        display: A human-readable label.
    """

    system: str
    code: str
    display: str


@dataclass(frozen=True)
class PersonRecord:
    """A synthetic person (FHIR ``Patient``): obviously fake name, Luxembourg address."""

    id: str
    gender: str
    """``female`` or ``male`` (FHIR administrative gender)."""
    birth_date: date
    country: str = "LU"


@dataclass(frozen=True)
class ConditionRecord:
    """A diagnosis (FHIR ``Condition``).

    Attributes:
        id: The resource id.
        patient_id: The person's id.
        codings: ICD-10 first, then SNOMED CT when known.
        onset: The date of diagnosis.
        morphology: The ICD-O-3 morphology (oncology), or ``None``.
    """

    id: str
    patient_id: str
    codings: tuple[Coding, ...]
    onset: date
    morphology: Coding | None = None


@dataclass(frozen=True)
class Component:
    """One component of a panel observation (systolic / diastolic, T / N / M)."""

    code: Coding
    value: Value
    unit: str | None = None


@dataclass(frozen=True)
class ObservationRecord:
    """A measurement (FHIR ``Observation``).

    Attributes:
        id: The resource id.
        patient_id: The person's id.
        code: The LOINC code.
        effective: When it was measured.
        value: The value (``None`` for a panel that only has components).
        unit: The UCUM unit of a numeric value.
        category: ``laboratory``, ``vital-signs``, ``exam`` or ``survey``.
        components: Panel components.
    """

    id: str
    patient_id: str
    code: Coding
    effective: datetime
    value: Value
    unit: str | None = None
    category: str = "laboratory"
    components: tuple[Component, ...] = ()


@dataclass(frozen=True)
class MedicationRecord:
    """A drug taken (FHIR ``MedicationStatement``), coded with ATC."""

    id: str
    patient_id: str
    code: Coding
    start: date
    end: date | None = None

    @property
    def status(self) -> str:
        """``active`` when there is no end date, else ``completed``."""
        return "active" if self.end is None else "completed"


@dataclass(frozen=True)
class PatientRecord:
    """Everything generated for one patient: resources for FHIR and rows for CSV."""

    person: PersonRecord
    conditions: tuple[ConditionRecord, ...] = ()
    observations: tuple[ObservationRecord, ...] = ()
    medications: tuple[MedicationRecord, ...] = ()
    rows: tuple[Mapping[str, Value], ...] = field(default=())
    """The CSV rows of this patient, keyed by column name (values already rounded)."""


class Cohort(Protocol):
    """A deterministic synthetic cohort: the same ``seed`` and ``patients`` give the same data."""

    @property
    def name(self) -> str:
        """A short name (``diabetes``, ``oncology``), used in ids and file names."""

    @property
    def seed(self) -> int:
        """The seed."""

    @property
    def patients(self) -> int:
        """The number of patients."""

    def columns(self) -> tuple[Column, ...]:
        """The CSVW columns of the CSV form, in file order."""

    def records(self) -> Iterator[PatientRecord]:
        """Generate the patients one at a time (nothing is kept in memory)."""


def patient_rng(seed: int, cohort: str, index: int) -> random.Random:
    """An independent, reproducible random generator for one patient of one cohort.

    Seeding with a string uses SHA-512 of it, so the stream does not depend on ``PYTHONHASHSEED``.
    """
    return random.Random(f"d4h-synthetic/{cohort}/{seed}/{index}")


def add_days(day: date, days: float) -> date:
    """``day`` plus a (rounded) number of days."""
    return date.fromordinal(day.toordinal() + int(round(days)))


def clamp(value: float, low: float, high: float) -> float:
    """``value`` limited to ``[low, high]``."""
    return min(max(value, low), high)


def csvw_columns(specs: tuple[tuple[str, str, str, str | None], ...]) -> tuple[Column, ...]:
    """Turn a cohort's column table into CSVW columns (a LOINC code becomes the column's property URL)."""
    return tuple(
        column(
            name,
            datatype,
            description=description,
            property_url=f"https://loinc.org/{loinc}/" if loinc else None,
        )
        for name, datatype, description, loinc in specs
    )
