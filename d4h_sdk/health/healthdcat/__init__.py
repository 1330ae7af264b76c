"""HealthDCAT-AP Release 8: typed model, builder, vocabularies, JSON-LD / Turtle output, reader, validation.

```python
from d4h_sdk.health.healthdcat import (
    EHDS_ELI, CodingSystem, HealthCategory, HealthDatasetBuilder, HealthTheme, column, validate,
)

ds = (
    HealthDatasetBuilder("https://hospital.example/ds/diabetes", title="Diabetes cohort", description="...")
    .set(identifier="HRS-DIAB-2024", health_categories=[HealthCategory.EHRS], keywords=["diabetes"])
    .hdab("HDAB-LU", email="hdab@example.lu")
    .distribution(access_url="https://hospital.example/dsp")
    .build()
)
print(validate(ds))          # mandatory / recommended rules for the access level
```

rdflib is imported only by :func:`to_turtle`, :func:`read_healthdcat` and :func:`validate_shacl`; pySHACL
(extra ``[shacl]``) only by :func:`validate_shacl`.
"""

from __future__ import annotations

from d4h_sdk.health.healthdcat._builder import (
    PLACEHOLDER_HDAB_ID,
    HealthDatasetBuilder,
    agent,
    column,
    placeholder_hdab,
)
from d4h_sdk.health.healthdcat._checks import CSVW_DATATYPES, validate
from d4h_sdk.health.healthdcat._jsonld import context as jsonld_context
from d4h_sdk.health.healthdcat._jsonld import to_jsonld, to_turtle
from d4h_sdk.health.healthdcat._model import (
    Activity,
    Agent,
    Column,
    ContactPoint,
    Distribution,
    HealthDataset,
    Kind,
    LegalBasis,
    PeriodOfTime,
    Purpose,
    QualityAnnotation,
    Table,
    TableGroup,
)
from d4h_sdk.health.healthdcat._normalise import normalise_iri
from d4h_sdk.health.healthdcat._reader import read_healthdcat
from d4h_sdk.health.healthdcat._report import Finding, Severity, ValidationReport
from d4h_sdk.health.healthdcat._shacl import validate_shacl
from d4h_sdk.health.healthdcat._vocab import (
    DGA_ELI,
    EHDS_ELI,
    NAL_BASE,
    NS,
    AccessRights,
    CodingSystem,
    DatasetType,
    DataTheme,
    HealthActivity,
    HealthCategory,
    HealthTheme,
    PersonalData,
    PublisherType,
    Standard,
)

__all__ = [
    "CSVW_DATATYPES",
    "DGA_ELI",
    "EHDS_ELI",
    "NAL_BASE",
    "NS",
    "PLACEHOLDER_HDAB_ID",
    "AccessRights",
    "Activity",
    "Agent",
    "CodingSystem",
    "Column",
    "ContactPoint",
    "DataTheme",
    "DatasetType",
    "Distribution",
    "Finding",
    "HealthActivity",
    "HealthCategory",
    "HealthDataset",
    "HealthDatasetBuilder",
    "HealthTheme",
    "Kind",
    "LegalBasis",
    "PeriodOfTime",
    "PersonalData",
    "PublisherType",
    "Purpose",
    "QualityAnnotation",
    "Severity",
    "Standard",
    "Table",
    "TableGroup",
    "ValidationReport",
    "agent",
    "column",
    "jsonld_context",
    "normalise_iri",
    "placeholder_hdab",
    "read_healthdcat",
    "to_jsonld",
    "to_turtle",
    "validate",
    "validate_shacl",
]
