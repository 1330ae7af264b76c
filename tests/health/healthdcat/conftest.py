"""Fixtures for the HealthDCAT-AP tests: the official R8 folder and a complete dataset built with the SDK."""

from __future__ import annotations

from pathlib import Path

import pytest

from d4h_sdk.health.healthdcat import (
    CodingSystem,
    DatasetType,
    HealthCategory,
    HealthDataset,
    HealthDatasetBuilder,
    HealthTheme,
    LegalBasis,
    PeriodOfTime,
    PersonalData,
    PublisherType,
    Purpose,
    Standard,
    column,
)


@pytest.fixture(scope="session")
def r8(shared_fixtures: Path) -> Path:
    """The official HealthDCAT-AP R8 fixtures folder (read in place)."""
    path = shared_fixtures / "healthdcat" / "official-r8"
    if not path.is_dir():
        pytest.skip(f"official HealthDCAT-AP R8 fixtures not found under {path}")
    return path


@pytest.fixture(scope="session")
def shapes(r8: Path) -> Path:
    return r8 / "non-public-shapes.ttl"


def build_complete() -> HealthDataset:
    """A NON_PUBLIC diabetes cohort with every mandatory and recommended property."""
    return (
        HealthDatasetBuilder(
            "https://hospital.example/ds/diabetes-2024",
            title="Retrospective diabetes cohort",
            description="Anonymised visits of 2,400 patients of a diabetes clinic, 2018-2024.",
        )
        .set(
            identifier="HRS-DIAB-2024",
            keywords=["HbA1c", "diabetes"],  # the reader returns sets in sorted order
            types=[DatasetType.SYNTHETIC_DATA],
            provenance="Extracted from the hospital EHR and de-identified (k=5).",
            health_categories=[HealthCategory.EHRS],
            health_themes=[HealthTheme.NONCOMMUNICABLE_DISEASES],
            coding_systems=[CodingSystem.ICD_10, CodingSystem.LOINC],
            code_values=["E10", "E11"],
            conforms_to=[Standard.FHIR],
            population_coverage="Adults treated at the diabetes clinic",
            number_of_records=19000,
            number_of_unique_individuals=2400,
            min_typical_age=35,
            max_typical_age=85,
            retention_period=PeriodOfTime(start="2024-01-01", end="2034-12-31"),
            purposes=[Purpose(id="https://w3id.org/dpv/legal/eu/ehds#HealthcareScientificResearch")],
            legal_bases=[LegalBasis(id="https://w3id.org/dpv#Consent")],
            personal_data=[PersonalData.AGE, PersonalData.GENDER],
            temporal=[PeriodOfTime(start="2018-01-01", end="2024-12-31")],
            spatial=["http://publications.europa.eu/resource/authority/country/LUX"],
            issued="2024-06-01",
        )
        .hdab("HDAB-LU (preparatory)", email="hdab@example.lu", type=PublisherType.NON_GOV_ORG)
        .publisher("Example Hospital", email="data@hospital.example", description="Data office.")
        .set(custodian=None)
        .contact(email="data@hospital.example")
        .distribution(access_url="https://hospital.example/dsp", title="Pseudonymised CSV")
        .distribution(access_url="https://hospital.example/stats", kind="analytics", title="Counts")
        .distribution(access_url="https://hospital.example/sample", kind="samples", title="Synthetic sample")
        .variables(
            "Diabetes visit variables",
            [
                column("visit_date", "date", description="Date of the visit"),
                column("hba1c", "decimal", title="HbA1c (%)", description="HbA1c, LOINC 4548-4"),
            ],
        )
        .build()
    )


@pytest.fixture
def complete() -> HealthDataset:
    return build_complete()
