from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health._profile import HealthStatistics, profile_dataset, round_count
from d4h_sdk.health._readers import read_fhir_ndjson

R8 = "https://hdeu-dcat.data.health.europa.eu/resource/authority/coding-system/"


def test_fhir_profile_exact(bulk_dir: Path) -> None:
    stats = profile_dataset(read_fhir_ndjson(bulk_dir), count_base=1, age_base=1)
    assert stats == HealthStatistics(
        number_of_records=12,
        number_of_unique_individuals=3,
        min_typical_age=53,  # p1, born 1971-03-02, on 2024-06-30 (end of coverage)
        max_typical_age=75,  # p3, born 1949-01-15
        temporal_start=date(2018, 5, 4),
        temporal_end=date(2024, 6, 30),
        coding_systems=("ATC", "ICD-10", "LOINC"),
    )
    assert stats.coding_system_iris == (R8 + "ATC", R8 + "ICD-10", R8 + "LOINC")


def test_fhir_profile_rounded_by_default(bulk_dir: Path) -> None:
    stats = profile_dataset(read_fhir_ndjson(bulk_dir), reference_date=date(2025, 12, 31))
    # 12 records -> 10; 3 individuals -> 10, never 0
    assert (stats.number_of_records, stats.number_of_unique_individuals) == (10, 10)
    assert (stats.min_typical_age, stats.max_typical_age) == (50, 80)  # 54 -> 50 down, 76 -> 80 up


def test_individuals_include_subjects_without_patient_resource(all_lines: list[str]) -> None:
    frames = read_fhir_ndjson(all_lines, resource_type="Observation")
    stats = profile_dataset(frames, count_base=1, coding_systems=["http://snomed.info/sct", "OMOP"])
    assert stats.number_of_unique_individuals == 3 and stats.number_of_records == 4
    assert stats.min_typical_age is None and stats.max_typical_age is None
    assert stats.coding_systems == ("LOINC", "OMOP", "SNOMED-CT")


def test_dataframe_profile() -> None:
    df = pd.DataFrame(
        {
            "person": ["a", "a", "b", "c", None],
            "birth": pd.to_datetime(["1950-01-01"] * 2 + ["1980-06-15", "2001-12-31", None]),
            "visit": pd.to_datetime(["2020-01-01", "2021-03-04", "2019-07-08", None, "2022-02-02"]),
        }
    )
    stats = profile_dataset(
        df, person_column="person", birth_date_column="birth", count_base=1, coding_systems=["ICD-10"]
    )
    assert stats.number_of_records == 5 and stats.number_of_unique_individuals == 3
    assert (stats.temporal_start, stats.temporal_end) == (date(2019, 7, 8), date(2022, 2, 2))
    assert (stats.min_typical_age, stats.max_typical_age) == (20, 75)  # 20 and 72 on 2022-02-02
    ages = pd.DataFrame({"age": [34, 47, 91, 60, 58, 55, 52, 49, 41, 39]})
    typical = profile_dataset(ages, age_column="age", age_quantiles=(0.1, 0.9))
    assert (typical.min_typical_age, typical.max_typical_age) == (35, 65)
    assert typical.number_of_unique_individuals is None and typical.temporal_start is None


def test_round_count_and_options() -> None:
    assert [round_count(n) for n in (0, 1, 4, 5, 14, 15, 2404)] == [0, 10, 10, 10, 10, 20, 2400]
    assert round_count(7, 1) == 7
    with pytest.raises(ConfigurationError):
        round_count(7, 0)
    with pytest.raises(ConfigurationError, match="not in the table"):
        profile_dataset(pd.DataFrame({"a": [1]}), person_column="b")
    with pytest.raises(ConfigurationError, match="age_quantiles"):
        profile_dataset(pd.DataFrame({"a": [1]}), age_quantiles=(0.9, 0.1))
