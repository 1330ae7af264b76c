"""Search over a 10,000-dataset catalog (20 decoded pages): facets are filtered before models are built."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk.catalog import CatalogClient
from d4h_sdk.connectors import CatalogPage, Provider
from d4h_sdk.models import Catalog, Dataset
from d4h_sdk.policy import purposes

from .conftest import HOSPITAL, LAB_CLAIMS, PagedConnector

TOTAL = 10_000
PAGE = 500
_KEEP = (
    "title",
    "description",
    "keyword",
    "healthCategory",
    "healthTheme",
    "hasCodingSystem",
    "hasCodeValues",
    "conformsTo",
    "accessRights",
    "TypicalAge",
    "numberOf",
)


class DecodedPages(PagedConnector):
    """Serves pre-decoded catalog pages (the decoding cost belongs to the connector, not the search)."""

    def __init__(self, pages: list[Catalog]) -> None:
        super().__init__({})
        self.pages = pages

    def request_catalog(
        self, provider: Provider, *, cursor: str | None = None, page_size: int | None = None
    ) -> CatalogPage:
        index = int(cursor or 0)
        self.requests.append((provider.address, cursor, page_size))
        more = index + 1 < len(self.pages)
        return CatalogPage(self.pages[index], str(index + 1) if more else None)


def _compact(dataset: Dataset) -> dict[str, Any]:
    raw = dataset.model_dump(mode="json", by_alias=True, exclude_none=True)
    keep = {
        key: value for key, value in raw.items() if key.startswith("@") or any(part in key for part in _KEEP)
    }
    keep["hasPolicy"] = raw["hasPolicy"]
    return keep


@pytest.fixture(scope="module")
def pages(hospital_views: list[Dataset]) -> list[Catalog]:
    templates = [_compact(item) for item in hospital_views]
    out = []
    for start in range(0, TOTAL, PAGE):
        items = [{**templates[n % len(templates)], "@id": f"ds-{n}"} for n in range(start, start + PAGE)]
        doc = {
            "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
            "@type": "Catalog",
            "participantId": HOSPITAL,
            "dataset": items,
        }
        catalog = wire.decode(json.dumps(doc).encode())
        assert isinstance(catalog, Catalog)
        out.append(catalog)
    return out


def test_search_over_ten_thousand_datasets(pages: list[Catalog], capsys: pytest.CaptureFixture[str]) -> None:
    client = CatalogClient(DecodedPages(pages), claims=LAB_CLAIMS)
    started = time.perf_counter()
    hits = client.search(
        "http://hospital.example/dsp",
        health_theme="NONCOMMUNICABLE_DISEASES",
        codes=["E11"],
        access_rights="PUBLIC",
        min_records=1,
        purpose=purposes.SCIENTIFIC_RESEARCH,
    )
    narrow = time.perf_counter() - started
    assert len(hits) == TOTAL // 4 and all(hit.compatible for hit in hits)
    started = time.perf_counter()
    everything = client.search(
        "http://hospital.example/dsp", text="diabetes", purpose=purposes.SCIENTIFIC_RESEARCH
    )
    wide = time.perf_counter() - started
    assert len(everything) == TOTAL // 2
    with capsys.disabled():
        print(f"\n10k datasets: 2,500 hits in {narrow:.2f} s; text search, 5,000 hits in {wide:.2f} s")
    assert narrow < 15 and wide < 30  # generous: the machine is shared; typical figures are in the report
