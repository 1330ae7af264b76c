"""CatalogClient.federated against a loopback EDC Federated Catalog returning FC-shaped bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.catalog import FC_QUERY_PATH, CatalogClient
from d4h_sdk.errors import APIError, ConfigurationError, DecodeError, ServerError
from d4h_sdk.models import Catalog, Dataset, QuerySpec
from d4h_sdk.models.catalog import DataService
from d4h_sdk.policy import purposes
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router, json_response

from .conftest import LAB_CLAIMS, PagedConnector

HOSPITAL = "http://hospital.example/api/dsp"
CLINIC = "http://clinic.example/api/dsp"
EDC_NS = "https://w3id.org/edc/v0.0.1/ns/"


class FakeFederatedCatalog:
    """Serves ``POST /api/catalog/v1alpha/catalog/query``: catalogs[offset : offset + limit]."""

    def __init__(self, catalogs: Sequence[Mapping[str, Any]]) -> None:
        self.catalogs = catalogs
        self.bodies: list[Any] = []
        self.status = 200
        router = Router()
        router.add("POST", "/api/catalog" + FC_QUERY_PATH, self.query)
        self.server = LoopbackServer(router, name="fc-test")

    def query(self, request: Request, params: Mapping[str, str]) -> Response:
        body = json.loads(request.get_data())
        self.bodies.append(body)
        if self.status != 200:
            return json_response([{"message": "crawler cache unavailable"}], self.status)
        offset, limit = int(body.get("offset", 0)), int(body.get("limit", 50))
        return json_response(self.catalogs[offset : offset + limit])


def _fc_entries(hospital_views: list[Dataset]) -> list[dict[str, Any]]:
    # EDC's @vocab compaction, with the FC's originator
    hospital = wire.encode(
        Catalog.of(hospital_views, id="urn:cat:hospital", participant_id="did:web:hospital.example"),
        dialect="edc-v3",
    )
    hospital["originator"] = HOSPITAL
    # prefixed DSP 2024/1 terms and the originator as an expanded IRI
    clinic = wire.encode(
        Catalog.of(hospital_views[:1], id="urn:cat:clinic", participant_id="did:web:clinic.example"),
        dialect="dsp-2024-1",
    )
    clinic[EDC_NS + "originator"] = {"@id": CLINIC}
    # a catalog of catalogs: the nested one names its provider through its data service
    lab = Catalog.of(
        hospital_views[2:3],
        id="urn:cat:lab",
        participant_id="did:web:lab.example",
        services=[DataService(id="urn:svc", endpoint_url="http://lab.example/dsp")],
    )
    hub = wire.encode(
        Catalog.of([], id="urn:cat:hub", participant_id="did:web:hub", catalogs=[lab]), dialect="edc-v3"
    )
    # an entry that names no provider address: reported, not fatal
    orphan = wire.encode(
        Catalog.of(hospital_views[:1], id="urn:cat:orphan", participant_id="did:web:orphan"), dialect="edc-v3"
    )
    return [hospital, clinic, hub, orphan]


@pytest.fixture
def fc(hospital_views: list[Dataset]) -> Iterator[FakeFederatedCatalog]:
    fake = FakeFederatedCatalog(_fc_entries(hospital_views))
    with fake.server:
        yield fake


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=(2, 10), max_retries=0) as client:
        yield client


def test_federated_pages_and_names_each_provider(fc: FakeFederatedCatalog, http: HttpClient) -> None:
    client = CatalogClient(PagedConnector({}), page_size=2, claims=LAB_CLAIMS)
    hits = client.federated(fc.server.url + "/api/catalog/", http=http, purpose=purposes.SCIENTIFIC_RESEARCH)
    # full pages of 2 catalogs, then an empty (short) page ends the paging
    assert [(body["offset"], body["limit"]) for body in fc.bodies] == [(0, 2), (2, 2), (4, 2)]
    assert all(body["@type"] == "QuerySpec" and body["@context"] == {"@vocab": EDC_NS} for body in fc.bodies)
    found = {(hit.provider.address, hit.provider.participant_id, hit.id) for hit in hits}
    assert (HOSPITAL, "did:web:hospital.example", "diabetes-cohort") in found
    assert (CLINIC, "did:web:clinic.example", "diabetes-cohort") in found
    assert ("http://lab.example/dsp", "did:web:lab.example", "diabetes-sample") in found
    assert len(hits) == 4 + 1 + 1
    assert hits[0].compatible and not hits[-1].compatible  # compatible first
    assert list(hits.errors) == ["did:web:orphan"]
    assert isinstance(hits.errors["did:web:orphan"], DecodeError)


def test_federated_filters_and_sends_an_explicit_query_once(
    fc: FakeFederatedCatalog, http: HttpClient
) -> None:
    client = CatalogClient(PagedConnector({}))
    hits = client.federated(
        fc.server.url + "/api/catalog", http=http, query=QuerySpec(limit=1), codes=["C50"]
    )
    assert [body["limit"] for body in fc.bodies] == [1]
    assert [(hit.provider.address, hit.id) for hit in hits] == [(HOSPITAL, "oncology-cohort")]


def test_federated_errors(fc: FakeFederatedCatalog, http: HttpClient) -> None:
    client = CatalogClient(PagedConnector({}))
    fc.status = 503
    with pytest.raises(ServerError):
        client.federated(fc.server.url + "/api/catalog", http=http)
    with pytest.raises(ConfigurationError, match="http"):
        client.federated("fc.example", http=http)


def test_federated_body_must_be_an_array(http: HttpClient) -> None:
    router = Router()
    router.add("POST", "/v1alpha/catalog/query", lambda request, params: json_response({"not": "a list"}))
    with LoopbackServer(router, name="fc-bad") as server:
        with pytest.raises(APIError, match="JSON array"):
            CatalogClient(PagedConnector({})).federated(server.url, http=http)
