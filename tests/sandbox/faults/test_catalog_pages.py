"""Catalog pagination (``Link`` headers) and filters of the sandbox provider, over real HTTP."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient, HttpResponse
from d4h_sdk.identity.auth import BearerTokenAuth
from d4h_sdk.models import Catalog, CatalogError, CatalogRequestMessage
from d4h_sdk.sandbox._sandbox import Sandbox

COPIES = 116
_LINK = re.compile(r'<([^>]+)>;\s*rel="([^"]+)"')


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    """A sandbox with 120 datasets: the 4 defaults and copies of ``diabetes-sample`` under new ids."""
    with Sandbox(seed=7, patients=10) as ds:
        template = next(d for d in ds.datasets if d.id == "diabetes-sample")
        for index in range(COPIES):
            ds.connector.add_dataset(dataclasses.replace(template, id=f"copy-{index:03d}"))
        assert len(ds.connector.datasets) == 120
        yield ds


def _post(
    ds: Sandbox, http: HttpClient, url: str, message: CatalogRequestMessage, dialect: str
) -> HttpResponse:
    lab = ds.participants["research-lab"]
    return http.post(
        url,
        json=wire.encode(message, dialect=dialect),
        auth=BearerTokenAuth(lab.issue_token(ds.provider.did)),
        allow_status=range(400, 600),
    )


def _links(response: HttpResponse) -> dict[str, str]:
    return {rel: url for url, rel in _LINK.findall(response.headers.get("Link", ""))}


def _ids(response: HttpResponse) -> list[str]:
    catalog = wire.decode(response.content)
    assert isinstance(catalog, Catalog)
    return [dataset.id or "" for dataset in catalog.datasets]


@pytest.mark.parametrize("dialect,version", [("dsp-2025-1", "2025-1"), ("dsp-2024-1", "2024-1")])
def test_walking_the_next_links_yields_every_dataset_once(
    big: Sandbox, http: HttpClient, dialect: str, version: str
) -> None:
    url: str | None = big.connector.dsp_url(version) + "/catalog/request"
    seen: list[str] = []
    rels: list[set[str]] = []
    while url is not None:
        response = _post(big, http, url, CatalogRequestMessage(), dialect)
        assert response.status_code == 200, response.text
        page = _ids(response)
        assert 0 < len(page) <= big.connector.page_size
        seen.extend(page)
        links = _links(response)
        rels.append(set(links))
        url = links.get("next")
    copies = {f"copy-{index:03d}" for index in range(COPIES)}
    assert len(seen) == len(set(seen))  # each id exactly once
    assert copies <= set(seen)
    assert set(seen) <= {d.id for d in big.connector.datasets}
    assert len(rels) == -(-len(seen) // 50) and len(rels) >= 3
    assert rels[0] == {"next"} and rels[-1] == {"prev"}
    assert all(middle == {"next", "prev"} for middle in rels[1:-1])


def test_prev_link_goes_back_and_the_order_is_stable(big: Sandbox, http: HttpClient) -> None:
    base = big.provider_url + "/catalog/request"
    first = _post(big, http, base + "?limit=10", CatalogRequestMessage(), "dsp-2025-1")
    second = _post(big, http, _links(first)["next"], CatalogRequestMessage(), "dsp-2025-1")
    assert len(_ids(first)) == 10 and not set(_ids(first)) & set(_ids(second))
    back = _post(big, http, _links(second)["prev"], CatalogRequestMessage(), "dsp-2025-1")
    assert _ids(back) == _ids(first)
    assert "next" in _links(second) and "limit=10" in _links(second)["next"]


@pytest.mark.parametrize("query", ["?offset=-1", "?limit=0", "?limit=51", "?offset=x"])
def test_bad_page_parameters_are_400(big: Sandbox, http: HttpClient, query: str) -> None:
    response = _post(
        big, http, big.provider_url + "/catalog/request" + query, CatalogRequestMessage(), "dsp-2025-1"
    )
    assert response.status_code == 400
    assert isinstance(wire.decode(response.content), CatalogError)


def test_filters_by_keyword_and_id(big: Sandbox, http: HttpClient) -> None:
    url = big.provider_url + "/catalog/request"
    oncology = _post(big, http, url, CatalogRequestMessage(filter=({"keyword": "Oncology"},)), "dsp-2025-1")
    assert oncology.status_code == 200
    assert _ids(oncology) == ["oncology-cohort"]
    url_2024 = big.connector.dsp_url("2024-1") + "/catalog/request"
    one = _post(big, http, url_2024, CatalogRequestMessage(filter=({"id": "copy-042"},)), "dsp-2024-1")
    assert _ids(one) == ["copy-042"] and "Link" not in one.headers
    both = CatalogRequestMessage(filter=({"dcat:keyword": "diabetes"}, {"@id": "copy-007"}))
    assert _ids(_post(big, http, url, both, "dsp-2025-1")) == ["copy-007"]


@pytest.mark.parametrize("bad", [{"x": 1}, {"keyword": 3}, {"keyword": "a", "id": "b"}, "diabetes"])
def test_unsupported_filters_are_400_with_a_catalog_error(
    big: Sandbox, http: HttpClient, bad: object
) -> None:
    url = big.provider_url + "/catalog/request"
    response = _post(big, http, url, CatalogRequestMessage(filter=(bad,)), "dsp-2025-1")
    assert response.status_code == 400
    error = wire.decode(response.content)
    assert isinstance(error, CatalogError) and error.code == "400"
