"""The official HealthDCAT-AP R8 example and single-property examples, read in place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from d4h_sdk.errors import DecodeError
from d4h_sdk.health.healthdcat import (
    DGA_ELI,
    AccessRights,
    CodingSystem,
    HealthCategory,
    HealthDataset,
    HealthTheme,
    PersonalData,
    read_healthdcat,
    validate,
    validate_shacl,
)

DATASET = "https://fair.healthdata.be/dataset/d43a158e-7d13-4660-bbc3-9d3f8d5501e5"


def test_official_example_reads_every_r8_property(r8: Path) -> None:
    ds = read_healthdcat((r8 / "example-healthdcat-dataset.ttl").read_bytes())
    assert ds.id == "https://healthdcat-ap.example.org/release-7/example/dataset-oncology-ehrs-2024"
    assert ds.title_text("en") == "Cross-border oncology EHR cohort 2024"
    assert ds.access_rights == AccessRights.NON_PUBLIC
    assert ds.applicable_legislation == (DGA_ELI,)  # the example still cites the DGA, not the EHDS
    assert ds.health_categories == (HealthCategory.EHRS.value,)
    assert ds.health_themes == (HealthTheme.HEALTH_SYSTEMS.value,)
    assert ds.coding_systems == (CodingSystem.SNOMED_CT.value,)
    assert ds.code_values == ("U07.1",)
    assert (ds.number_of_records, ds.number_of_unique_individuals) == (1850000, 412000)
    assert (ds.min_typical_age, ds.max_typical_age) == (18, 99)
    assert ds.retention_period is not None
    assert (ds.retention_period.start, ds.retention_period.end) == (date(2020, 1, 1), date(2035, 12, 31))
    assert ds.hdab is not None and ds.hdab.contact_point is not None
    assert ds.hdab.contact_point.email == "hdab-contact@example.org"
    assert ds.hdab_coordinator is not None and ds.custodian is not None
    assert ds.publisher is not None and ds.publisher.description  # the R8 publisher note
    assert ds.contact_points[0].email == "oncology-dataset-support@example.org"
    assert ds.has_structured_data is True
    columns = ds.variables[0].tables[0].columns
    assert {c.name for c in columns} == {
        "patientId",
        "encounterDate",
        "primaryDiagnosisCode",
        "tumourStage",
        "vitalStatus",
    }
    assert len(ds.distributions) == 2 and len(ds.analytics) == 1 and len(ds.samples) == 1
    assert ds.personal_data == (PersonalData.AGE.value, PersonalData.GENDER.value)
    assert ds.purposes[0].description and ds.legal_bases[0].sources == (DGA_ELI,)
    assert ds.quality_annotations[0].body == "https://quality.example.org/certificates/oncology-ehrs-2024"
    assert ds.generated_by[0].type.endswith("health-activity/ROUTINE_RECORDS")  # type: ignore[union-attr]


def test_official_example_passes_the_builtin_checker_with_only_the_dga_warnings(r8: Path) -> None:
    ds = read_healthdcat((r8 / "example-healthdcat-dataset.ttl").read_bytes())
    report = validate(ds, access_level=AccessRights.NON_PUBLIC)
    assert report.conforms, str(report)
    assert {f.property for f in report.warnings} == {"dcatap:applicableLegislation"}


def test_official_example_validates_against_the_official_shapes(r8: Path, shapes: Path) -> None:
    raw = (r8 / "example-healthdcat-dataset.ttl").read_bytes()
    assert validate_shacl(raw, shapes=shapes).conforms
    assert validate_shacl(read_healthdcat(raw), shapes=shapes).conforms  # after our read + write


SINGLE: dict[str, Callable[[HealthDataset], bool]] = {
    "dpvhasLegalBasis.ttl": lambda ds: len(ds.legal_bases) == 1 and len(ds.legal_bases[0].sources) == 2,
    "dpvhasPersonalData.ttl": lambda ds: (
        set(ds.personal_data) == {PersonalData.AGE.value, PersonalData.GENDER.value}
    ),
    "dpvhasPurpose.ttl": lambda ds: ds.purposes[0].description[0].language == "de",
    "healthdcataphasCodingSystem.ttl": lambda ds: (
        set(ds.coding_systems) == {CodingSystem.ICD_10.value, CodingSystem.SNOMED_CT.value}
    ),
    "healthdcataphdab.ttl": lambda ds: (
        ds.hdab is not None
        and ds.hdab.name_text() == "Health Data Access Body France"
        and ds.hdab.contact_point is not None
        and ds.hdab.contact_point.email == "hdab-contact@example.com"
    ),
    "healthdcataphealththeme.ttl": lambda ds: ds.health_themes == (HealthTheme.ANTIMICROBIAL_CONTROL.value,),
    "healthdcatapretentionperiod.ttl": lambda ds: (
        ds.retention_period is not None and ds.retention_period.end == date(2034, 12, 31)
    ),
    # published with the lower-case local name `trusteddataholder`
    "healthdcataptrusteddataholder.ttl": lambda ds: ds.trusted_data_holder is True,
}


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_single_property_examples_parse(r8: Path, name: str) -> None:
    ds = read_healthdcat((r8 / "examples" / name).read_text(encoding="utf-8"))
    assert ds.id == DATASET
    assert SINGLE[name](ds)


def test_every_single_property_example_is_covered(r8: Path) -> None:
    names = {p.name for p in (r8 / "examples").glob("*.ttl")}
    assert names == set(SINGLE) | {"healthdcataphealthCategory.ttl"}


def test_health_category_example_is_invalid_turtle_as_published(r8: Path) -> None:
    # The dataset triple `healthdcatap:healthCategory <…/EHRS>` is not closed with `.`, so the next
    # statement's subject IRI is read where `.`, `;` or `,` must come: a syntax error at line 10.
    text = (r8 / "examples" / "healthdcataphealthCategory.ttl").read_text(encoding="utf-8")
    with pytest.raises(DecodeError, match="line 10"):
        read_healthdcat(text)
    lines = text.splitlines()
    fixed_line = next(
        i for i, line in enumerate(lines) if "healthcategories/EHRS> " in line and "healthCategory" in line
    )
    lines[fixed_line] = lines[fixed_line].rstrip() + " ."
    assert read_healthdcat("\n".join(lines)).health_categories == (HealthCategory.EHRS.value,)
