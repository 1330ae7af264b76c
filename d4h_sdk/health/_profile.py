"""Profiling of a FHIR or tabular dataset into the statistics HealthDCAT-AP publishes (extra ``[pandas]``).

Published statistics are rounded by default so that they do not disclose exact small numbers or extreme
individuals: counts to the nearest multiple of ``count_base`` (10), the typical-age range outwards to
multiples of ``age_base`` (5): the minimum down, the maximum up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health._readers._codes import CODING_SYSTEM_BASE, coding_system_of
from d4h_sdk.health._readers._fhir import FhirFrames
from d4h_sdk.health._readers._lazy import pandas

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = ["DEFAULT_AGE_BASE", "DEFAULT_COUNT_BASE", "HealthStatistics", "profile_dataset", "round_count"]

DEFAULT_COUNT_BASE = 10
"""Counts are rounded to the nearest multiple of 10 (an SDK choice; notes/health.md §8.2 asks to round)."""
DEFAULT_AGE_BASE = 5
"""Typical ages are rounded outwards to multiples of 5 years (an SDK choice)."""


@dataclass(frozen=True)
class HealthStatistics:
    """Dataset statistics in the shape of the HealthDCAT-AP R8 properties.

    Attributes:
        number_of_records: ``healthdcatap:numberOfRecords`` (rounded).
        number_of_unique_individuals: ``healthdcatap:numberOfUniqueIndividuals`` (rounded); ``None`` when the
            data identify no persons.
        min_typical_age: ``healthdcatap:minTypicalAge`` (rounded down), or ``None`` without ages.
        max_typical_age: ``healthdcatap:maxTypicalAge`` (rounded up), or ``None``.
        temporal_start: Earliest event date (``dct:temporal`` / ``dcat:startDate``), or ``None``.
        temporal_end: Latest event date (``dcat:endDate``), or ``None``.
        coding_systems: HealthDCAT-AP coding-system codes found (``"ICD-10"``, ``"LOINC"``, ...), sorted.
    """

    number_of_records: int
    number_of_unique_individuals: int | None
    min_typical_age: int | None
    max_typical_age: int | None
    temporal_start: date | None
    temporal_end: date | None
    coding_systems: tuple[str, ...] = ()

    @property
    def coding_system_iris(self) -> tuple[str, ...]:
        """The R8 IRIs of :attr:`coding_systems` (for ``healthdcatap:hasCodingSystem``)."""
        return tuple(CODING_SYSTEM_BASE + code for code in self.coding_systems)


def round_count(count: int, base: int = DEFAULT_COUNT_BASE) -> int:
    """Round a count to the nearest multiple of ``base`` (halves up); ``base`` 1 keeps it exact.

    A positive count never rounds to 0: 1 to ``base - 1`` become ``base`` (a dataset is not published as
    empty, and the exact small number is not disclosed).

    Args:
        count: A non-negative count.
        base: The rounding base (>= 1).

    Returns:
        The rounded count.
    """
    if base < 1:
        raise ConfigurationError(f"a rounding base must be at least 1, not {base}")
    rounded = int(math.floor(count / base + 0.5)) * base
    return base if count > 0 and rounded == 0 else rounded


def _age_range(ages: Any, base: int, quantiles: tuple[float, float]) -> tuple[int | None, int | None]:
    ages = ages.dropna()
    if ages.empty:
        return None, None
    low, high = float(ages.quantile(quantiles[0])), float(ages.quantile(quantiles[1]))
    return int(math.floor(low / base) * base), int(math.ceil(high / base) * base)


def _ages(pd: Any, birth_dates: Any, reference: date) -> Any:
    born = pd.to_datetime(birth_dates)
    ref = pd.Timestamp(reference)
    before_birthday = (born.dt.month > ref.month) | ((born.dt.month == ref.month) & (born.dt.day > ref.day))
    return (ref.year - born.dt.year - before_birthday.astype("Int64")).astype("Float64")


def _bounds(pd: Any, columns: Iterable[Any]) -> tuple[date | None, date | None]:
    lows, highs = [], []
    for column in columns:
        values = pd.to_datetime(column, utc=getattr(column.dtype, "tz", None) is not None).dropna()
        if not values.empty:
            lows.append(values.min().date())
            highs.append(values.max().date())
    return (min(lows) if lows else None, max(highs) if highs else None)


def _check_options(count_base: int, age_base: int, quantiles: tuple[float, float]) -> None:
    if count_base < 1 or age_base < 1:
        raise ConfigurationError("count_base and age_base must be at least 1")
    if not 0.0 <= quantiles[0] <= quantiles[1] <= 1.0:
        raise ConfigurationError(f"age_quantiles must satisfy 0 <= low <= high <= 1, not {quantiles!r}")


def profile_dataset(
    data: FhirFrames | pd.DataFrame,
    *,
    person_column: str | None = None,
    birth_date_column: str | None = None,
    age_column: str | None = None,
    date_columns: Sequence[str] | None = None,
    coding_systems: Iterable[str] = (),
    reference_date: date | None = None,
    count_base: int = DEFAULT_COUNT_BASE,
    age_base: int = DEFAULT_AGE_BASE,
    age_quantiles: tuple[float, float] = (0.0, 1.0),
) -> HealthStatistics:
    """Compute the HealthDCAT-AP statistics of a dataset.

    For :class:`FhirFrames`: records are the resources read, individuals the distinct patient ids (from the
    Patient resources and the subjects of the other resources), ages come from ``birthDate`` on the reference
    date, the temporal coverage spans condition onsets, observation and medication dates, and the coding
    systems are those of the codings found. For a DataFrame: records are rows; name the person, birth-date or
    age and date columns (all ``datetime64`` columns other than the birth date are used when ``date_columns``
    is not given); coding systems cannot be inferred from a table: pass them.

    Args:
        data: FHIR frames from :func:`read_fhir_ndjson`, or a DataFrame (e.g. from :func:`read_csv_typed`).
        person_column: DataFrame only: the column identifying the person.
        birth_date_column: DataFrame only: the date-of-birth column (ignored when ``age_column`` is given).
        age_column: DataFrame only: a column of ages in years.
        date_columns: DataFrame only: the event-date columns for the temporal coverage.
        coding_systems: Coding-system codes to add (``"ICD-10"``) or FHIR system URIs (mapped to codes).
        reference_date: The day ages are computed on; default the end of the temporal coverage, else today.
        count_base: Rounding base of the counts (1 = exact).
        age_base: Rounding base of the typical ages (1 = exact).
        age_quantiles: The quantiles taken as "typical" minimum and maximum; ``(0.0, 1.0)`` is the full range,
            ``(0.05, 0.95)`` ignores the extreme 5 % on either side.

    Returns:
        The statistics.

    Raises:
        ConfigurationError: A named column does not exist, or an option is invalid.
    """
    _check_options(count_base, age_base, age_quantiles)
    pd = pandas()
    systems = {coding_system_of(s) or s for s in coding_systems}
    if isinstance(data, FhirFrames):
        records = sum(data.resource_counts.values())
        people: set[str] = set(data.patients["id"].dropna())
        for frame in (data.conditions, data.observations, data.medication_statements):
            people.update(frame["patient_id"].dropna())
            systems.update(code for code in map(coding_system_of, frame["system"].dropna()) if code)
        individuals: int | None = len(people)
        start, end = _bounds(
            pd,
            [
                data.conditions["onset"],
                data.observations["effective"],
                data.medication_statements["effective"],
            ],
        )
        ages = _ages(pd, data.patients["birth_date"], reference_date or end or date.today())
    else:
        for name in (person_column, birth_date_column, age_column, *(date_columns or ())):
            if name is not None and name not in data.columns:
                raise ConfigurationError(f"column {name!r} is not in the table")
        records = len(data)
        individuals = int(data[person_column].nunique(dropna=True)) if person_column else None
        if date_columns is None:
            date_columns = [
                c
                for c in data.columns
                if c != birth_date_column and pd.api.types.is_datetime64_any_dtype(data[c])
            ]
        start, end = _bounds(pd, [data[c] for c in date_columns])
        if age_column is not None:
            ages = pd.to_numeric(data[age_column], errors="coerce").astype("Float64")
        elif birth_date_column is not None:
            ages = _ages(pd, data[birth_date_column], reference_date or end or date.today())
        else:
            ages = pd.Series([], dtype="Float64")
    low, high = _age_range(ages[ages >= 0] if len(ages) else ages, age_base, age_quantiles)
    return HealthStatistics(
        number_of_records=round_count(records, count_base),
        number_of_unique_individuals=None if individuals is None else round_count(individuals, count_base),
        min_typical_age=low,
        max_typical_age=high,
        temporal_start=start,
        temporal_end=end,
        coding_systems=tuple(sorted(systems)),
    )
