"""build_did_document: did.json for a participant, DCP and DSP services, round trip through DidDocument."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.did import (
    DEFAULT_RELATIONSHIPS,
    DID_CONTEXTS,
    DidDocument,
    StaticDidResolver,
    build_did_document,
)

DID = "did:web:hospital.example"
EC = {
    "kty": "EC",
    "crv": "P-256",
    "x": "38M1FDts7Oea7urmseiugGW7tWc3mLpJh6rKe7xINZ8",
    "y": "nDQW6XZ7b_u2Sy9slofYLlG03sOEoug3I0aAPQ0exs4",
}
OKP = {"kty": "OKP", "crv": "Ed25519", "x": "0-e2i2_Ua1S5HbTYnVB0lj2Z2ytXu2-tYmDFf8f5NjU", "kid": "ed"}


def test_full_document_round_trips() -> None:
    doc = build_did_document(
        DID,
        keys=[("key-1", EC), (f"{DID}#key-2", OKP)],
        credential_service="https://ih.hospital.example/api/credentials/v1/participants/aG9zcA",
        dsp_endpoint="https://connector.hospital.example/.well-known/dspace-version",
        catalog_endpoint="https://connector.hospital.example/api/dsp/catalog",
    )
    assert doc["@context"] == list(DID_CONTEXTS)
    assert doc["verificationMethod"] == [
        {"id": f"{DID}#key-1", "type": "JsonWebKey2020", "controller": DID, "publicKeyJwk": EC},
        {"id": f"{DID}#key-2", "type": "JsonWebKey2020", "controller": DID, "publicKeyJwk": OKP},
    ]
    for relationship in ("authentication", "assertionMethod", "capabilityInvocation"):
        assert doc[relationship] == [f"{DID}#key-1", f"{DID}#key-2"]
    assert "keyAgreement" not in doc
    assert [s["type"] for s in doc["service"]] == ["CredentialService", "DataService", "CatalogService"]
    json.dumps(doc)  # JSON-ready

    parsed = DidDocument.model_validate(doc)
    assert parsed.to_json() == doc
    assert parsed.key_for(f"{DID}#key-1", "capabilityInvocation") == EC
    assert parsed.key_for("#key-2", "authentication") == OKP
    assert (
        parsed.service_endpoint(
            "CredentialService",
        )
        == doc["service"][0]["serviceEndpoint"]
    )
    assert (
        parsed.service_endpoint("DataService")
        == "https://connector.hospital.example/.well-known/dspace-version"
    )
    assert StaticDidResolver({DID: doc}).resolve(DID) == parsed


def test_minimal_document_and_custom_relationships() -> None:
    doc = build_did_document(
        "did:web:hospital.example%3A8443:participants:a",
        keys=[("#k", OKP)],
        relationships=["assertionMethod"],
    )
    assert set(doc) == {"@context", "id", "verificationMethod", "assertionMethod"}
    assert doc["assertionMethod"] == ["did:web:hospital.example%3A8443:participants:a#k"]
    assert DEFAULT_RELATIONSHIPS == ("authentication", "assertionMethod", "capabilityInvocation")


def test_dsp_service_entries_match_the_dsp_schema(shared_fixtures: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = shared_fixtures / "dsp" / "2025-1" / "schemas" / "common" / "did-service-schema.json"
    schema: dict[str, Any] = json.loads(schema_path.read_text())
    doc = build_did_document(
        DID, keys=[("k", EC)], catalog_endpoint="https://connector.hospital.example/api/dsp/catalog"
    )
    (service,) = doc["service"]
    jsonschema.Draft201909Validator(schema).validate(service)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"keys": [("k", {**EC, "d": "c2VjcmV0"})]}, r"private members \['d'\]"),
        ({"keys": [("k", {"kty": "oct", "k": "c2VjcmV0"})]}, r"private members \['k'\]"),
        ({"keys": [("k", {"crv": "P-256"})]}, "'kty'"),
        ({"keys": []}, "at least one key"),
        ({"keys": [("k", EC), ("#k", OKP)]}, "given twice"),
        ({"keys": [("did:web:other.example#k", EC)]}, "not under"),
        ({"keys": [("", EC)]}, "empty"),
        ({"keys": [("a b", EC)]}, "not allowed"),
        ({"keys": [("k", EC)], "relationships": ["signing"]}, "unknown relationships"),
        ({"keys": [("k", EC)], "credential_service": "ftp://x.example"}, "credential_service must be"),
        ({"keys": [("k", EC)], "dsp_endpoint": "/relative"}, "dsp_endpoint must be"),
        ({"keys": [("k", EC)], "catalog_endpoint": "https://x.example/api/dsp"}, "must end with '/catalog'"),
    ],
)
def test_rejections(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        build_did_document(DID, **kwargs)
    assert "c2VjcmV0" not in str(info.value)


def test_invalid_did_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="IP address"):
        build_did_document("did:web:10.1.2.3", keys=[("k", EC)])


@pytest.mark.parametrize("kind", ["P-256", "Ed25519"])
def test_guide_flow_with_a_generated_key(kind: str) -> None:
    from d4h_sdk.identity.signing import generate_key

    signer = generate_key(kind, key_id=f"{DID}#key-1")
    document = build_did_document(DID, keys=[(signer.key_id, signer.public_jwk())])
    assert "d" not in document["verificationMethod"][0]["publicKeyJwk"]
    published = StaticDidResolver({DID: document}).resolve(DID)
    assert published.key_for(signer.key_id, "capabilityInvocation") == dict(signer.public_jwk())
    with pytest.raises(ConfigurationError, match="private members"):
        build_did_document(DID, keys=[(signer.key_id, signer.private_jwk())])
