"""Statistics of a synthetic cohort computed while generating it (no pandas), in HealthDCAT-AP shape."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from d4h_sdk.health.readers import (
    DEFAULT_AGE_BASE,
    DEFAULT_COUNT_BASE,
    HealthStatistics,
    coding_system_of,
    round_count,
)
from d4h_sdk.sandbox.synthetic._model import Coding, Cohort, PatientRecord

__all__ = ["CohortSummary", "summarize"]


@dataclass(frozen=True)
class CohortSummary:
    """Exact figures of a generated cohort (for tests and for the published, rounded statistics).

    Attributes:
        rows: CSV rows (visits for diabetes, patients for oncology).
        patients: Distinct persons.
        resources: FHIR resources per resource type.
        birth_dates: Every person's date of birth, in generation order.
        temporal_start: The earliest event date of the CSV (every ``date`` column but ``birth_date``).
        temporal_end: The latest event date.
        coding_systems: HealthDCAT-AP coding-system codes of all codings written (``ICD-10``, ``LOINC``...).
        codes: Condition codes (ICD-10, ICD-O-3) -> number of persons.
    """

    rows: int
    patients: int
    resources: Mapping[str, int]
    birth_dates: tuple[date, ...]
    temporal_start: date | None
    temporal_end: date | None
    coding_systems: tuple[str, ...]
    codes: Mapping[str, int] = field(default_factory=dict)

    def ages(self, reference: date | None = None) -> tuple[int, ...]:
        """Ages in whole years on ``reference`` (default: :attr:`temporal_end`)."""
        ref = reference or self.temporal_end or date.today()
        return tuple(
            ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))
            for born in self.birth_dates
        )

    def statistics(
        self, *, count_base: int = DEFAULT_COUNT_BASE, age_base: int = DEFAULT_AGE_BASE
    ) -> HealthStatistics:
        """The statistics to publish, rounded as :func:`~d4h_sdk.health.readers.profile_dataset` rounds them.

        Records are the CSV rows; ages are taken on the last event date; the typical-age range is the full
        range rounded outwards to multiples of ``age_base``.
        """
        ages = self.ages()
        low = min(ages) // age_base * age_base if ages else None
        high = -(-max(ages) // age_base) * age_base if ages else None
        return HealthStatistics(
            number_of_records=round_count(self.rows, count_base),
            number_of_unique_individuals=round_count(self.patients, count_base),
            min_typical_age=low,
            max_typical_age=high,
            temporal_start=self.temporal_start,
            temporal_end=self.temporal_end,
            coding_systems=self.coding_systems,
        )


def _record_systems(record: PatientRecord, found: set[str]) -> None:
    codings: list[Coding] = [c for cond in record.conditions for c in cond.codings]
    codings += [cond.morphology for cond in record.conditions if cond.morphology is not None]
    for obs in record.observations:
        codings.append(obs.code)
        codings += [component.code for component in obs.components]
        if obs.unit or any(component.unit for component in obs.components):
            found.add("UCUM")
    codings += [med.code for med in record.medications]
    for system in {c.system for c in codings}:
        code = coding_system_of(system)
        if code:
            found.add(code)


def summarize(cohort: Cohort) -> CohortSummary:
    """Generate the cohort once and count what it contains (memory: the birth dates only)."""
    date_columns = [str(c.name) for c in cohort.columns() if c.datatype == "date" and c.name != "birth_date"]
    rows = 0
    resources: Counter[str] = Counter()
    births: list[date] = []
    low: date | None = None
    high: date | None = None
    systems: set[str] = set()
    codes: Counter[str] = Counter()
    for record in cohort.records():
        births.append(record.person.birth_date)
        rows += len(record.rows)
        for row in record.rows:
            for name in date_columns:
                text = row.get(name)
                if isinstance(text, str) and text:
                    day = date.fromisoformat(text)
                    low = day if low is None or day < low else low
                    high = day if high is None or day > high else high
        resources.update(
            {
                "Patient": 1,
                "Condition": len(record.conditions),
                "Observation": len(record.observations),
                "MedicationStatement": len(record.medications),
            }
        )
        _record_systems(record, systems)
        person_codes = {c.code for cond in record.conditions for c in cond.codings}
        person_codes |= {cond.morphology.code for cond in record.conditions if cond.morphology is not None}
        codes.update(person_codes)
    return CohortSummary(
        rows=rows,
        patients=len(births),
        resources=dict(resources),
        birth_dates=tuple(births),
        temporal_start=low,
        temporal_end=high,
        coding_systems=tuple(sorted(systems)),
        codes=dict(codes),
    )
