"""DidDocument: parsing the fixtures, id resolution, Multikey -> JWK, key selection, services."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from d4h_sdk.errors import ConfigurationError, VerificationError
from d4h_sdk.identity.did import DidDocument, VerificationMethodError

DID = "did:web:example.com"


def _load(shared: Path, *parts: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared.joinpath(*parts).read_text())
    return data


def test_w3c_jwk_example(shared_fixtures: Path) -> None:
    doc = DidDocument.model_validate(_load(shared_fixtures, "didweb", "did-web-example-jwk.json"))
    assert doc.id == DID
    assert [m.id for m in doc.verification_method] == [f"{DID}#key-0", f"{DID}#key-1", f"{DID}#key-2"]
    assert doc.key_agreement == (f"{DID}#key-1", f"{DID}#key-2")
    assert doc.key_for("#key-0", "authentication") == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "0-e2i2_Ua1S5HbTYnVB0lj2Z2ytXu2-tYmDFf8f5NjU",
    }
    assert doc.key_for(f"{DID}#key-2", "assertion_method")["crv"] == "P-256"
    with pytest.raises(VerificationMethodError, match="not listed under 'authentication'"):
        doc.key_for("#key-1", "authentication")
    with pytest.raises(VerificationMethodError, match="capabilityInvocation"):
        doc.key_for("#key-0", "capabilityInvocation")
    assert doc.key_for("#key-0", "capabilityInvocation", lax=True)["x"].startswith("0-e2")


def test_edc_document_with_relative_ids(shared_fixtures: Path) -> None:
    raw = _load(shared_fixtures, "didweb", "edc-webdid-test-did.json")
    doc = DidDocument.model_validate(raw)
    did = raw["id"]
    assert doc.verification_method[0].id == f"{did}#my-key-1"
    assert doc.authentication == (f"{did}#my-key-1",)
    assert doc.service[0].id == f"{did}#myservice-1"
    assert doc.service_endpoint("LinkedDomains") == "https://this.goes.nowhere/myservice-1"
    assert doc.service_endpoint("CredentialService") is None
    jwk = doc.key_for(f"{did}#my-key-1", "authentication")
    assert jwk["crv"] == "secp256k1"
    # stock EDC documents list no capabilityInvocation: strict DCP selection fails, lax accepts
    with pytest.raises(VerificationMethodError):
        doc.key_for("#my-key-1", "capabilityInvocation")
    assert doc.key_for("#my-key-1", "capabilityInvocation", lax=True) == jwk
    # the parsed document serialises with absolute ids and round-trips
    again = DidDocument.model_validate(doc.to_json())
    assert again == doc


def test_key_for_returns_a_copy(shared_fixtures: Path) -> None:
    doc = DidDocument.model_validate(_load(shared_fixtures, "didweb", "did-web-example-jwk.json"))
    doc.key_for("#key-0")["x"] = "tampered"
    assert doc.key_for("#key-0")["x"] != "tampered"


@pytest.mark.parametrize(
    ("kid", "message"),
    [
        ("did:web:evil.example#key-0", "not a key of did:web:example.com"),
        ("did:web:example.com.evil#key-0", "not a key of"),
        ("#nope", "no verification method"),
        ("key-0", "not a key of"),
    ],
)
def test_key_for_rejections(shared_fixtures: Path, kid: str, message: str) -> None:
    doc = DidDocument.model_validate(_load(shared_fixtures, "didweb", "did-web-example-jwk.json"))
    with pytest.raises(VerificationMethodError, match=message) as info:
        doc.key_for(kid)
    assert isinstance(info.value, VerificationError)


def test_unknown_relationship_is_a_configuration_error(shared_fixtures: Path) -> None:
    doc = DidDocument.model_validate(_load(shared_fixtures, "didweb", "did-web-example-jwk.json"))
    with pytest.raises(ConfigurationError, match="unknown verification relationship"):
        doc.key_for("#key-0", "signing")


def _b58(raw: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number, text = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        text = alphabet[digit] + text
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + text


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_multikey_examples_become_jwks(shared_fixtures: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    examples = _load(shared_fixtures, "vc", "cid", "multikey-jwk-examples.json")["examples"]
    methods = [
        {"id": f"#k{i}", "type": "Multikey", "controller": DID, "publicKeyMultibase": e["publicKeyMultibase"]}
        for i, e in enumerate(examples)
    ]
    doc = DidDocument.model_validate({"id": DID, "verificationMethod": methods, "assertionMethod": ["#k0"]})
    curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}
    for i, example in enumerate(examples):
        jwk = doc.key_for(f"#k{i}")
        assert jwk["crv"] == example["crv"]
        if "equivalent_publicKeyJwk" in example:
            assert jwk == example["equivalent_publicKeyJwk"]
        else:  # cross-check our decompression against cryptography's
            from d4h_sdk.identity.did._multikey import base58btc_decode

            point = base58btc_decode(example["publicKeyMultibase"][1:])[2:]
            numbers = ec.EllipticCurvePublicKey.from_encoded_point(
                curves[example["crv"]], point
            ).public_numbers()
            size = (numbers.curve.key_size + 7) // 8
            assert jwk == {
                "kty": "EC",
                "crv": example["crv"],
                "x": _b64(numbers.x.to_bytes(size, "big")),
                "y": _b64(numbers.y.to_bytes(size, "big")),
            }


def test_base58_round_trip_with_leading_zeros() -> None:
    from d4h_sdk.identity.did._multikey import base58btc_decode

    for raw in (b"\0\0\x01\x02", b"\xff" * 40, b"\0"):
        assert base58btc_decode(_b58(raw)) == raw


def test_ed25519_2020_and_2018_keys() -> None:
    doc = DidDocument.model_validate(
        {
            "id": DID,
            "verificationMethod": [
                {
                    "id": "#a",
                    "type": "Ed25519VerificationKey2020",
                    "publicKeyMultibase": "z6Mkf5rGMoatrSj1f4CyvuHBeXJELe9RPdzo2PKGNCKVtZxP",
                },
                {
                    "id": "#b",
                    "type": "Ed25519VerificationKey2018",
                    "publicKeyBase58": "1" * 32,  # 32 zero bytes
                },
            ],
        }
    )
    assert doc.key_for("#a")["x"] == "CV-aGlld3nVdgnhoZK0D36Wk-9aIMlZjZOK2XhPMnkQ"
    assert doc.key_for("#b") == {"kty": "OKP", "crv": "Ed25519", "x": _b64(bytes(32))}


def test_unsupported_key_type_is_reported_at_selection() -> None:
    # multicodec 0x1205 (RSA public key): well-formed multibase, not supported -> no JWK
    value = "z" + _b58(b"\x85\x24" + bytes(10))
    doc = DidDocument.model_validate(
        {"id": DID, "verificationMethod": [{"id": "#x", "type": "Multikey", "publicKeyMultibase": value}]}
    )
    assert doc.verification_method[0].public_key_jwk is None
    with pytest.raises(VerificationMethodError, match="no supported public key material"):
        doc.key_for("#x")


@pytest.mark.parametrize(
    "method",
    [
        {"id": "#x", "type": "Multikey", "publicKeyMultibase": "u6Mkf5rG"},  # not base58btc
        {"id": "#x", "type": "Multikey", "publicKeyMultibase": "z0OIl"},  # not in the alphabet
        {
            "id": "#x",
            "type": "Multikey",
            "publicKeyMultibase": "z" + _b58(b"\xed\x01" + bytes(5)),
        },  # Ed25519 prefix, short key
        {"id": "#x", "type": "JsonWebKey2020", "publicKeyJwk": {"crv": "P-256"}},  # no kty
        {"id": "#x", "type": "JsonWebKey2020", "publicKeyJwk": {"kty": "EC", "crv": "P-256", "d": "secret"}},
        {"id": "#x", "type": "JsonWebKey2020", "publicKeyJwk": {"kty": "oct", "k": "c2VjcmV0"}},
    ],
)
def test_malformed_or_private_key_material_is_invalid(method: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        DidDocument.model_validate({"id": DID, "verificationMethod": [method]})


def test_point_not_on_curve_is_rejected() -> None:
    from d4h_sdk.identity.did._multikey import MultikeyError, multibase_to_jwk

    for x in range(1, 50):  # find an x with no square root: a compressed point that does not exist
        try:
            multibase_to_jwk("z" + _b58(b"\x80\x24\x02" + x.to_bytes(32, "big")))
        except MultikeyError as exc:
            assert "not on the curve" in str(exc)
            return
    pytest.fail("no invalid x found")


def test_embedded_relationship_methods_are_normalised() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(bytes(32))}
    doc = DidDocument.model_validate(
        {
            "id": DID,
            "capabilityInvocation": [
                {"id": "#inv", "type": "JsonWebKey", "controller": DID, "publicKeyJwk": jwk}
            ],
            "authentication": "#inv",
        }
    )
    assert doc.capability_invocation == (f"{DID}#inv",)
    assert doc.authentication == (f"{DID}#inv",)
    assert doc.key_for("#inv", "capabilityInvocation") == jwk
    assert [m.id for m in doc.verification_method] == [f"{DID}#inv"]


def test_document_rules() -> None:
    with pytest.raises(ValidationError, match="must be a DID"):
        DidDocument.model_validate({"id": "https://example.com"})
    with pytest.raises(ValidationError, match="without query or fragment"):
        DidDocument.model_validate({"id": f"{DID}#x"})
    dup = {"id": "#a", "type": "JsonWebKey2020", "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "AA"}}
    with pytest.raises(ValidationError, match="duplicate verification method ids"):
        DidDocument.model_validate({"id": DID, "verificationMethod": [dup, {**dup, "id": f"{DID}#a"}]})


def test_document_is_immutable_and_keeps_unknown_members() -> None:
    doc = DidDocument.model_validate({"id": DID, "alsoKnownAs": ["https://example.com"]})
    with pytest.raises(ValidationError):
        doc.id = "did:web:other.example"
    assert doc.to_json() == {"id": DID, "alsoKnownAs": ["https://example.com"]}


def test_service_endpoint_shapes() -> None:
    doc = DidDocument.model_validate(
        {
            "id": DID,
            "service": [
                {
                    "id": "#m",
                    "type": "CredentialService",
                    "serviceEndpoint": {"origins": ["https://a.example"]},
                },
                {
                    "id": "#l",
                    "type": ["LinkedDomains", "CredentialService"],
                    "serviceEndpoint": [{}, "https://b.example"],
                },
                {
                    "id": "#d",
                    "type": "DataService",
                    "serviceEndpoint": "https://c.example/.well-known/dspace-version",
                },
            ],
        }
    )
    assert doc.service_endpoint("CredentialService") == "https://b.example"
    assert doc.service_endpoint("LinkedDomains") == "https://b.example"
    assert doc.service_endpoint("DataService") == "https://c.example/.well-known/dspace-version"
    assert doc.service_endpoint("CatalogService") is None
    assert doc.service[0].id == f"{DID}#m"
