"""Facet reading and DatasetFilter over the sandbox's HealthDCAT-AP datasets."""

from __future__ import annotations

from typing import Any

import pytest

from d4h_sdk.catalog import FACETS, DatasetFilter, read_facets
from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health import AccessRights, CodingSystem, HealthCategory, HealthTheme
from d4h_sdk.models import Dataset

HEALTH = "http://healthdataportal.eu/ns/health#"


def _ids(views: list[Dataset], **facets: Any) -> list[str | None]:
    wanted = DatasetFilter(**facets)
    return [item.id for item in views if wanted.matches(item)]


def test_facets_are_read_from_absolute_iri_keys(hospital_views: list[Dataset]) -> None:
    facets = read_facets(hospital_views[0])
    assert facets.id == "diabetes-cohort"
    assert facets.title == ("Synthetic diabetes cohort (record level)",)
    assert facets.health_themes == (HealthTheme.NONCOMMUNICABLE_DISEASES.value,)
    assert facets.access_rights == (AccessRights.NON_PUBLIC.value,)
    assert "E11" in facets.codes and "diabetes" in facets.keywords
    assert facets.records is not None and facets.individuals == 30
    assert facets.min_age is not None and facets.max_age is not None and facets.min_age < facets.max_age


def test_facets_are_read_from_prefixed_bare_and_plain_values() -> None:
    raw = {
        "@id": "urn:ds:1",
        "dct:title": {"@value": "Registry", "@language": "en"},
        "healthdcatap:healthCategory": "http://13.81.34.152:1101/healthcategories/EHRS",
        "healthTheme": [{"@id": HealthTheme.CANCER_DISEASE.value}],
        "https://healthdcat-ap.eu/ns#hasCodingSystem": {"@id": "http://www.wikidata.org/entity/P494"},
        "dcterms:accessRights": {"@id": AccessRights.PUBLIC.value},
        f"{HEALTH}numberOfRecords": {"@value": "1200", "@type": "xsd:nonNegativeInteger"},
        "minTypicalAge": 18,
        "unrelated": "x",
    }
    facets = read_facets(raw)
    assert facets.title == ("Registry",)
    assert facets.health_categories == ("http://13.81.34.152:1101/healthcategories/EHRS",)
    assert facets.health_themes == (HealthTheme.CANCER_DISEASE.value,)
    assert facets.coding_systems == (CodingSystem.ICD_10.value,)
    assert facets.records == 1200 and facets.min_age == 18 and facets.max_age is None
    # the same concept on an old vocabulary host matches the R8 IRI, the enum and the term
    for value in ("EHRS", "ehrs", HealthCategory.EHRS, HealthCategory.EHRS.value):
        assert DatasetFilter(health_category=[value]).matches(raw)
    assert DatasetFilter(coding_system="ICD-10").matches(raw)
    assert not DatasetFilter(coding_system="SNOMED-CT").matches(raw)


def test_each_iri_facet_selects(hospital_views: list[Dataset]) -> None:
    everything = ["diabetes-cohort", "oncology-cohort", "diabetes-sample", "benchmark-file"]
    assert _ids(hospital_views) == everything
    assert _ids(hospital_views, health_category="EHRS") == everything
    assert _ids(hospital_views, health_theme="NONCOMMUNICABLE_DISEASES") == [
        "diabetes-cohort",
        "diabetes-sample",
    ]
    assert _ids(hospital_views, health_theme=HealthTheme.CANCER_DISEASE) == ["oncology-cohort"]
    assert _ids(hospital_views, health_theme=["CANCER_DISEASE", "NONCOMMUNICABLE_DISEASES"]) == everything[:3]
    assert _ids(hospital_views, coding_system="ICD-O") == ["oncology-cohort"]
    assert _ids(hospital_views, conforms_to="FHIR") == everything[:3]
    assert _ids(hospital_views, access_rights="public") == ["diabetes-sample", "benchmark-file"]
    assert _ids(hospital_views, access_rights=AccessRights.NON_PUBLIC) == everything[:2]
    assert _ids(hospital_views, health_theme="NONCOMMUNICABLE_DISEASES", access_rights="PUBLIC") == [
        "diabetes-sample"
    ]


def test_codes_match_codes_sub_codes_and_keywords(hospital_views: list[Dataset]) -> None:
    assert _ids(hospital_views, codes=["E11"]) == ["diabetes-cohort", "diabetes-sample"]
    assert _ids(hospital_views, codes=["e11.9"]) == ["diabetes-cohort", "diabetes-sample"]
    assert _ids(hospital_views, codes=["C50"]) == ["oncology-cohort"]
    assert _ids(hospital_views, codes=["E1"]) == []  # a code is not a string prefix
    assert _ids(hospital_views, codes=["benchmark"]) == ["benchmark-file"]  # keywords count


def test_age_range_overlap_and_record_counts(hospital_views: list[Dataset]) -> None:
    ages = {item.id: (read_facets(item).min_age, read_facets(item).max_age) for item in hospital_views}
    oncology_min = ages["oncology-cohort"][0]
    assert oncology_min is not None
    below = oncology_min - 1
    assert "oncology-cohort" not in _ids(hospital_views, max_age=below)
    assert "oncology-cohort" in _ids(hospital_views, max_age=oncology_min)
    assert _ids(hospital_views, min_age=200) == []
    assert "benchmark-file" not in _ids(hospital_views, min_age=0)  # no age range: no match
    records = {item.id: read_facets(item).records for item in hospital_views}
    big = max(value for value in records.values() if value is not None)
    assert _ids(hospital_views, min_records=big) == [k for k, v in records.items() if v == big]
    assert _ids(hospital_views, min_records=big + 1) == []


def test_free_text_needs_every_word(hospital_views: list[Dataset]) -> None:
    assert _ids(hospital_views, text="diabetes") == ["diabetes-cohort", "diabetes-sample"]
    assert _ids(hospital_views, text="Diabetes PUBLIC") == ["diabetes-sample"]
    assert _ids(hospital_views, text="TNM") == ["oncology-cohort"]
    assert _ids(hospital_views, text="diabetes tumour") == []


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"health_theme": 3}, "health_theme"),
        ({"codes": [""]}, "codes"),
        ({"min_age": -1}, "min_age"),
        ({"min_records": True}, "min_records"),
        ({"min_age": 60, "max_age": 20}, "above max_age"),
        ({"text": 5}, "text"),
    ],
)
def test_bad_values_are_configuration_errors(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        DatasetFilter(**kwargs)


def test_unknown_facet_lists_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="health_themes") as caught:
        DatasetFilter.from_facets({"health_themes": "X"})
    assert all(name in str(caught.value) for name in FACETS)


def test_a_facet_given_twice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="both"):
        DatasetFilter(codes=["E11"]).merged({"codes": ["E10"]})
    merged = DatasetFilter(codes=["E11"]).merged({"text": "diabetes"})
    assert merged.codes == ("E11",) and merged.text == "diabetes" and not merged.empty
