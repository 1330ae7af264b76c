"""Attacks on credentials and presentations: each is refused with a specific VerificationError subclass."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk.errors import (
    ExpiredTokenError,
    InvalidClaimsError,
    InvalidSignatureError,
    UntrustedIssuerError,
    VerificationMethodError,
)
from d4h_sdk.identity.vc import (
    DataIntegritySuite,
    VcVersion,
    issue_vc_jwt,
    issue_vp_jwt,
    sign_data_integrity,
    verify_data_integrity,
    verify_vc_jwt,
    verify_vp_jwt,
)
from d4h_sdk.jsonld import DocumentLoader

from ._support import (
    HOLDER,
    ISSUER,
    NOW,
    VERIFIER,
    example_loader,
    fake,
    load,
    resolver_for,
    vc_dir,
)

V1 = "https://www.w3.org/2018/credentials/v1"


def clock() -> float:
    return NOW


def ld_credential() -> dict[str, Any]:
    return {
        "@context": [V1, "https://www.w3.org/2018/credentials/examples/v1"],
        "id": "urn:uuid:0b8c0c4e-3d52-4a8a-9a0b-5d9e0f4c2a11",
        "type": ["VerifiableCredential", "UniversityDegreeCredential"],
        "issuer": ISSUER,
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": HOLDER, "degree": {"type": "BachelorDegree", "name": "Medicine"}},
    }


@pytest.fixture(scope="module")
def loader(shared_fixtures: Path) -> DocumentLoader:
    return example_loader(shared_fixtures)


SUITES = ["eddsa-rdfc-2022", "Ed25519Signature2020", "JsonWebSignature2020"]


def _signed(suite: DataIntegritySuite, loader: DocumentLoader) -> dict[str, Any]:
    document = ld_credential()
    if suite == "eddsa-rdfc-2022":
        document["@context"] = [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ]
        del document["issuanceDate"]
    signer = fake(ISSUER)
    return sign_data_integrity(
        signer, document, suite=suite, verification_method=signer.key_id, loader=loader
    )


@pytest.mark.parametrize("suite", SUITES)
def test_signed_credential_verifies_with_the_issuer_document(
    suite: DataIntegritySuite, loader: DocumentLoader
) -> None:
    signed = _signed(suite, loader)
    verify_data_integrity(
        signed, resolver=resolver_for(fake(ISSUER)), loader=loader, trusted_issuers=[ISSUER]
    )


@pytest.mark.parametrize("suite", SUITES)
def test_tampered_credential_subject_fails(suite: DataIntegritySuite, loader: DocumentLoader) -> None:
    signed = _signed(suite, loader)
    signed["credentialSubject"]["id"] = "did:web:mallory.example"
    with pytest.raises(InvalidSignatureError):
        verify_data_integrity(signed, resolver=resolver_for(fake(ISSUER)), loader=loader)


@pytest.mark.parametrize("suite", ["Ed25519Signature2020", "JsonWebSignature2020"])
def test_term_dropped_by_an_undefined_context_fails(
    suite: DataIntegritySuite, loader: DocumentLoader
) -> None:
    signed = _signed(suite, loader)
    signed["credentialSubject"]["role"] = "admin"  # VC 1.1 defines no @vocab: pyld would drop 'role'
    with pytest.raises(InvalidClaimsError, match=r"\['role'\].*does not define"):
        verify_data_integrity(signed, resolver=resolver_for(fake(ISSUER)), loader=loader)


def test_undefined_type_is_refused(loader: DocumentLoader) -> None:
    signed = _signed("JsonWebSignature2020", loader)
    signed["type"].append("AdminCredential")
    with pytest.raises(InvalidClaimsError, match="AdminCredential"):
        verify_data_integrity(signed, resolver=resolver_for(fake(ISSUER)), loader=loader)


def test_wrong_proof_purpose_fails(loader: DocumentLoader) -> None:
    signer = fake(ISSUER)
    signed = sign_data_integrity(
        signer,
        ld_credential(),
        suite="Ed25519Signature2020",
        verification_method=signer.key_id,
        proof_purpose="authentication",
        loader=loader,
    )
    with pytest.raises(InvalidClaimsError, match="proof purpose"):
        verify_data_integrity(signed, resolver=resolver_for(signer), loader=loader)


def test_proof_by_a_key_not_in_the_issuer_document_fails(loader: DocumentLoader) -> None:
    mallory = fake("did:web:mallory.example")
    signed = sign_data_integrity(
        mallory,
        ld_credential(),
        suite="Ed25519Signature2020",
        verification_method=mallory.key_id,
        loader=loader,
    )
    resolver = resolver_for(fake(ISSUER), mallory)
    with pytest.raises(UntrustedIssuerError, match="does not belong to the issuer"):
        verify_data_integrity(signed, resolver=resolver, loader=loader)
    # a forged method id under the issuer's DID is not in the issuer's document
    forged = sign_data_integrity(
        mallory,
        ld_credential(),
        suite="Ed25519Signature2020",
        verification_method=ISSUER + "#key-2",
        loader=loader,
    )
    with pytest.raises(VerificationMethodError, match="no verification method"):
        verify_data_integrity(forged, resolver=resolver, loader=loader)


def test_untrusted_issuer_fails(loader: DocumentLoader) -> None:
    signed = _signed("Ed25519Signature2020", loader)
    with pytest.raises(UntrustedIssuerError, match="not a trusted issuer"):
        verify_data_integrity(
            signed, resolver=resolver_for(fake(ISSUER)), loader=loader, trusted_issuers=["did:web:x"]
        )
    token = issue_vc_jwt(
        fake(ISSUER), {"@context": [V1], "type": ["VerifiableCredential"], "credentialSubject": {}}
    )
    with pytest.raises(UntrustedIssuerError, match="not a trusted issuer"):
        verify_vc_jwt(token, resolver=resolver_for(fake(ISSUER)), trusted_issuers=["did:web:x"])


def test_expired_vc_fails() -> None:
    issuer = fake(ISSUER)
    resolver = resolver_for(issuer)
    base = {"@context": [V1], "type": ["VerifiableCredential"], "credentialSubject": {"id": HOLDER}}
    short = issue_vc_jwt(issuer, base, lifetime_s=60, clock=clock)
    with pytest.raises(ExpiredTokenError, match="expired"):
        verify_vc_jwt(short, resolver=resolver, clock=lambda: NOW + 3600)
    dated = issue_vc_jwt(issuer, {**base, "expirationDate": "2020-01-01T00:00:00Z"}, clock=clock)
    with pytest.raises(ExpiredTokenError, match="expired"):
        verify_vc_jwt(dated, resolver=resolver, clock=clock)
    v2 = {**base, "@context": ["https://www.w3.org/ns/credentials/v2"], "validUntil": "2020-01-01T00:00:00Z"}
    with pytest.raises(ExpiredTokenError, match="expired"):
        verify_vc_jwt(issue_vc_jwt(issuer, v2, version="2.0", clock=clock), resolver=resolver, clock=clock)
    future = {**v2, "validFrom": "2999-01-01T00:00:00Z"}
    del future["validUntil"]
    with pytest.raises(ExpiredTokenError, match="not valid before"):
        verify_vc_jwt(
            issue_vc_jwt(issuer, future, version="2.0", clock=clock), resolver=resolver, clock=clock
        )


@pytest.mark.parametrize("version", ["1.1", "2.0"])
def test_vp_with_wrong_audience_fails(version: VcVersion) -> None:
    issuer, holder = fake(ISSUER), fake(HOLDER)
    vc = issue_vc_jwt(
        issuer, {"@context": [V1], "type": ["VerifiableCredential"], "credentialSubject": {}}, clock=clock
    )
    token = issue_vp_jwt(holder, [vc], audience="did:web:someone-else.example", version=version, clock=clock)
    with pytest.raises(InvalidClaimsError, match="audience"):
        verify_vp_jwt(token, resolver=resolver_for(issuer, holder), audience=VERIFIER, clock=clock)


def test_vp_signed_with_another_dids_key_fails() -> None:
    issuer, holder, mallory = fake(ISSUER), fake(HOLDER), fake("did:web:mallory.example")
    vc = issue_vc_jwt(
        issuer, {"@context": [V1], "type": ["VerifiableCredential"], "credentialSubject": {}}, clock=clock
    )
    token = issue_vp_jwt(mallory, [vc], audience=VERIFIER, clock=clock)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["iss"] = claims["sub"] = claims["vp"]["holder"] = HOLDER  # claim to be the holder
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(UntrustedIssuerError, match="not a key of"):
        verify_vp_jwt(
            f"{header}.{forged_payload}.{signature}",
            resolver=resolver_for(issuer, holder),
            audience=VERIFIER,
            clock=clock,
        )


def test_vc_jwt_with_alg_none_fails() -> None:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {
        "iss": ISSUER,
        "vc": {"@context": [V1], "type": ["VerifiableCredential"], "credentialSubject": {}},
    }
    token = part({"alg": "none", "kid": ISSUER + "#key-1"}) + "." + part(claims) + "."
    with pytest.raises(InvalidSignatureError, match="none"):
        verify_vc_jwt(token + "c2ln", resolver=resolver_for(fake(ISSUER)))


def test_tampered_vc_jwt_payload_fails() -> None:
    issuer = fake(ISSUER)
    token = issue_vc_jwt(
        issuer, {"@context": [V1], "type": ["VerifiableCredential"], "credentialSubject": {"id": HOLDER}}
    )
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["vc"]["credentialSubject"]["id"] = "did:web:mallory.example"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSignatureError):
        verify_vc_jwt(f"{header}.{forged}.{signature}", resolver=resolver_for(issuer))


def test_tampered_vector_fails(shared_fixtures: Path, loader: DocumentLoader) -> None:
    path = vc_dir(shared_fixtures) / "vc-di-eddsa" / "TestVectors" / "eddsa-rdfc-2022" / "signedDataInt.json"
    document = copy.deepcopy(load(path))
    document["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    with pytest.raises(InvalidSignatureError):
        verify_data_integrity(document, loader=loader, issuer_binding=False)
