"""Issue and verify credential and presentation JWTs (VC 1.1 and VC 2.0 / VC-JOSE), and the JWT fixtures."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk.errors import InvalidClaimsError, MalformedTokenError, VerificationMethodError
from d4h_sdk.identity.did import DidDocument
from d4h_sdk.identity.jose import peek
from d4h_sdk.identity.vc import (
    VcVersion,
    did_key_document,
    issue_vc_jwt,
    issue_vp_jwt,
    multibase_encode,
    verify_vc_jwt,
    verify_vp_jwt,
)
from d4h_sdk.identity.vc._envelope import enveloped_tokens
from d4h_sdk.testing import FakeSigner

from ._support import HOLDER, ISSUER, NOW, VERIFIER, fake, load, resolver_for, vc_dir


def credential(version: VcVersion = "1.1", subject: str = HOLDER) -> dict[str, Any]:
    context = (
        "https://www.w3.org/2018/credentials/v1"
        if version == "1.1"
        else "https://www.w3.org/ns/credentials/v2"
    )
    return {
        "@context": [context],
        "type": ["VerifiableCredential", "MembershipCredential"],
        "credentialSubject": {"id": subject, "memberOf": "DS4H"},
    }


def clock() -> float:
    return NOW


@pytest.mark.parametrize("version", ["1.1", "2.0"])
def test_vc_round_trip(version: VcVersion) -> None:
    issuer = fake(ISSUER, "P-256")
    token = issue_vc_jwt(issuer, credential(version), version=version, lifetime_s=3600, clock=clock)
    header, claims = peek(token)
    assert header["typ"] == ("JWT" if version == "1.1" else "vc+jwt")
    if version == "1.1":
        assert claims["iss"] == ISSUER and claims["sub"] == HOLDER and claims["exp"] == NOW + 3600
        assert claims["vc"]["issuer"] == ISSUER and "jti" in claims
    else:
        assert "vc" not in claims and claims["issuer"] == ISSUER and claims["iss"] == ISSUER
    result = verify_vc_jwt(token, resolver=resolver_for(issuer), trusted_issuers=[ISSUER], clock=clock)
    assert (result.issuer, result.subject, result.version) == (ISSUER, HOLDER, version)
    assert result.types == ("VerifiableCredential", "MembershipCredential")
    assert result.expires_at is not None and result.expires_at.timestamp() == NOW + 3600
    assert result.key_id == issuer.key_id
    # the enveloped data URL form is accepted too
    assert (
        verify_vc_jwt("data:application/vc+jwt," + token, resolver=resolver_for(issuer), clock=clock)
        == result
    )


@pytest.mark.parametrize("version", ["1.1", "2.0"])
def test_vp_round_trip_and_holder_binding(version: VcVersion) -> None:
    issuer, holder = fake(ISSUER, "P-256"), fake(HOLDER)
    resolver = resolver_for(issuer, holder)
    vcs = [
        issue_vc_jwt(issuer, credential(version), version=version, clock=clock),
        issue_vc_jwt(
            issuer, credential(version, subject="did:web:other.example"), version=version, clock=clock
        ),
    ]
    token = issue_vp_jwt(holder, vcs[:1], audience=VERIFIER, version=version, nonce="n-1", clock=clock)
    result = verify_vp_jwt(
        token, resolver=resolver, audience=VERIFIER, trusted_issuers=[ISSUER], clock=clock, nonce="n-1"
    )
    assert (result.holder, result.version, result.holder_bound, result.nonce) == (
        HOLDER,
        version,
        True,
        "n-1",
    )
    assert [c.subject for c in result.credentials] == [HOLDER]
    mixed = issue_vp_jwt(holder, vcs, audience=VERIFIER, version=version, clock=clock)
    assert verify_vp_jwt(mixed, resolver=resolver, audience=VERIFIER, clock=clock).holder_bound is False
    with pytest.raises(InvalidClaimsError, match="not about its holder"):
        verify_vp_jwt(mixed, resolver=resolver, audience=VERIFIER, clock=clock, require_holder_binding=True)
    with pytest.raises(InvalidClaimsError, match="nonce"):
        verify_vp_jwt(token, resolver=resolver, audience=VERIFIER, clock=clock, nonce="other")


def test_vp_20_has_edc_double_wrapped_shape() -> None:
    issuer, holder = fake(ISSUER, "P-256"), fake(HOLDER)
    vc = issue_vc_jwt(issuer, credential("2.0"), version="2.0", clock=clock)
    token = issue_vp_jwt(holder, [vc], audience=VERIFIER, version="2.0", clock=clock)
    header, outer = peek(token)
    assert header["typ"] == "vp+jwt" and outer["type"] == "EnvelopedVerifiablePresentation"
    (inner,) = enveloped_tokens(outer, "application/vp+jwt")
    _, inner_claims = peek(inner)
    assert inner_claims["holder"] == HOLDER
    assert inner_claims["verifiableCredential"] == [
        {
            "@context": "https://www.w3.org/ns/credentials/v2",
            "type": "EnvelopedVerifiableCredential",
            "id": "data:application/vc+jwt," + vc,
        }
    ]
    # the inner presentation alone (the plain VC 2.0 shape) verifies as well
    plain = verify_vp_jwt(inner, resolver=resolver_for(issuer, holder), audience=VERIFIER, clock=clock)
    assert plain.credentials[0].issuer == ISSUER


def test_lax_relationship_policy_for_edc_documents() -> None:
    issuer, holder = fake(ISSUER, "P-256"), fake(HOLDER)
    resolver = resolver_for(issuer, holder, relationships=())  # keys only under verificationMethod
    vc = issue_vc_jwt(issuer, credential(), clock=clock)
    token = issue_vp_jwt(holder, [vc], audience=VERIFIER, clock=clock)
    with pytest.raises(VerificationMethodError, match="authentication"):
        verify_vp_jwt(token, resolver=resolver, audience=VERIFIER, clock=clock)
    with pytest.raises(VerificationMethodError, match="assertionMethod"):
        verify_vc_jwt(vc, resolver=resolver, clock=clock)
    result = verify_vp_jwt(
        token, resolver=resolver, audience=VERIFIER, clock=clock, relationship_policy="lax"
    )
    assert result.credentials[0].issuer == ISSUER


def test_did_key_issuer_needs_no_resolver_entry() -> None:
    seed = b"did:key test issuer"
    jwk = FakeSigner("Ed25519", key_id="did:key:unused#unused", seed=seed).public_jwk()
    multikey = multibase_encode(b"\xed\x01" + base64.urlsafe_b64decode(jwk["x"] + "=="))
    did = f"did:key:{multikey}"
    signer = FakeSigner("Ed25519", key_id=f"{did}#{multikey}", seed=seed)
    token = issue_vc_jwt(signer, credential(), clock=clock)
    result = verify_vc_jwt(token, resolver=resolver_for(), clock=clock)  # the resolver knows no DID
    assert result.issuer == did
    assert isinstance(did_key_document(did), DidDocument)


def test_issue_refuses_a_foreign_issuer_and_bad_options() -> None:
    from d4h_sdk.errors import ConfigurationError

    signer = fake(ISSUER)
    with pytest.raises(ConfigurationError, match="issuer"):
        issue_vc_jwt(signer, {**credential(), "issuer": "did:web:someone.else"})
    with pytest.raises(ConfigurationError, match="version"):
        issue_vc_jwt(signer, credential(), version="3.0")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="compact VC JWTs"):
        issue_vp_jwt(signer, ["not a jwt"], audience=VERIFIER)


# --- fixtures: VC 1.1 JWT examples, VC-JOSE enveloped examples, Multikey examples ----------------------


def test_vc11_jwt_examples_decode(shared_fixtures: Path) -> None:
    examples = load(vc_dir(shared_fixtures) / "vc-data-model-1.1" / "jwt-examples.json")["examples"]
    assert len(examples) == 2
    for example in examples:
        header, claims = peek(example["jwt"])
        assert header == example["decoded_header"] and claims == example["decoded_payload"]
    vp_claims = examples[1]["decoded_payload"]
    assert vp_claims["vp"]["verifiableCredential"] == [examples[0]["jwt"]]


def test_vc11_jwt_example_issuer_is_not_a_did(shared_fixtures: Path) -> None:
    # no key is published; the example's iss is a URL, which a DID-based verifier refuses before any key use
    from d4h_sdk.errors import UntrustedIssuerError

    example = load(vc_dir(shared_fixtures) / "vc-data-model-1.1" / "jwt-examples.json")["examples"][0]
    with pytest.raises(UntrustedIssuerError, match="not a DID"):
        verify_vc_jwt(example["jwt"], resolver=resolver_for(), clock=lambda: 1541493724.0)


def test_vc_jose_enveloped_examples(shared_fixtures: Path) -> None:
    examples = load(vc_dir(shared_fixtures) / "vc-jose-cose" / "jose-enveloped-examples.json")["examples"]
    assert len(examples) == 3
    assert examples[0]["example"]["type"][0] == "VerifiableCredential"
    enveloped_vc = examples[1]
    (vc_token,) = enveloped_tokens(enveloped_vc["example"]["verifiableCredential"][0], "application/vc+jwt")
    assert peek(vc_token) == (enveloped_vc["decoded_header"], enveloped_vc["decoded_payload"])
    enveloped_vp = examples[2]
    document = enveloped_vp["example"]
    document = json.loads(document) if isinstance(document, str) else document
    (vp_token,) = enveloped_tokens(document, "application/vp+jwt")
    header, payload = peek(vp_token)
    assert (header, payload) == (enveloped_vp["decoded_header"], enveloped_vp["decoded_payload"])
    # the VP's credential id concatenates two data URLs with ';' (EDC splits them)
    tokens = enveloped_tokens(payload["verifiableCredential"][0], "application/vc+jwt")
    assert tokens == [vc_token, vc_token]
    # the structure is a VC 2.0 credential, but with no key published (kid is a bare thumbprint) it cannot
    # be bound to an issuer DID:
    from d4h_sdk.errors import UntrustedIssuerError

    with pytest.raises(UntrustedIssuerError, match="not a DID"):
        verify_vc_jwt(vc_token, resolver=resolver_for(), clock=clock)


def test_multikey_examples(shared_fixtures: Path) -> None:
    data = load(vc_dir(shared_fixtures) / "cid" / "multikey-jwk-examples.json")
    for example in data["examples"]:
        did = "did:key:" + example["publicKeyMultibase"]
        document = did_key_document(did)
        jwk = document.key_for(f"{did}#{example['publicKeyMultibase']}", "assertionMethod")
        assert jwk["crv"] == example["crv"]
        if "equivalent_publicKeyJwk" in example:
            assert jwk == example["equivalent_publicKeyJwk"]
    with pytest.raises(MalformedTokenError):
        from d4h_sdk.identity.vc import multibase_decode

        multibase_decode("u" + data["examples"][0]["publicKeyMultibase"][1:])
