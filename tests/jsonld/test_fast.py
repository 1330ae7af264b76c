from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk import JsonLdError
from d4h_sdk.jsonld import DocumentLoader, can_fast_expand, expand, fast_expand

from ._examples import example_documents, load_json, our_loader

EDC_CONTEXT = {
    "@vocab": "https://w3id.org/edc/v0.0.1/ns/",
    "edc": "https://w3id.org/edc/v0.0.1/ns/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "dspace": "https://w3id.org/dspace/v0.8/",
}


def test_fast_equals_pyld_on_every_official_example(shared_fixtures: Path) -> None:
    loader = our_loader(shared_fixtures)
    docs = example_documents(shared_fixtures)
    assert len(docs) > 60
    fast_paths = 0
    for name, doc in docs:
        original = copy.deepcopy(doc)
        expected = expand(doc, loader=loader)
        assert fast_expand(doc, loader=loader) == expected, name
        assert doc == original, f"{name} was modified"
        fast_paths += can_fast_expand(doc, loader=loader)
    assert fast_paths >= 55


@pytest.mark.parametrize("area", ["dsp/2024-1/examples", "dsp/2025-1/examples", "dcp/spec/main/resources"])
def test_protocol_messages_take_the_fast_path(shared_fixtures: Path, area: str) -> None:
    paths = [p for p in sorted((shared_fixtures / area).glob("**/*.json")) if "example" in str(p)]
    assert paths
    for path in paths:
        doc = load_json(path)
        if "@context" in doc:
            assert can_fast_expand(doc), path.name


def _edc_catalog(n: int) -> dict[str, Any]:
    return {
        "@context": EDC_CONTEXT,
        "@id": "catalog-1",
        "@type": "dcat:Catalog",
        "dspace:participantId": "provider",
        "dcat:dataset": [
            {
                "@id": f"asset-{i}",
                "@type": "dcat:Dataset",
                "odrl:hasPolicy": {
                    "@id": f"offer-{i}",
                    "@type": "odrl:Offer",
                    "odrl:permission": {"odrl:action": {"@id": "odrl:use"}, "odrl:constraint": []},
                    "odrl:prohibition": [],
                },
                "dcat:distribution": [{"@type": "dcat:Distribution", "dct:format": {"@id": "HttpData-PULL"}}],
                "name": f"dataset {i}",
                "edc:version": 2,
                "contenttype": None,
                "weight": 1.5,
                "flag": True,
            }
            for i in range(20)
        ],
        "dcat:service": {"@id": "svc", "@type": "dcat:DataService", "dcat:endpointURL": "http://x/dsp"},
    }


def test_edc_style_compaction_matches_pyld() -> None:
    doc = _edc_catalog(20)
    assert can_fast_expand(doc)
    result = fast_expand(doc)
    assert result == expand(doc)
    dataset = result[0]["http://www.w3.org/ns/dcat#dataset"][0]
    assert dataset["https://w3id.org/edc/v0.0.1/ns/name"] == [{"@value": "dataset 0"}]
    assert dataset["@id"] == "http://example.org/base/asset-0"  # pyld's default base, reproduced


def test_edc_management_context_with_scoped_contexts() -> None:
    doc: dict[str, Any] = {
        "@context": [
            "https://w3id.org/edc/connector/management/v0.0.1",
            {"@vocab": "https://w3id.org/edc/v0.0.1/ns/"},
        ],
        "@type": "Asset",
        "@id": "urn:asset:1",
        "properties": {"name": "x", "contenttype": "application/json"},
        "dataAddress": {"@type": "DataAddress", "type": "HttpData", "baseUrl": "https://h"},
    }
    assert can_fast_expand(doc)
    assert fast_expand(doc) == expand(doc)
    v2 = dict(doc, **{"@context": ["https://w3id.org/edc/connector/management/v2"]})
    assert fast_expand(v2) == expand(v2)


@pytest.mark.parametrize(
    "doc",
    [
        {"@context": {"ex": "http://ex.org/"}, "@reverse": {"ex:p": {"@id": "urn:a"}}},
        {
            "@context": {"ex": "http://ex.org/", "m": {"@id": "ex:m", "@container": "@language"}},
            "m": {"en": "x"},
        },
        {"@context": {"@base": "http://b/", "ex": "http://ex.org/"}, "@id": "x", "ex:p": 1},
        {"@graph": [{"@id": "urn:a", "http://ex.org/p": 1}]},
    ],
)
def test_unsupported_features_fall_back_to_pyld(doc: dict[str, Any]) -> None:
    assert not can_fast_expand(doc)
    assert fast_expand(doc) == expand(doc)


def test_invalid_document_raises_jsonld_error_on_both_paths() -> None:
    protected = {"@version": 1.1, "@protected": True, "a": "http://ex.org/a"}
    doc = {"@context": [protected, {"a": "http://ex.org/other"}], "a": 1}
    with pytest.raises(JsonLdError):
        expand(doc)
    with pytest.raises(JsonLdError):
        fast_expand(doc)


def test_processed_contexts_are_cached_per_loader() -> None:
    calls: list[str] = []

    class CountingLoader(DocumentLoader):
        def load(self, url: str) -> dict[str, Any]:
            calls.append(url)
            return super().load(url)

    loader = CountingLoader()
    doc = {
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "Catalog",
        "@id": "urn:c",
        "dataset": [
            {"@id": f"urn:d{i}", "@type": "Dataset", "hasPolicy": [{"@id": "urn:o", "@type": "Offer"}]}
            for i in range(50)
        ],
    }
    fast_expand(doc, loader=loader)
    fast_expand(copy.deepcopy(doc), loader=loader)
    assert calls.count("https://w3id.org/dspace/2025/1/context.jsonld") == 1
    assert calls.count("https://w3id.org/dspace/2025/1/odrl-profile.jsonld") == 1


def test_pyld_shared_cache_does_not_leak_between_documents(shared_fixtures: Path) -> None:
    # pyld 3.3 alone loses `offer` here when a Dataset was expanded earlier in the process.
    examples = shared_fixtures / "dsp/2025-1/examples"
    expand(load_json(examples / "catalog/dataset.json"))
    request = load_json(examples / "negotiation/contract-request-message_initial.json")
    expanded = expand(request)[0]
    assert "https://w3id.org/dspace/2025/1/offer" in expanded
    assert "https://w3id.org/dspace/2025/1/callbackAddress" in expanded
    assert fast_expand(request) == [expanded]
