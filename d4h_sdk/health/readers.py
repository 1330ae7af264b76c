"""Readers for health data (extra ``[pandas]``).

FHIR R4 NDJSON to DataFrames, CSV typed by CSVW variables, and profiling into HealthDCAT-AP statistics.
pandas is imported on first use.
"""

from __future__ import annotations

from d4h_sdk.health._profile import (
    DEFAULT_AGE_BASE,
    DEFAULT_COUNT_BASE,
    HealthStatistics,
    profile_dataset,
    round_count,
)
from d4h_sdk.health._readers import (
    ATC,
    CODING_SYSTEM_BASE,
    ICD10,
    LOINC,
    SNOMED,
    SYSTEM_TO_CODING_SYSTEM,
    CsvwColumn,
    CsvwColumnLike,
    FhirFrames,
    NdjsonError,
    coding_system_of,
    read_csv_typed,
    read_fhir_ndjson,
)

__all__ = [
    "ATC",
    "CODING_SYSTEM_BASE",
    "CsvwColumn",
    "CsvwColumnLike",
    "DEFAULT_AGE_BASE",
    "DEFAULT_COUNT_BASE",
    "FhirFrames",
    "HealthStatistics",
    "ICD10",
    "LOINC",
    "NdjsonError",
    "SNOMED",
    "SYSTEM_TO_CODING_SYSTEM",
    "coding_system_of",
    "profile_dataset",
    "read_csv_typed",
    "read_fhir_ndjson",
    "round_count",
]
