"""The straight-from-bytes path for large DSP 2025-1 catalogs gives the same models as the general path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from d4h_sdk import DecodeError, PayloadTooLargeError, models, wire
from d4h_sdk.config import DEFAULT_MAX_JSON_DEPTH

CONTEXT = ["https://w3id.org/dspace/2025/1/context.jsonld"]


def _dataset(i: int) -> dict[str, Any]:
    return {
        "@id": f"urn:uuid:dataset-{i}",
        "@type": "Dataset",
        "dct:title": [{"@value": f"Cohort {i}", "@language": "en"}],
        "dcat:keyword": ["diabetes", "E11"],
        "hasPolicy": [
            {
                "@id": f"urn:uuid:offer-{i}",
                "@type": "Offer",
                "permission": [
                    {
                        "action": "use",
                        "constraint": [
                            {"leftOperand": "odrl:purpose", "operator": "eq", "rightOperand": "research"}
                        ],
                    }
                ],
            }
        ],
        "distribution": [
            {"@type": "Distribution", "format": "HttpData-PULL", "accessService": "urn:uuid:svc"}
        ],
    }


def _catalog(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "@id": "urn:uuid:catalog",
        "@type": "Catalog",
        "participantId": "did:web:hospital.example",
        **extra,
        "service": [
            {"@id": "urn:uuid:svc", "@type": "DataService", "endpointURL": "https://hospital.example/dsp"}
        ],
        "dataset": [_dataset(i) for i in range(n)],
    }


def test_large_catalog_bytes_equal_the_general_path() -> None:
    doc = _catalog(400)
    data = json.dumps(doc).encode()
    assert len(data) > 64 * 1024  # large enough for the straight-from-bytes path
    fast = wire.decode(data)
    general = wire.decode(doc)
    assert isinstance(fast, models.Catalog)
    assert fast == general
    assert "@context" not in fast.remainder
    assert len(fast) == 400
    assert fast.datasets[399].offers[0].permission[0].constraint[0] == models.Constraint(
        left_operand="odrl:purpose", operator="eq", right_operand="research"
    )


def test_type_after_a_nested_object_takes_the_general_path() -> None:
    doc = _catalog(300)
    reordered = {
        "@context": CONTEXT,
        "service": doc["service"],
        **{k: v for k, v in doc.items() if k != "service"},
    }
    data = json.dumps(reordered).encode()
    assert wire.decode(data) == wire.decode(doc)


def test_deep_catalog_metadata_is_refused_on_the_fast_path() -> None:
    deep: Any = "x"
    for _ in range(DEFAULT_MAX_JSON_DEPTH + 5):
        deep = [deep]
    data = json.dumps(_catalog(300, **{"dct:temporal": deep})).encode()
    with pytest.raises(PayloadTooLargeError):
        wire.decode(data)


def test_deep_dataset_is_refused_when_built() -> None:
    deep: Any = "x"
    for _ in range(DEFAULT_MAX_JSON_DEPTH + 5):
        deep = [deep]
    doc = _catalog(300)
    doc["dataset"][7]["dct:temporal"] = deep
    catalog = wire.decode(json.dumps(doc).encode())
    assert isinstance(catalog, models.Catalog)
    with pytest.raises(PayloadTooLargeError):
        _ = catalog.datasets


def test_invalid_dataset_field_fails_eagerly_on_the_fast_path() -> None:
    doc = _catalog(300)
    doc["dataset"][5]["hasPolicy"] = "not an offer"
    with pytest.raises(DecodeError, match="dataset"):
        wire.decode(json.dumps(doc).encode())


def test_size_limit_holds_on_the_fast_path() -> None:
    data = json.dumps(_catalog(300)).encode()
    with pytest.raises(PayloadTooLargeError):
        wire.decode(data, max_bytes=len(data) - 1)
