"""SelfIssuedTokenIssuer and SelfIssuedTokenVerifier, with the attack matrix of notes/identity.md §1.1/§1.2."""

from __future__ import annotations

from typing import Any

import pytest

from d4h_sdk.errors import (
    ConfigurationError,
    DidResolutionError,
    ExpiredTokenError,
    InvalidClaimsError,
    InvalidSignatureError,
    MalformedTokenError,
    ReplayedTokenError,
    UntrustedIssuerError,
    VerificationMethodError,
)
from d4h_sdk.identity.dcp import Scope, SelfIssuedTokenIssuer, SelfIssuedTokenVerifier
from d4h_sdk.identity.did import StaticDidResolver
from d4h_sdk.identity.jose import peek, sign_compact
from d4h_sdk.testing import FakeSigner

from ._parties import HOLDER, OTHER, T0, VERIFIER, World, document, signer, world


@pytest.fixture
def w() -> World:
    return world()


def _issuer(w: World, **kwargs: Any) -> SelfIssuedTokenIssuer:
    return SelfIssuedTokenIssuer(w.holder, participant_did=HOLDER, clock=w.clock, **kwargs)


def _verifier(w: World, resolver: StaticDidResolver | None = None, **kwargs: Any) -> SelfIssuedTokenVerifier:
    return SelfIssuedTokenVerifier(VERIFIER, resolver or w.resolver, clock=w.clock, **kwargs)


def _forge(w: World, claims: dict[str, Any], *, key: FakeSigner | None = None, **headers: Any) -> str:
    base = {"iss": HOLDER, "sub": HOLDER, "aud": VERIFIER, "jti": "j-1", "iat": int(T0), "exp": int(T0) + 300}
    base.update(claims)
    return sign_compact(
        key or w.holder, {k: v for k, v in base.items() if v is not None}, headers=headers or None
    )


# --- issuing ------------------------------------------------------------------------------------------------


def test_issued_token_shape(w: World) -> None:
    token = _issuer(w).issue(VERIFIER)
    header, claims = peek(token)
    assert header == {"alg": "EdDSA", "kid": f"{HOLDER}#key-1", "typ": "JWT"}
    assert claims["iss"] == claims["sub"] == HOLDER and claims["aud"] == VERIFIER
    assert claims["iat"] == int(T0) and claims["exp"] == int(T0) + 300
    assert len(claims["jti"]) == 36 and "token" not in claims
    assert peek(_issuer(w).issue(VERIFIER))[1]["jti"] != claims["jti"]


def test_issue_with_token_and_extra_claims(w: World) -> None:
    claims = peek(_issuer(w, lifetime_s=60).issue(VERIFIER, token="access", extra_claims={"nonce": "n"}))[1]
    assert claims["token"] == "access" and claims["nonce"] == "n" and claims["exp"] - claims["iat"] == 60


def test_access_token_the_edc_way(w: World) -> None:
    issuer = _issuer(w)
    scopes: list[Scope | str] = [
        Scope.for_type("MembershipCredential"),
        "org.eclipse.tractusx.vc.type:BpnCredential:read",
    ]
    access = peek(issuer.issue_access_token(VERIFIER, scopes))[1]
    assert access["iss"] == access["aud"] == HOLDER and access["sub"] == VERIFIER
    assert access["scope"] == (
        "org.eclipse.dspace.dcp.vc.type:MembershipCredential:read org.eclipse.tractusx.vc.type:BpnCredential:read"
    )
    nested = peek(issuer.issue(VERIFIER, scopes=scopes))[1]["token"]
    assert peek(nested)[1]["scope"] == access["scope"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"participant_did": "hospital"}, "must be a DID"),
        ({"participant_did": OTHER}, "must be a key of"),
        ({"participant_did": HOLDER, "lifetime_s": 0}, "lifetime_s"),
    ],
)
def test_issuer_configuration(w: World, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        SelfIssuedTokenIssuer(w.holder, **kwargs)


def test_issue_argument_errors(w: World) -> None:
    issuer = _issuer(w)
    with pytest.raises(ConfigurationError, match="reserved|may not set"):
        issuer.issue(VERIFIER, extra_claims={"aud": "x"})
    with pytest.raises(ConfigurationError, match="not both"):
        issuer.issue(VERIFIER, token="t", scopes=["a:b"])
    with pytest.raises(ConfigurationError):
        issuer.issue("")
    with pytest.raises(ConfigurationError, match="at least one scope"):
        issuer.issue_access_token(VERIFIER, [])
    assert "key-1" in repr(issuer)


# --- verifying: the happy paths -----------------------------------------------------------------------------


def test_round_trip(w: World) -> None:
    token = _issuer(w).issue(VERIFIER, scopes=[Scope.for_type("MembershipCredential")])
    verified = _verifier(w).verify("Bearer " + token)
    assert verified.issuer == HOLDER and verified.claims["aud"] == VERIFIER
    assert verified.access_token == verified.claims["token"]
    assert verified.access_token is not None and verified.access_token not in repr(verified)


def test_es256_holder_and_raw_token(w: World) -> None:
    p256 = signer(HOLDER, "key-2", kind="P-256")
    resolver = StaticDidResolver({HOLDER: document(HOLDER, w.holder, p256)})
    token = SelfIssuedTokenIssuer(p256, participant_did=HOLDER, clock=w.clock).issue(VERIFIER)
    assert _verifier(w, resolver).verify(token).issuer == HOLDER


class NoKid:
    """Signs with the holder's key but puts no kid in the header."""

    def __init__(self, inner: FakeSigner) -> None:
        self._inner = inner
        self.key_id = ""
        self.algorithm = inner.algorithm

    def public_jwk(self) -> Any:
        return self._inner.public_jwk()

    def sign(self, data: bytes) -> bytes:
        return self._inner.sign(data)


def _no_kid_token(w: World) -> str:
    claims = {
        "iss": HOLDER,
        "sub": HOLDER,
        "aud": VERIFIER,
        "jti": "j-nokid",
        "iat": int(T0),
        "exp": int(T0) + 60,
    }
    token = sign_compact(NoKid(w.holder), claims)
    assert "kid" not in peek(token)[0]
    return token


def test_no_kid_single_method_is_used(w: World) -> None:
    assert _verifier(w).verify(_no_kid_token(w)).issuer == HOLDER


def test_no_kid_single_method_must_still_be_capability_invocation(w: World) -> None:
    resolver = StaticDidResolver({HOLDER: document(HOLDER, w.holder, relationships=("assertionMethod",))})
    with pytest.raises(VerificationMethodError, match="capabilityInvocation"):
        _verifier(w, resolver).verify(_no_kid_token(w))


def test_no_kid_several_methods_rejected(w: World) -> None:
    resolver = StaticDidResolver({HOLDER: document(HOLDER, w.holder, signer(HOLDER, "key-2"))})
    with pytest.raises(VerificationMethodError, match="2 verification methods"):
        _verifier(w, resolver).verify(_no_kid_token(w))


# --- the attack matrix ----------------------------------------------------------------------------------------


def test_wrong_audience(w: World) -> None:
    with pytest.raises(InvalidClaimsError, match="not to this verifier"):
        _verifier(w).verify(_issuer(w).issue(OTHER))


def test_iss_not_sub(w: World) -> None:
    with pytest.raises(InvalidClaimsError, match="iss == sub"):
        _verifier(w).verify(_forge(w, {"sub": OTHER}))


def test_kid_of_another_did(w: World) -> None:
    # signed by mallory's key, claiming to be the hospital
    token = _forge(w, {}, key=w.other)
    with pytest.raises(UntrustedIssuerError, match="not a key of the issuer"):
        _verifier(w).verify(token)


def test_foreign_signature_under_the_holders_kid(w: World) -> None:
    impostor = FakeSigner("Ed25519", key_id=f"{HOLDER}#key-1", seed=b"mallory")
    with pytest.raises(InvalidSignatureError):
        _verifier(w).verify(_forge(w, {}, key=impostor))


def test_unknown_kid(w: World) -> None:
    ghost = FakeSigner("Ed25519", key_id=f"{HOLDER}#key-9", seed=b"ghost")
    with pytest.raises(VerificationMethodError, match="no verification method"):
        _verifier(w).verify(_forge(w, {}, key=ghost))


def test_replayed_jti(w: World) -> None:
    verifier = _verifier(w)
    token = _issuer(w).issue(VERIFIER)
    verifier.verify(token)
    with pytest.raises(ReplayedTokenError):
        verifier.verify(token)


def test_rejected_token_does_not_burn_its_jti(w: World) -> None:
    verifier = _verifier(w, require_token_claim=True)
    token = _issuer(w).issue(VERIFIER)
    with pytest.raises(InvalidClaimsError):
        verifier.verify(token)
    assert _verifier(w, replay=verifier._replay).verify(token).issuer == HOLDER  # noqa: SLF001


def test_key_not_in_capability_invocation_strict_vs_lax(w: World) -> None:
    edc_style = world(relationships=())  # stock EDC: keys only under verificationMethod
    token = SelfIssuedTokenIssuer(edc_style.holder, participant_did=HOLDER, clock=edc_style.clock).issue(
        VERIFIER
    )
    with pytest.raises(VerificationMethodError, match="capabilityInvocation"):
        SelfIssuedTokenVerifier(VERIFIER, edc_style.resolver, clock=edc_style.clock).verify(token)
    lax = SelfIssuedTokenVerifier(
        VERIFIER, edc_style.resolver, clock=edc_style.clock, relationship_policy="any-verification-method"
    )
    assert lax.verify(token).issuer == HOLDER


def test_key_only_under_authentication_is_not_enough_when_strict(w: World) -> None:
    resolver = StaticDidResolver({HOLDER: document(HOLDER, w.holder, relationships=("authentication",))})
    with pytest.raises(VerificationMethodError):
        _verifier(w, resolver).verify(_issuer(w).issue(VERIFIER))


def test_expired(w: World) -> None:
    token = _issuer(w).issue(VERIFIER)
    w.clock.now = T0 + 300 + 6
    with pytest.raises(ExpiredTokenError, match="expired"):
        _verifier(w).verify(token)


def test_expiry_within_leeway_is_accepted(w: World) -> None:
    token = _issuer(w).issue(VERIFIER)
    w.clock.now = T0 + 300 + 4
    assert _verifier(w).verify(token).issuer == HOLDER


def test_nbf_and_iat_in_the_future(w: World) -> None:
    with pytest.raises(ExpiredTokenError, match="not valid before"):
        _verifier(w).verify(_forge(w, {"nbf": int(T0) + 60}))
    with pytest.raises(ExpiredTokenError, match="future"):
        _verifier(w).verify(_forge(w, {"iat": int(T0) + 60, "jti": "j-2"}))


def test_too_old(w: World) -> None:
    token = _forge(w, {"iat": int(T0) - 3600, "exp": int(T0) + 60})
    with pytest.raises(ExpiredTokenError, match="maximum age"):
        _verifier(w).verify(token)
    assert _verifier(w, max_age_s=None).verify(token).issuer == HOLDER


def test_sub_jwk_rejected(w: World) -> None:
    with pytest.raises(InvalidClaimsError, match="sub_jwk"):
        _verifier(w).verify(_forge(w, {"sub_jwk": dict(w.holder.public_jwk())}))


def test_missing_token_claim_when_required(w: World) -> None:
    with pytest.raises(InvalidClaimsError, match="'token' claim"):
        _verifier(w, require_token_claim=True).verify(_issuer(w).issue(VERIFIER))
    token = _issuer(w).issue(VERIFIER, token="opaque-access-token")
    assert _verifier(w, require_token_claim=True).verify(token).access_token == "opaque-access-token"


@pytest.mark.parametrize("missing", ["jti", "exp", "iat"])
def test_required_claims(w: World, missing: str) -> None:
    with pytest.raises(InvalidClaimsError, match="lacks required claim"):
        _verifier(w).verify(_forge(w, {missing: None}))


def test_document_id_must_be_the_subject(w: World) -> None:
    class Lying:
        def resolve(self, did: str) -> Any:
            return w.resolver.resolve(OTHER)

    with pytest.raises(DidResolutionError, match="describes"):
        SelfIssuedTokenVerifier(VERIFIER, Lying(), clock=w.clock).verify(_issuer(w).issue(VERIFIER))


def test_unresolvable_holder(w: World) -> None:
    resolver = StaticDidResolver({VERIFIER: w.resolver.resolve(VERIFIER)})
    with pytest.raises(DidResolutionError):
        _verifier(w, resolver).verify(_issuer(w).issue(VERIFIER))


@pytest.mark.parametrize("token", ["", "Bearer ", "not-a-jwt", "a.b", "Bearer x.y.z"])
def test_malformed(w: World, token: str) -> None:
    with pytest.raises(MalformedTokenError):
        _verifier(w).verify(token)


def test_tampered_payload(w: World) -> None:
    token = _issuer(w).issue(VERIFIER)
    header, payload, signature = token.split(".")
    forged = _forge(w, {"jti": "other"}).split(".")[1]
    with pytest.raises(InvalidSignatureError):
        _verifier(w).verify(f"{header}.{forged}.{signature}")
    assert payload != forged


def test_verifier_configuration(w: World) -> None:
    with pytest.raises(ConfigurationError):
        SelfIssuedTokenVerifier("research", w.resolver)
    with pytest.raises(ConfigurationError):
        SelfIssuedTokenVerifier(VERIFIER, w.resolver, relationship_policy="loose")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        SelfIssuedTokenVerifier(VERIFIER, w.resolver, leeway_s=-1)
    assert "strict" in repr(_verifier(w))
