"""The flat-context expander (EDC's @vocab + prefixes) gives pyld's result, and steps aside otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from d4h_sdk.jsonld import expand
from d4h_sdk.jsonld._simple import simple_expand

EDC = "https://w3id.org/edc/v0.0.1/ns/"
CONTEXT = {
    "@vocab": EDC,
    "edc": EDC,
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "dspace": "https://w3id.org/dspace/2025/1/",
}


def _doc(**body: Any) -> dict[str, Any]:
    return {"@context": CONTEXT, **body}


@pytest.mark.parametrize(
    "doc",
    [
        _doc(**{"@id": "asset-1", "@type": "dcat:Dataset", "name": "x", "edc:id": "asset-1"}),
        _doc(
            **{
                "@id": "urn:uuid:1",
                "@type": ["dcat:Catalog"],
                "dcat:dataset": [{"@id": "d", "odrl:hasPolicy": {"@id": "o", "@type": "odrl:Offer"}}],
                "dspace:participantId": "did:web:p",
                "count": 3,
                "flag": True,
                "ratio": 1.5,
                "empty": [],
                "nothing": None,
                "http://example.org/full": {"@id": "http://example.org/x"},
                "dct:title": {"@value": "Titel", "@language": "DE"},
                "dct:issued": {"@value": "2024-01-01", "@type": "http://www.w3.org/2001/XMLSchema#date"},
                "edc": "the prefix as a term",
                "relative": {"@id": "../up/x"},
            }
        ),
    ],
)
def test_equals_pyld(doc: dict[str, Any]) -> None:
    assert simple_expand(doc) == expand(doc)


@pytest.mark.parametrize(
    "doc",
    [
        {"@context": "https://w3id.org/dspace/2025/1/context.jsonld", "@type": "Catalog"},
        {"@context": {"title": {"@id": "http://purl.org/dc/terms/title", "@language": "en"}}, "title": "x"},
        _doc(nested={"@context": {"a": "http://a/"}, "a:b": 1}),
        _doc(list={"@list": [1, 2]}),
        _doc(matrix=[[1, 2]]),
        {"@type": "no context"},
        [1, 2],
    ],
)
def test_steps_aside_outside_its_subset(doc: Any) -> None:
    assert simple_expand(doc) is None
