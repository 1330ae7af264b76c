"""Synthetic health data for the sandbox: deterministic cohorts, CSV / FHIR writers, datasets, a big file.

Everything is generated from a seed with :class:`random.Random` (no numpy) and streamed: the same seed and
size always give the same bytes, and memory does not grow with the size.

```python
from d4h_sdk.sandbox.synthetic import DiabetesCohort, iter_csv, iter_fhir_ndjson, default_datasets

cohort = DiabetesCohort(seed=1, patients=50)
with open("cohort.csv", "wb") as out:
    for chunk in iter_csv(cohort):
        out.write(chunk)
datasets = default_datasets(seed=1, patients=50)     # metadata + offers for the sandbox provider
```
"""

from __future__ import annotations

from d4h_sdk.sandbox.synthetic._bigfile import BLOCK_SIZE, GIB, BigFile
from d4h_sdk.sandbox.synthetic._catalog import (
    DATASET_IRI_BASE,
    DEFAULT_ACCESS_URL,
    SandboxDataset,
    cohort_payloads,
    default_datasets,
)
from d4h_sdk.sandbox.synthetic._csv import CSV_MEDIA_TYPE, csvw_metadata, iter_csv, write_csv
from d4h_sdk.sandbox.synthetic._diabetes import DIABETES_TYPES, DiabetesCohort, ifcc_from_ngsp
from d4h_sdk.sandbox.synthetic._fhir import (
    FHIR_NDJSON_MEDIA_TYPE,
    RESOURCE_TYPES,
    iter_fhir_lines,
    iter_fhir_ndjson,
    patient_resources,
    write_fhir_ndjson,
)
from d4h_sdk.sandbox.synthetic._model import (
    Coding,
    Cohort,
    Component,
    ConditionRecord,
    MedicationRecord,
    ObservationRecord,
    PatientRecord,
    PersonRecord,
)
from d4h_sdk.sandbox.synthetic._oncology import ICDO3, SITES, CancerSite, OncologyCohort, stage_group
from d4h_sdk.sandbox.synthetic._payload import Payload
from d4h_sdk.sandbox.synthetic._stats import CohortSummary, summarize

__all__ = [
    "BLOCK_SIZE",
    "CSV_MEDIA_TYPE",
    "DATASET_IRI_BASE",
    "DEFAULT_ACCESS_URL",
    "DIABETES_TYPES",
    "FHIR_NDJSON_MEDIA_TYPE",
    "GIB",
    "ICDO3",
    "RESOURCE_TYPES",
    "SITES",
    "BigFile",
    "CancerSite",
    "Coding",
    "Cohort",
    "CohortSummary",
    "Component",
    "ConditionRecord",
    "DiabetesCohort",
    "MedicationRecord",
    "ObservationRecord",
    "OncologyCohort",
    "PatientRecord",
    "Payload",
    "PersonRecord",
    "SandboxDataset",
    "cohort_payloads",
    "csvw_metadata",
    "default_datasets",
    "ifcc_from_ngsp",
    "iter_csv",
    "iter_fhir_lines",
    "iter_fhir_ndjson",
    "patient_resources",
    "stage_group",
    "summarize",
    "write_csv",
    "write_fhir_ndjson",
]
