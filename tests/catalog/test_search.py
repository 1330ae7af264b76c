"""CatalogClient over a test Connector: ranking, pagination, concurrency, failures, exports."""

from __future__ import annotations

import pytest

from d4h_sdk.catalog import CatalogClient, DatasetFilter, SearchResults
from d4h_sdk.connectors import Provider
from d4h_sdk.errors import APIConnectionError, ConfigurationError, NotFoundError, ServerError
from d4h_sdk.models import Dataset
from d4h_sdk.policy import Outcome, purposes

from .conftest import LAB_CLAIMS, PagedConnector, views

HOSPITAL_URL = "http://hospital.example/dsp"


@pytest.fixture
def connector(hospital_views: list[Dataset]) -> PagedConnector:
    return PagedConnector({HOSPITAL_URL: hospital_views}, page_size=2)


def test_research_purpose_ranks_compatible_hits_first(connector: PagedConnector) -> None:
    client = CatalogClient(connector, claims=LAB_CLAIMS)
    hits = client.search(HOSPITAL_URL, purpose=purposes.SCIENTIFIC_RESEARCH)
    assert [hit.id for hit in hits] == [
        "diabetes-cohort",
        "diabetes-sample",
        "oncology-cohort",
        "benchmark-file",
    ]
    assert [hit.compatible for hit in hits] == [True, True, False, False]
    first = hits[0]
    assert first.provider == Provider(HOSPITAL_URL)
    assert first.best_offer is not None and first.best_offer.id is not None
    assert first.best_offer.id.endswith(":research")
    assert first.offers[0].decision is not None and first.offers[0].decision.permitted
    # every offer is kept, compatible ones first
    assert [fit.permitted for fit in first.offers] == [True, False]
    refused = hits[3].offers[0].decision
    assert refused is not None and refused.explain()  # the explanation tree is available


def test_prohibited_purpose_leaves_nothing_compatible(connector: PagedConnector) -> None:
    hits = CatalogClient(connector, claims=LAB_CLAIMS).search(HOSPITAL_URL, purpose=purposes.ADVERTISING)
    assert len(hits) == 4 and hits.compatible == []
    assert all(hit.best_offer is None for hit in hits)
    decision = hits[0].offers[0].decision
    assert decision is not None and decision.outcome is Outcome.PROHIBITED
    assert "Art 54" in hits[0].offers[0].summary()
    # the order is the catalog order when nothing is compatible
    assert [hit.id for hit in hits] == [
        "diabetes-cohort",
        "oncology-cohort",
        "diabetes-sample",
        "benchmark-file",
    ]


def test_without_purpose_compatibility_is_unknown(connector: PagedConnector) -> None:
    hits = CatalogClient(connector).search(HOSPITAL_URL, access_rights="PUBLIC")
    assert [hit.id for hit in hits] == ["diabetes-sample", "benchmark-file"]
    assert all(fit.decision is None for hit in hits for fit in hit.offers)
    assert [hit.to_record()["compatible"] for hit in hits] == [None, None]


def test_claims_per_call_override_the_default(connector: PagedConnector) -> None:
    client = CatalogClient(connector, claims=LAB_CLAIMS)
    lapsed = {**LAB_CLAIMS, "membershipStatus": "inactive"}
    hits = client.search(HOSPITAL_URL, purpose=purposes.SCIENTIFIC_RESEARCH, claims=lapsed)
    assert hits.compatible == []


def test_text_relevance_orders_hits_within_compatibility(connector: PagedConnector) -> None:
    raw = [
        {"@id": "urn:a", "dct:description": "Follow-up of asthma patients"},
        {"@id": "urn:b", "dct:title": "Asthma registry", "dcat:keyword": ["asthma"]},
        {"@id": "urn:c", "dct:title": "Diabetes registry"},
    ]
    models = [Dataset.model_validate(item) for item in raw]
    client = CatalogClient(PagedConnector({HOSPITAL_URL: models}))
    hits = client.search(HOSPITAL_URL, text="ASTHMA")
    assert [hit.id for hit in hits] == ["urn:b", "urn:a"]
    assert hits[0].score > hits[1].score
    ranked = CatalogClient(connector, claims=LAB_CLAIMS).search(
        HOSPITAL_URL, text="synthetic", purpose=purposes.SCIENTIFIC_RESEARCH
    )
    assert [hit.compatible for hit in ranked] == [True, True, False, False]


def test_filter_object_and_keywords_combine(connector: PagedConnector) -> None:
    client = CatalogClient(connector)
    hits = client.search(
        HOSPITAL_URL, filter=DatasetFilter(health_theme=["NONCOMMUNICABLE_DISEASES"]), codes="E11"
    )
    assert [hit.id for hit in hits] == ["diabetes-cohort", "diabetes-sample"]
    assert (
        client.search(HOSPITAL_URL, health_theme="NONCOMMUNICABLE_DISEASES", limit=1)[0].id
        == "diabetes-cohort"
    )


def test_datasets_paginate_lazily(connector: PagedConnector) -> None:
    client = CatalogClient(connector)
    iterator = client.datasets(HOSPITAL_URL)
    provider, first = next(iterator)
    assert (provider.address, first.id) == (HOSPITAL_URL, "diabetes-cohort")
    assert len(connector.requests) == 1
    rest = [dataset.id for _, dataset in iterator]
    assert rest == ["oncology-cohort", "diabetes-sample", "benchmark-file"]
    assert [cursor for _, cursor, _ in connector.requests] == [None, "2"]


def test_page_size_is_passed_and_limit_stops_paging(hospital_views: list[Dataset]) -> None:
    connector = PagedConnector({HOSPITAL_URL: hospital_views})
    client = CatalogClient(connector, page_size=1)
    hits = client.search(HOSPITAL_URL, limit=2)
    assert [hit.id for hit in hits] == ["diabetes-cohort", "oncology-cohort"]
    assert connector.requests == [(HOSPITAL_URL, None, 1), (HOSPITAL_URL, "1", 1)]


def test_concurrency_is_bounded_by_max_workers(hospital_views: list[Dataset]) -> None:
    addresses = [f"http://provider-{n}.example/dsp" for n in range(12)]
    connector = PagedConnector(dict.fromkeys(addresses, hospital_views[:1]), delay=0.03)
    hits = CatalogClient(connector, max_workers=3).search(addresses)
    assert [hit.provider.address for hit in hits] == addresses  # provider order is kept
    assert len(connector.requests) == 12
    assert 2 <= connector.max_in_flight <= 3


def test_a_failing_provider_does_not_lose_the_others(hospital_views: list[Dataset]) -> None:
    down = "http://down.example/dsp"
    broken = "http://broken.example/dsp"
    failure = ServerError("catalog unavailable", status_code=503)
    connector = PagedConnector({HOSPITAL_URL: hospital_views}, failing={broken: failure})
    client = CatalogClient(connector)
    hits = client.search([down, HOSPITAL_URL, broken], purpose=purposes.SCIENTIFIC_RESEARCH)
    assert len(hits) == 4
    assert set(hits.errors) == {down, broken}
    assert isinstance(hits.errors[down], APIConnectionError)
    assert hits.errors[broken] is failure
    assert "2 provider(s) failed" in repr(hits)
    with pytest.raises(APIConnectionError):
        client.search([down, HOSPITAL_URL, broken], strict=True)


def test_get_evaluates_one_dataset(connector: PagedConnector) -> None:
    client = CatalogClient(connector, claims=LAB_CLAIMS)
    hit = client.get(HOSPITAL_URL, "diabetes-sample", purpose=purposes.EDUCATION)
    assert hit.compatible and hit.best_offer is not None
    with pytest.raises(NotFoundError):
        client.get(HOSPITAL_URL, "nope")


def test_records_and_pandas(connector: PagedConnector) -> None:
    hits = CatalogClient(connector, claims=LAB_CLAIMS).search(
        HOSPITAL_URL, purpose=purposes.SCIENTIFIC_RESEARCH
    )
    record = hits.to_records()[0]
    assert record["provider"] == HOSPITAL_URL and record["id"] == "diabetes-cohort"
    assert record["title"] == "Synthetic diabetes cohort (record level)"
    assert record["health_category"] == "EHRS" and record["health_theme"] == "NONCOMMUNICABLE_DISEASES"
    assert record["access_rights"] == "NON_PUBLIC" and isinstance(record["records"], int)
    assert record["compatible"] is True and record["policy"] == "2 offer(s): 1 permitted, 1 undecided"
    frame = hits.to_pandas()
    assert list(frame["id"]) == [hit.id for hit in hits]
    assert list(frame["compatible"]) == [True, True, False, False]


def test_graph_answers_sparql(hospital_views: list[Dataset]) -> None:
    clinic = "http://clinic.example/dsp"
    connector = PagedConnector({HOSPITAL_URL: hospital_views, clinic: views([], address=clinic)})
    hits = CatalogClient(connector).search([HOSPITAL_URL, clinic], health_theme="NONCOMMUNICABLE_DISEASES")
    rows = hits.graph().query(
        """
        PREFIX dcat: <http://www.w3.org/ns/dcat#>
        PREFIX health: <http://healthdataportal.eu/ns/health#>
        SELECT ?catalog ?records ?ds WHERE {
            ?catalog dcat:dataset ?ds .
            ?ds health:healthTheme <https://hdeu-dcat.data.health.europa.eu/resource/authority/health-theme/NONCOMMUNICABLE_DISEASES> ;
                health:numberOfRecords ?records .
        } ORDER BY ?records
        """
    )
    assert len(rows) == 2
    assert {str(row[0]) for row in rows} == {HOSPITAL_URL}  # type: ignore[index]
    assert {str(row[2]) for row in rows} == {  # type: ignore[index]
        f"{HOSPITAL_URL}/catalog/datasets/{name}" for name in ("diabetes-cohort", "diabetes-sample")
    }
    assert sorted(int(str(row[1])) for row in rows) == sorted(  # type: ignore[index]
        hit.facets.records or 0 for hit in hits
    )


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda c: c.search(HOSPITAL_URL, health_themes="X"), "unknown search facet"),
        (lambda c: c.search("ftp://x", codes="E11"), "http"),
        (lambda c: c.search([]), "at least one provider"),
        (lambda c: c.search(HOSPITAL_URL, limit=0), "limit"),
        (lambda c: c.search(HOSPITAL_URL, filter={"codes": "E11"}), "DatasetFilter"),
        (lambda c: c.search(HOSPITAL_URL, purpose=3), "purpose"),
        (lambda c: c.get(HOSPITAL_URL, ""), "dataset_id"),
    ],
)
def test_inputs_are_validated(connector: PagedConnector, call: object, needle: str) -> None:
    client = CatalogClient(connector)
    with pytest.raises(ConfigurationError, match=needle):
        call(client)  # type: ignore[operator]
    assert connector.requests == []


def test_constructor_validates(connector: PagedConnector) -> None:
    with pytest.raises(ConfigurationError, match="Connector"):
        CatalogClient(object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="max_workers"):
        CatalogClient(connector, max_workers=0)
    with pytest.raises(ConfigurationError, match="page_size"):
        CatalogClient(connector, page_size=0)
    assert isinstance(SearchResults(), SearchResults) and len(SearchResults()) == 0
