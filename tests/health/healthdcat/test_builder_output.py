"""Builder defaults and the JSON-LD / Turtle output, read back by the reader."""

from __future__ import annotations

import json
import warnings

import pytest
from pydantic import ValidationError

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health.healthdcat import (
    EHDS_ELI,
    NS,
    PLACEHOLDER_HDAB_ID,
    AccessRights,
    DataTheme,
    HealthCategory,
    HealthDataset,
    HealthDatasetBuilder,
    agent,
    jsonld_context,
    read_healthdcat,
    to_jsonld,
    to_turtle,
)


def test_builder_fills_the_r8_defaults(complete: HealthDataset) -> None:
    assert complete.access_rights == AccessRights.NON_PUBLIC.value
    assert complete.themes == (DataTheme.HEAL.value,)
    assert complete.applicable_legislation == (EHDS_ELI,)
    assert all(d.applicable_legislation == (EHDS_ELI,) for d in complete.all_distributions())
    assert complete.has_structured_data is True
    assert complete.health_categories == (HealthCategory.EHRS.value,)  # enum members stored as IRIs


def test_unstructured_when_no_variables() -> None:
    ds = HealthDatasetBuilder("urn:x", title="t").build()
    assert ds.has_structured_data is False


def test_model_is_immutable(complete: HealthDataset) -> None:
    with pytest.raises(ValidationError):
        complete.title = ()  # type: ignore[misc]


def test_builder_rejects_unknown_fields_and_bad_values() -> None:
    with pytest.raises(ConfigurationError, match="unknown HealthDataset field"):
        HealthDatasetBuilder().set(healthCategory="x")
    with pytest.raises(ConfigurationError, match="unknown HealthDataset field"):
        HealthDatasetBuilder().add("colour", "red")
    with pytest.raises(ConfigurationError, match="number_of_records"):
        HealthDatasetBuilder().set(number_of_records=-1).build()
    with pytest.raises(ConfigurationError, match="contact"):
        agent("HDAB")
    with pytest.raises(ConfigurationError, match="kind"):
        HealthDatasetBuilder().distribution(access_url="https://e.org", kind="extra")
    with pytest.raises(ConfigurationError, match="email= or url="):
        HealthDatasetBuilder().contact()


def test_add_appends_after_set() -> None:
    ds = HealthDatasetBuilder().set(keywords=["a"]).add("keywords", "b").build()
    assert [k.value for k in ds.keywords] == ["a", "b"]


def test_placeholder_hdab_warns_and_is_kept() -> None:
    with pytest.warns(UserWarning, match="placeholder"):
        ds = HealthDatasetBuilder("urn:x").placeholder_hdab(email="access@hospital.example").build()
    assert ds.hdab is not None and ds.hdab.id == PLACEHOLDER_HDAB_ID
    assert "healthdcatap:hdab" in to_jsonld(ds)


def test_jsonld_uses_the_r8_prefixes(complete: HealthDataset) -> None:
    doc = to_jsonld(complete)
    assert doc["@context"] == jsonld_context() == NS
    assert doc["@type"] == "dcat:Dataset"
    assert doc["healthdcatap:healthCategory"] == [{"@id": HealthCategory.EHRS.value}]
    assert doc["healthdcatap:numberOfRecords"] == {"@value": "19000", "@type": "xsd:nonNegativeInteger"}
    assert doc["dcatap:applicableLegislation"] == [{"@id": EHDS_ELI}]
    assert doc["healthdcatap:hdab"]["cv:contactPoint"]["@type"] == "cv:ContactPoint"
    assert doc["dcat:contactPoint"][0]["vcard:hasEmail"] == {"@id": "mailto:data@hospital.example"}
    assert (
        doc["healthdcatap:hasVariables"][0]["csvw:table"][0]["csvw:column"][1]["csvw:datatype"] == "decimal"
    )
    json.dumps(doc)  # JSON-serialisable


def test_jsonld_and_turtle_round_trip(complete: HealthDataset) -> None:
    assert read_healthdcat(to_jsonld(complete)) == complete
    assert read_healthdcat(json.dumps(to_jsonld(complete))) == complete
    turtle = to_turtle(complete)
    assert "@prefix healthdcatap: <http://healthdataportal.eu/ns/health#>" in turtle
    assert "^^xsd:string" not in turtle
    assert read_healthdcat(turtle) == complete


def test_turtle_output_of_the_official_example_round_trips(r8) -> None:  # type: ignore[no-untyped-def]
    ds = read_healthdcat((r8 / "example-healthdcat-dataset.ttl").read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_healthdcat(to_turtle(ds)) == ds
