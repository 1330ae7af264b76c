"""pySHACL against the official R8 non-public shapes (read in place), agreeing with the built-in checker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health.healthdcat import (
    AccessRights,
    HealthDataset,
    Severity,
    read_healthdcat,
    to_turtle,
    validate,
    validate_shacl,
)

pytest.importorskip("pyshacl")


def test_builder_output_validates_against_the_non_public_shapes(
    complete: HealthDataset, shapes: Path
) -> None:
    report = validate_shacl(complete, shapes=shapes, access_level=AccessRights.NON_PUBLIC)
    assert report.conforms, str(report)
    assert report.findings == ()
    assert validate_shacl(to_turtle(complete), shapes=str(shapes)).conforms  # Turtle text, path as str


def test_shapes_may_be_given_as_bytes(complete: HealthDataset, shapes: Path) -> None:
    assert validate_shacl(complete, shapes=shapes.read_bytes()).conforms


@pytest.mark.parametrize(
    ("change", "builtin_path", "shacl_message"),
    [
        ({"hdab": None}, "hdab", "exactly one healthdcatap:hdab"),
        ({"keywords": ()}, "keywords", "at least one dcat:keyword"),
        ({"distributions": ()}, "distributions", "at least one dcat:distribution"),
        ({"health_categories": ()}, "health_categories", "at least one healthdcatap:healthCategory"),
        ({"variables": ()}, "variables", "must include at least one healthdcatap:hasVariables"),
        ({"has_structured_data": None}, "has_structured_data", "exactly one healthdcatap:hasStructuredData"),
        ({"access_rights": AccessRights.PUBLIC.value}, "access_rights", "exactly one dct:accessRights"),
    ],
)
def test_builtin_checker_and_shacl_agree_on_violations(
    complete: HealthDataset, shapes: Path, change: dict[str, Any], builtin_path: str, shacl_message: str
) -> None:
    broken = complete.model_copy(update=change)
    builtin = validate(broken, access_level=AccessRights.NON_PUBLIC)
    assert builtin_path in {f.path for f in builtin.errors}
    shacl = validate_shacl(broken, shapes=shapes)
    assert not shacl.conforms
    assert any(shacl_message in f.message and f.source == "shacl" for f in shacl.errors), str(shacl)


def test_shacl_findings_name_the_focus_node_and_property(complete: HealthDataset, shapes: Path) -> None:
    assert complete.distributions
    bad = complete.distributions[0].model_copy(update={"applicable_legislation": ()})
    report = validate_shacl(complete.model_copy(update={"distributions": (bad,)}), shapes=shapes)
    finding = next(f for f in report.errors if f.property == "dcatap:applicableLegislation")
    assert finding.severity is Severity.ERROR
    assert "dcat:Distribution is required" in finding.message


def test_single_property_examples_are_not_complete_datasets(r8: Path, shapes: Path) -> None:
    report = validate_shacl((r8 / "examples" / "dpvhasPurpose.ttl").read_bytes(), shapes=shapes)
    assert not report.conforms
    assert validate(read_healthdcat((r8 / "examples" / "dpvhasPurpose.ttl").read_bytes())).errors


def test_missing_or_broken_shapes(complete: HealthDataset, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        validate_shacl(complete, shapes=tmp_path / "absent.ttl")
    with pytest.raises(ConfigurationError, match="not valid Turtle"):
        validate_shacl(complete, shapes=b"@prefix sh: <http://www.w3.org/ns/shacl#> . sh:x sh:y")
