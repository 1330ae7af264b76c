"""The health layer: HealthDCAT-AP Release 8 metadata and the ``dataset.health`` view.

The HealthDCAT-AP model, builder, vocabularies, reader and validators live in
:mod:`d4h_sdk.health.healthdcat`; the most used names are re-exported here. Importing this package loads
neither rdflib, pyld, pySHACL nor pandas.
"""

from __future__ import annotations

from d4h_sdk.health._view import health_view, to_asset_properties
from d4h_sdk.health.healthdcat import (
    EHDS_ELI,
    AccessRights,
    CodingSystem,
    DataTheme,
    HealthCategory,
    HealthDataset,
    HealthDatasetBuilder,
    HealthTheme,
    ValidationReport,
    read_healthdcat,
    to_jsonld,
    to_turtle,
    validate,
    validate_shacl,
)

__all__ = [
    "EHDS_ELI",
    "AccessRights",
    "CodingSystem",
    "DataTheme",
    "HealthCategory",
    "HealthDataset",
    "HealthDatasetBuilder",
    "HealthTheme",
    "ValidationReport",
    "health_view",
    "read_healthdcat",
    "to_asset_properties",
    "to_jsonld",
    "to_turtle",
    "validate",
    "validate_shacl",
]
