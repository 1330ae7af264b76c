"""Signing Tagus (JsonWebSignature2020) and Loire (VC-JOSE) credentials; verified with the vc module."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from d4h_sdk.errors import ConfigurationError, InvalidClaimsError, SigningError, VerificationError
from d4h_sdk.identity import gaiax, vc
from d4h_sdk.identity.did import StaticDidResolver, build_did_document
from d4h_sdk.identity.jose import peek
from d4h_sdk.testing import FakeSigner

from .conftest import PARTICIPANT, build_set

KID = f"{PARTICIPANT}#key-1"


@pytest.fixture
def signer() -> FakeSigner:
    return FakeSigner("P-256", key_id=KID)


@pytest.fixture
def resolver(signer: FakeSigner) -> StaticDidResolver:
    return StaticDidResolver(
        {PARTICIPANT: build_did_document(PARTICIPANT, keys=[("key-1", signer.public_jwk())])}
    )


def test_sign_tagus_adds_a_verifiable_jws2020_proof(signer: FakeSigner) -> None:
    credential = build_set(gaiax.GaiaXRelease.TAGUS)["participant"]
    created = dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc)
    signed = gaiax.sign_tagus(credential, signer, verification_method=KID, created=created)
    assert "proof" not in credential
    proof = signed["proof"]
    assert proof["type"] == "JsonWebSignature2020"
    assert proof["verificationMethod"] == KID
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["jws"].count(".") == 2 and ".." in proof["jws"]
    loader = gaiax.gaiax_document_loader()
    vc.verify_data_integrity(signed, key=signer.public_jwk(), loader=loader)
    tampered = {
        **signed,
        "credentialSubject": {**signed["credentialSubject"], "gx:legalName": "Someone Else"},
    }
    with pytest.raises(VerificationError):
        vc.verify_data_integrity(tampered, key=signer.public_jwk(), loader=loader)


def test_sign_tagus_refuses_an_undefined_term(signer: FakeSigner) -> None:
    credential = build_set(gaiax.GaiaXRelease.TAGUS)["participant"]
    credential["credentialSubject"]["legalNickname"] = "not defined by any context"
    with pytest.raises(InvalidClaimsError, match="legalNickname"):
        gaiax.sign_tagus(credential, signer, verification_method=KID)


def test_sign_loire_is_a_vc_jose_credential(signer: FakeSigner, resolver: StaticDidResolver) -> None:
    credential = build_set(gaiax.GaiaXRelease.LOIRE)["participant"]
    token = gaiax.sign_loire(credential, signer)
    header, payload = peek(token)
    assert header["typ"] == "vc+jwt"
    assert header["kid"] == KID
    assert payload["credentialSubject"] == credential["credentialSubject"]
    verified = vc.verify_vc_jwt(token, resolver=resolver)
    assert verified.issuer == PARTICIPANT
    assert "gx:LegalPerson" in verified.types
    assert peek(gaiax.sign_loire(credential, signer, typ="vc+ld+json+jwt"))[0]["typ"] == "vc+ld+json+jwt"


def test_sign_loire_refuses_a_credential_of_another_issuer(signer: FakeSigner) -> None:
    credential = build_set(gaiax.GaiaXRelease.LOIRE)["lrn"]  # issued by the notary
    with pytest.raises(ConfigurationError, match="issuer"):
        gaiax.sign_loire(credential, signer)


def test_loire_presentation_envelopes_the_credentials(
    signer: FakeSigner, resolver: StaticDidResolver
) -> None:
    creds = build_set(gaiax.GaiaXRelease.LOIRE)
    tokens = [gaiax.sign_loire(creds[name], signer) for name in ("participant", "terms", "offering")]
    vp = gaiax.loire_presentation(signer, tokens, audience="https://compliance.example/v2", nonce="n-1")
    header, payload = peek(vp)
    assert header["typ"] == "vp+jwt"
    assert payload["type"] == ["VerifiablePresentation"]
    assert payload["holder"] == payload["iss"] == PARTICIPANT
    assert [e["id"] for e in payload["verifiableCredential"]] == [
        f"data:application/vc+jwt,{t}" for t in tokens
    ]
    assert all(e["type"] == "EnvelopedVerifiableCredential" for e in payload["verifiableCredential"])
    assert payload["exp"] - payload["iat"] == 300
    verified = vc.verify_vp_jwt(
        vp, resolver=resolver, audience="https://compliance.example/v2", relationship_policy="lax"
    )
    assert verified.holder == PARTICIPANT
    assert len(verified.credentials) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"credentials": []}, "at least one"),
        ({"credentials": ["not-a-jws"]}, "compact JWS"),
        ({"credentials": ["a.b.c"], "lifetime_s": 0}, "lifetime_s"),
    ],
)
def test_loire_presentation_refuses_bad_input(
    signer: FakeSigner, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        gaiax.loire_presentation(signer, **kwargs)


def test_loire_presentation_needs_a_did_key_id() -> None:
    with pytest.raises(ConfigurationError, match="DID URL"):
        gaiax.loire_presentation(FakeSigner(key_id="key-1"), ["a.b.c"])


def test_signing_failures_surface_as_signing_error() -> None:
    failing = FakeSigner("P-256", key_id=KID, fail=True)
    with pytest.raises(SigningError):
        gaiax.sign_loire(build_set(gaiax.GaiaXRelease.LOIRE)["participant"], failing)
    with pytest.raises(SigningError):
        gaiax.sign_tagus(build_set(gaiax.GaiaXRelease.TAGUS)["participant"], failing, verification_method=KID)
