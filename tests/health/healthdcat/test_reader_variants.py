"""The tolerant reader: older releases, other vocabulary hosts, CKAN / Wikidata variants, JSON-LD mixes."""

from __future__ import annotations

import json

import pytest

from d4h_sdk.errors import DecodeError
from d4h_sdk.health.healthdcat import (
    CodingSystem,
    HealthCategory,
    HealthTheme,
    PersonalData,
    PublisherType,
    normalise_iri,
    read_healthdcat,
)

R8 = "https://hdeu-dcat.data.health.europa.eu/resource/authority/"

# Written for these tests in the style of pre-R8 / CKAN descriptions (development host, Wikidata coding
# systems, dataset-level publisher note and type, an HDAB with foaf:mbox, DPV-PD 2, https namespace).
CKAN_STYLE = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix h: <https://healthdataportal.eu/ns/health#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://example.org/ds/1> a dcat:Resource, dcat:Dataset ;
    dct:title "Legacy cohort" ;
    h:healthCategory <http://13.81.34.152:1101/resource/authority/healthcategories/ehrs> ,
        <http://example.com/ontology/resource/authority/healthcategories/PHDR> ;
    h:healthTheme <https://hdeu-dcat.acceptance.data.health.europa.eu/resource/authority/health-theme/CANCER_DISEASE> ;
    h:hasCodingSystem <http://www.wikidata.org/entity/P494>, <http://www.wikidata.org/entity/P4229> ;
    h:hasCodeValues <http://example.com/code1> ;
    h:publisherNote "Registry of the national institute." ;
    h:publisherType <http://13.81.34.152:1101/resource/authority/publisher-type/public-health-registry> ;
    h:trustedDataHolder "true"^^xsd:boolean ;
    h:numberOfRecords "120"^^xsd:nonNegativeInteger ;
    h:minTypicalAge "0" ;
    h:hdab [ a foaf:Organization ; foaf:name "EU HDAB" ; foaf:mbox <mailto:hdab@example.com> ;
             foaf:homepage <https://hdab.example.com> ] ;
    dct:publisher [ a foaf:Agent ; foaf:name "Institute" ; foaf:mbox <mailto:info@example.com> ] ;
    dct:type [ a <http://www.w3.org/2004/02/skos/core#Concept> ;
        <http://www.w3.org/2004/02/skos/core#inScheme>
        <http://publications.europa.eu/resource/authority/dataset-type/PERSONAL_DATA> ] ;
    <https://w3id.org/dpv#hasPersonalData> <https://w3id.org/dpv/pd#Age> ;
    <https://w3id.org/dpv#hasPurpose> <https://w3id.org/dpv#AcademicResearch> .
"""


def test_ckan_and_development_host_variants_are_normalised_to_r8() -> None:
    ds = read_healthdcat(CKAN_STYLE)
    assert set(ds.health_categories) == {HealthCategory.EHRS.value, HealthCategory.PHDR.value}
    assert ds.health_themes == (HealthTheme.CANCER_DISEASE.value,)
    assert CodingSystem.ICD_10.value in ds.coding_systems
    assert "http://www.wikidata.org/entity/P4229" in ds.coding_systems  # ICD-10-CM: no R8 code, kept
    assert ds.code_values == ("http://example.com/code1",)
    assert ds.publisher is not None
    assert ds.publisher.description[0].value == "Registry of the national institute."
    assert ds.publisher.type == PublisherType.PUBLIC_HEALTH_REGISTRY.value
    assert ds.trusted_data_holder is True
    assert ds.number_of_records == 120 and ds.min_typical_age == 0
    assert ds.hdab is not None and ds.hdab.contact_point is not None
    assert ds.hdab.contact_point.email == "hdab@example.com"
    assert ds.hdab.contact_point.contact_page == "https://hdab.example.com"
    assert ds.types == ("http://publications.europa.eu/resource/authority/dataset-type/PERSONAL_DATA",)
    assert ds.personal_data == (PersonalData.AGE.value,)
    assert ds.purposes[0].id == "https://w3id.org/dpv#AcademicResearch"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://13.81.34.152:1101/resource/authority/coding-system/ICD-10", CodingSystem.ICD_10.value),
        (
            "https://hdeu-dcat.acceptance.data.health.europa.eu/resource/authority/healthcategories/EHRS",
            R8 + "healthcategories/EHRS",
        ),
        ("https://www.wikidata.org/entity/P4338", CodingSystem.LOINC.value),
        ("https://w3id.org/dpv/pd#Gender", PersonalData.GENDER.value),
        (
            "http://publications.europa.eu/resource/authority/data-theme/HEAL",
            "http://publications.europa.eu/resource/authority/data-theme/HEAL",
        ),
    ],
)
def test_normalise_iri(given: str, expected: str) -> None:
    assert normalise_iri(given) == expected


def test_jsonld_with_prefixed_and_unprefixed_keys_and_no_context() -> None:
    doc = {
        "@id": "http://example.org/ds/2",
        "@type": "dcat:Dataset",
        "dct:title": {"@value": "Mixed", "@language": "en"},
        "healthCategory": {"@id": "http://13.81.34.152:1101/resource/authority/healthcategories/EHRS"},
        "healthdcatap:healthTheme": "https://example.org/resource/authority/health-theme/mental_health",
        "http://healthdataportal.eu/ns/health#numberOfUniqueIndividuals": 42,
        "hasStructuredData": False,
    }
    for source in (doc, json.dumps(doc), json.dumps(doc).encode()):
        ds = read_healthdcat(source)
        assert ds.title_text("en") == "Mixed"
        assert ds.health_categories == (HealthCategory.EHRS.value,)
        assert ds.health_themes == (HealthTheme.MENTAL_HEALTH.value,)
        assert ds.number_of_unique_individuals == 42
        assert ds.has_structured_data is False


def test_a_documents_own_context_wins_over_the_fallback() -> None:
    doc = {
        "@context": {"h": "http://healthdcat-ap.eu/ns#", "title": "http://purl.org/dc/terms/title"},
        "@id": "http://example.org/ds/3",
        "h:healthcategory": {"@id": R8 + "healthcategories/DIOH"},
        "title": "Own context",
    }
    ds = read_healthdcat(doc)
    assert ds.title_text() == "Own context"
    assert ds.health_categories == (HealthCategory.DIOH.value,)


def test_several_datasets_need_a_subject() -> None:
    text = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <http://e.org/a> a dcat:Dataset ; dct:title "A" . <http://e.org/b> a dcat:Dataset ; dct:title "B" ."""
    with pytest.raises(DecodeError, match="subject="):
        read_healthdcat(text)
    assert read_healthdcat(text, subject="http://e.org/b").title_text() == "B"
    with pytest.raises(DecodeError, match="nothing about"):
        read_healthdcat(text, subject="http://e.org/c")


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("@prefix dct: <http://purl.org/dc/terms/> . <http://e.org/a> dct:title 'x' .", "no dataset"),
        ("{not json", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("<http://e.org/a> <http://e.org/p> .", "not valid turtle"),
        ('{"@context": "https://unknown.example/context.jsonld", "@id": "http://e.org/a"}', "JSON-LD"),
    ],
)
def test_unreadable_sources_raise_decode_error(source: str | bytes, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        read_healthdcat(source)


def test_values_that_do_not_fit_are_dropped_not_guessed() -> None:
    text = """@prefix h: <http://healthdataportal.eu/ns/health#> .
    <http://e.org/a> h:healthCategory <http://e.org/x> ; h:numberOfRecords "-3" ; h:maxTypicalAge "about 90" ."""
    ds = read_healthdcat(text)
    assert ds.health_categories == ("http://e.org/x",)
    assert ds.number_of_records is None and ds.max_typical_age is None
