"""Shared pieces: a mocked EDC, connectors for v3 and v4, and EDC-shaped response bodies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses

from d4h_sdk import models
from d4h_sdk.connectors import Provider
from d4h_sdk.connectors._edc import EdcConnector

MGMT = "http://edc.test/management"
EDC_NS = "https://w3id.org/edc/v0.0.1/ns/"
V2_CONTEXT = "https://w3id.org/edc/connector/management/v2"
API_KEY = "s3cr3t-management-key"
PROVIDER = Provider("http://provider.test/api/dsp/2025-1", participant_id="did:web:provider.test")
V3_RESPONSE_CONTEXT = {
    "@vocab": EDC_NS,
    "edc": EDC_NS,
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dspace": "https://w3id.org/dspace/v0.8/",
}
REQUEST_CONTEXT = {"v3": {"@vocab": EDC_NS}, "v4": [V2_CONTEXT]}


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    """Every HTTP call must be mocked, and every mocked call must happen."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture(params=["v3", "v4"])
def version(request: pytest.FixtureRequest) -> str:
    """Both Management API versions."""
    return str(request.param)


@pytest.fixture
def edc(version: str) -> Iterator[EdcConnector]:
    """A connector configured for ``version`` with an API key."""
    with EdcConnector(MGMT, api_key=API_KEY, api_version=version) as connector:  # type: ignore[arg-type]
        yield connector


def ctx(version: str) -> Any:
    """The ``@context`` of request bodies of ``version``."""
    return REQUEST_CONTEXT[version]


def response_doc(version: str, body: dict[str, Any]) -> dict[str, Any]:
    """An EDC response object in the compaction of ``version``."""
    context: Any = V3_RESPONSE_CONTEXT if version == "v3" else [V2_CONTEXT]
    return {"@context": context, **body}


def dataset(index: int) -> dict[str, Any]:
    """A dataset as EDC v3 compacts it (odrl/dcat prefixes, single objects)."""
    return {
        "@id": f"asset-{index}",
        "@type": "dcat:Dataset",
        "odrl:hasPolicy": {
            "@id": f"offer-{index}",
            "@type": "odrl:Offer",
            "odrl:permission": {"odrl:action": {"@id": "odrl:use"}},
        },
        "id": f"asset-{index}",
    }


def catalog(count: int, start: int = 0) -> dict[str, Any]:
    """A v3 catalog response holding datasets ``start .. start+count-1``."""
    return {
        "@context": V3_RESPONSE_CONTEXT,
        "@id": "catalog-1",
        "@type": "dcat:Catalog",
        "dspace:participantId": "did:web:provider.test",
        "dcat:dataset": [dataset(start + i) for i in range(count)],
    }


def offer() -> models.Offer:
    """An offer as the catalog gives it, with target and assigner as EDC needs them."""
    return models.Offer(
        id="offer-1",
        target="asset-1",
        assigner="did:web:provider.test",
        permission=(
            models.Permission(
                action="use",
                constraint=(
                    models.Constraint(
                        left_operand="https://w3id.org/ds4h/purpose", operator="eq", right_operand="research"
                    ),
                ),
            ),
        ),
    )


def id_response(version: str, new_id: str) -> dict[str, Any]:
    """EDC's IdResponse."""
    return response_doc(version, {"@type": "IdResponse", "@id": new_id, "createdAt": 1700000000000})
