"""The built-in checker: mandatory and recommended rules per access level, messages for data stewards."""

from __future__ import annotations

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health.healthdcat import (
    AccessRights,
    Column,
    HealthDataset,
    HealthDatasetBuilder,
    Severity,
    Table,
    TableGroup,
    placeholder_hdab,
    validate,
)


def _errors(ds: HealthDataset, level: AccessRights = AccessRights.NON_PUBLIC) -> set[str]:
    return {f.path for f in validate(ds, access_level=level).errors}


def test_complete_dataset_conforms_with_only_recommendation_warnings(complete: HealthDataset) -> None:
    report = validate(complete, access_level=AccessRights.NON_PUBLIC)
    assert report.conforms and bool(report)
    assert {f.path for f in report.warnings} == {"custodian", "quality_annotations"}
    assert report.access_level is AccessRights.NON_PUBLIC
    assert "conforms for NON_PUBLIC: 0 error(s), 2 warning(s)" in str(report)


def test_empty_dataset_lists_every_mandatory_gap_in_plain_words() -> None:
    report = validate(HealthDataset(), access_level="NON_PUBLIC")
    assert not report.conforms
    assert {f.path for f in report.errors} == {
        "title",
        "description",
        "identifier",
        "themes",
        "access_rights",
        "applicable_legislation",
        "health_categories",
        "hdab",
        "distributions",
        "has_structured_data",
        "contact_points",
        "keywords",
        "types",
        "provenance",
    }
    hdab = next(f for f in report.errors if f.path == "hdab")
    assert "placeholder_hdab" in hdab.message and hdab.property == "healthdcatap:hdab"


@pytest.mark.parametrize("level", [AccessRights.PUBLIC, AccessRights.RESTRICTED])
def test_non_public_extras_are_only_recommended_for_other_levels(
    complete: HealthDataset, level: AccessRights
) -> None:
    ds = complete.model_copy(
        update={
            "access_rights": level.value,
            "contact_points": (),
            "keywords": (),
            "types": (),
            "provenance": (),
        }
    )
    report = validate(ds, access_level=level)
    assert report.conforms, str(report)
    assert {"contact_points", "keywords", "types", "provenance"} <= {f.path for f in report.warnings}
    assert {"contact_points", "keywords", "types", "provenance"} <= _errors(ds)  # NON_PUBLIC: errors


def test_access_level_defaults_to_the_datasets_and_must_match(complete: HealthDataset) -> None:
    assert validate(complete).access_level is AccessRights.NON_PUBLIC
    report = validate(complete, access_level=AccessRights.PUBLIC)
    assert "access_rights" in {f.path for f in report.errors}
    with pytest.raises(ConfigurationError, match="unknown access level"):
        validate(complete, access_level="SECRET")


def test_distribution_rules_cover_analytics_and_samples(complete: HealthDataset) -> None:
    bad = complete.analytics[0].model_copy(update={"applicable_legislation": (), "access_url": None})
    errors = _errors(complete.model_copy(update={"analytics": (bad,)}))
    assert errors == {"analytics[0].applicable_legislation", "analytics[0].access_url"}


def test_agents_need_a_contact_point(complete: HealthDataset) -> None:
    assert complete.hdab is not None and complete.publisher is not None
    assert complete.publisher.contact_point is not None
    hdab = complete.hdab.model_copy(update={"contact_point": None})
    no_email = complete.publisher.contact_point.model_copy(update={"email": None})
    publisher = complete.publisher.model_copy(update={"contact_point": no_email})
    assert _errors(complete.model_copy(update={"hdab": hdab, "publisher": publisher})) == {
        "hdab.contact_point",
        "publisher.contact_point",
    }


def test_placeholder_hdab_is_a_warning(complete: HealthDataset) -> None:
    report = validate(complete.model_copy(update={"hdab": placeholder_hdab(email="x@example.org")}))
    assert report.conforms
    assert any(f.path == "hdab" and "placeholder" in f.message for f in report.warnings)


def test_structured_data_needs_well_formed_variables(complete: HealthDataset) -> None:
    assert _errors(complete.model_copy(update={"variables": ()})) == {"variables"}
    bad_column = Column(name="dob", title="Birth date", description="d", datatype="DateTime")
    group = TableGroup(
        title="g",
        tables=(
            Table(
                title="t",
                columns=(bad_column, Column(name="x")),
            ),
        ),
    )
    report = validate(complete.model_copy(update={"variables": (group,)}))
    paths = {f.path for f in report.errors}
    assert paths == {
        "variables[0].tables[0].columns[0].datatype",
        "variables[0].tables[0].columns[1].title",
        "variables[0].tables[0].columns[1].description",
        "variables[0].tables[0].columns[1].datatype",
    }
    assert any("case-sensitive" in f.message for f in report.errors)
    assert _errors(complete.model_copy(update={"variables": (TableGroup(),)})) == {
        "variables[0].title",
        "variables[0].tables",
    }


def test_inconsistent_numbers(complete: HealthDataset) -> None:
    ds = complete.model_copy(
        update={"min_typical_age": 90, "max_typical_age": 20, "number_of_unique_individuals": 10**6}
    )
    report = validate(ds)
    assert "min_typical_age" in {f.path for f in report.errors}
    assert "number_of_unique_individuals" in {f.path for f in report.warnings}


def test_unknown_vocabulary_values_and_missing_ehds_are_warnings(complete: HealthDataset) -> None:
    ds = complete.model_copy(
        update={
            "health_categories": ("https://e.org/diabetes",),
            "applicable_legislation": ("http://data.europa.eu/eli/reg/2022/868/oj",),
        }
    )
    report = validate(ds)
    assert report.conforms
    messages = [f.message for f in report.warnings]
    assert any("not a health category" in m for m in messages)
    assert any("EHDS" in m for m in messages)
    assert all(f.severity is Severity.WARNING for f in report.warnings)


def test_builder_output_needs_nothing_more_than_the_builder(complete: HealthDataset) -> None:
    ds = HealthDatasetBuilder("urn:x", title="t", description="d").build()
    assert (
        "hdab" in _errors(ds) and "themes" not in _errors(ds) and "applicable_legislation" not in _errors(ds)
    )
