"""Readers of health payloads into pandas DataFrames (extra ``[pandas]``, imported lazily).

* :func:`read_fhir_ndjson` — FHIR R4 Bulk Data NDJSON -> :class:`FhirFrames`;
* :func:`read_csv_typed` — CSV typed by CSVW column descriptions (:class:`CsvwColumn`).
"""

from __future__ import annotations

from d4h_sdk.health._readers._codes import (
    ATC,
    CODING_SYSTEM_BASE,
    ICD10,
    LOINC,
    SNOMED,
    SYSTEM_TO_CODING_SYSTEM,
    coding_system_of,
)
from d4h_sdk.health._readers._csv import CsvwColumn, CsvwColumnLike, read_csv_typed
from d4h_sdk.health._readers._fhir import FhirFrames, NdjsonError, read_fhir_ndjson

__all__ = [
    "ATC",
    "CODING_SYSTEM_BASE",
    "ICD10",
    "LOINC",
    "SNOMED",
    "SYSTEM_TO_CODING_SYSTEM",
    "CsvwColumn",
    "CsvwColumnLike",
    "FhirFrames",
    "NdjsonError",
    "coding_system_of",
    "read_csv_typed",
    "read_fhir_ndjson",
]
