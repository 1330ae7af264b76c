"""CatalogClient over real HTTP: the sandbox provider's DSP catalog through a tiny wire + HttpClient connector."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.catalog import CatalogClient
from d4h_sdk.connectors import CatalogPage, Provider
from d4h_sdk.errors import APIConnectionError, DecodeError
from d4h_sdk.identity.auth import BearerTokenAuth
from d4h_sdk.models import Catalog, CatalogRequestMessage, Dataset
from d4h_sdk.policy import purposes
from d4h_sdk.sandbox._participants import Participant
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import LAB_CLAIMS, PagedConnector

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class DspCatalogConnector(PagedConnector):
    """Requests DSP 2025-1 catalog pages (following ``Link: rel="next"``) and datasets as one participant."""

    kind = "dsp-catalog-test"

    def __init__(self, http: HttpClient, participant: Participant, audience: str) -> None:
        super().__init__({})
        self.http = http
        self.participant = participant
        self.audience = audience
        self.urls: list[str] = []

    def _auth(self) -> BearerTokenAuth:
        return BearerTokenAuth(self.participant.issue_token(self.audience))

    def request_catalog(
        self, provider: Provider, *, cursor: str | None = None, page_size: int | None = None
    ) -> CatalogPage:
        url = cursor or provider.address + "/catalog/request"
        params = {"limit": str(page_size)} if page_size and cursor is None else None
        self.urls.append(url)
        body = wire.encode(CatalogRequestMessage(), dialect="dsp-2025-1")
        response = self.http.post(url, json=body, params=params, auth=self._auth())
        catalog = wire.decode(response.content, dialect="dsp-2025-1")
        if not isinstance(catalog, Catalog):
            raise DecodeError(f"expected a Catalog, got {type(catalog).__name__}")
        found = _NEXT.search(response.headers.get("Link") or "")
        return CatalogPage(catalog=catalog, next_cursor=found.group(1) if found else None)

    def get_dataset(self, provider: Provider, dataset_id: str) -> Dataset:
        url = f"{provider.address}/catalog/datasets/{quote(dataset_id, safe='')}"
        dataset = wire.decode(self.http.get(url, auth=self._auth()).content, dialect="dsp-2025-1")
        if not isinstance(dataset, Dataset):
            raise DecodeError(f"expected a Dataset, got {type(dataset).__name__}")
        return dataset


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=3, patients=20, page_size=2) as running:
        yield running


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(timeout=(2, 20), max_retries=0) as client:
        yield client


def _connector(sandbox: Sandbox, http: HttpClient, name: str) -> DspCatalogConnector:
    return DspCatalogConnector(http, sandbox.participants[name], sandbox.provider.did)


def test_search_the_sandbox_over_http(sandbox: Sandbox, http: HttpClient) -> None:
    connector = _connector(sandbox, http, "research-lab")
    client = CatalogClient(connector, claims=LAB_CLAIMS)
    provider = Provider(sandbox.provider_url, participant_id=sandbox.provider.did)
    hits = client.search(
        provider, purpose=purposes.SCIENTIFIC_RESEARCH, health_theme="NONCOMMUNICABLE_DISEASES"
    )
    assert [hit.id for hit in hits] == ["diabetes-cohort", "diabetes-sample"]
    assert all(hit.compatible for hit in hits)
    assert len(connector.urls) >= 2 and "offset=2" in connector.urls[1]  # followed Link: rel="next"
    refused = client.search(provider, purpose=purposes.ADVERTISING, codes=["E11"])
    assert len(refused) == 2 and refused.compatible == []


def test_lazy_pages_over_http(sandbox: Sandbox, http: HttpClient) -> None:
    connector = _connector(sandbox, http, "research-lab")
    iterator = CatalogClient(connector).datasets(sandbox.provider_url)
    next(iterator)
    assert len(connector.urls) == 1
    assert len([dataset for _, dataset in iterator]) >= 2


def test_get_and_a_down_provider_over_http(sandbox: Sandbox, http: HttpClient) -> None:
    client = CatalogClient(_connector(sandbox, http, "research-lab"), claims=LAB_CLAIMS)
    hit = client.get(sandbox.provider_url, "diabetes-sample", purpose=purposes.EDUCATION)
    assert hit.compatible and hit.facets.individuals is not None
    results = client.search(["http://127.0.0.1:9/dsp", sandbox.provider_url], codes=["C50"])
    assert list(results.errors) == ["http://127.0.0.1:9/dsp"]
    assert isinstance(results.errors["http://127.0.0.1:9/dsp"], APIConnectionError)
    assert [hit.provider.address for hit in results] == [sandbox.provider_url] * len(results)


def test_a_refused_requester_sees_nothing(sandbox: Sandbox, http: HttpClient) -> None:
    client = CatalogClient(_connector(sandbox, http, "ad-company"))
    assert len(client.search(sandbox.provider_url)) == 0
