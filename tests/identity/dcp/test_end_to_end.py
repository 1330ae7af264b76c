"""Holder, verifier and credential issuer: SI token -> presentation query -> VP -> verified claims."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from d4h_sdk.errors import (
    ExpiredTokenError,
    InvalidClaimsError,
    InvalidSignatureError,
    MalformedTokenError,
    UntrustedIssuerError,
    VerificationError,
)
from d4h_sdk.identity.dcp import (
    PresentationQueryMessage,
    PresentationResponseMessage,
    PresentationVerifier,
    VerifiedClaims,
)
from d4h_sdk.identity.jose import peek

from ._flow import MEMBERSHIP, PERMIT, Flow, credential, flow, issue
from ._parties import HOLDER, ISSUER, OTHER, VERIFIER, World, world


def _run(f: Flow, scopes: tuple[Any, ...] = (MEMBERSHIP,)) -> tuple[str, PresentationResponseMessage]:
    holder, header = f.query_token(f.consumer_token(scopes))
    query = PresentationQueryMessage(scope=tuple(str(s) for s in scopes))
    return holder, f.responder.respond(header, query)


@pytest.fixture
def w() -> World:
    return world()


def test_membership_flow(w: World) -> None:
    membership = issue(w, credential("MembershipCredential"))
    f = flow(w, [membership, issue(w, credential("DataPermitCredential"))])
    holder, response = _run(f)
    assert holder == HOLDER and len(response.presentation) == 1
    vp = response.presentation[0]
    assert isinstance(vp, str)
    header, claims = peek(vp)
    assert claims["iss"] == HOLDER and claims["aud"] == VERIFIER and header["kid"] == f"{HOLDER}#key-1"
    assert claims["vp"]["verifiableCredential"] == [membership]  # the permit was not asked for
    result = f.presentation_verifier.verify(response, si_token_issuer=holder, required_scopes=[MEMBERSHIP])
    assert isinstance(result, VerifiedClaims)
    assert result.holder == HOLDER and "MembershipCredential" in result.types
    assert [c.issuer for c in result.of_type("MembershipCredential")] == [ISSUER]
    assert result.status_unchecked == ()


def test_two_scopes_and_vc_2_0_give_one_vp_per_data_model(w: World) -> None:
    f = flow(
        w,
        [
            issue(w, credential("MembershipCredential")),
            issue(w, credential("DataPermitCredential"), version="2.0"),
        ],
    )
    holder, response = _run(f, (MEMBERSHIP, PERMIT))
    assert len(response.presentation) == 2
    result = f.presentation_verifier.verify(
        response, si_token_issuer=holder, required_scopes=[MEMBERSHIP, PERMIT]
    )
    assert {c.version for c in result.credentials} == {"1.1", "2.0"}


def test_trust_list_as_plain_collection(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))], trusted_issuers=[ISSUER])
    holder, response = _run(f)
    assert f.presentation_verifier.verify(response, si_token_issuer=holder).holder == HOLDER


def test_over_http_wire_form(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    holder, response = _run(f)
    wire = json.loads(json.dumps(response.to_json()))
    again = PresentationResponseMessage.model_validate(wire)
    assert f.presentation_verifier.verify(again, si_token_issuer=holder, required_scopes=[MEMBERSHIP])


# --- tampering and trust failures ---------------------------------------------------------------------------


def test_vp_from_someone_else_than_the_token_issuer(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    _, response = _run(f)
    with pytest.raises(UntrustedIssuerError, match="not from the token issuer"):
        f.presentation_verifier.verify(response, si_token_issuer=OTHER)


def test_vp_for_another_verifier(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    holder, response = _run(f)
    other_verifier = PresentationVerifier(w.resolver, my_did=OTHER, trusted_issuers=[ISSUER], clock=w.clock)
    with pytest.raises(InvalidClaimsError):
        other_verifier.verify(response, si_token_issuer=holder)


def test_untrusted_issuer(w: World) -> None:
    f = flow(
        w, [issue(w, credential("MembershipCredential"))], trusted_issuers={"MembershipCredential": [OTHER]}
    )
    holder, response = _run(f)
    with pytest.raises(UntrustedIssuerError, match="not trusted"):
        f.presentation_verifier.verify(response, si_token_issuer=holder)


def test_issuer_trusted_only_for_another_type(w: World) -> None:
    f = flow(
        w, [issue(w, credential("MembershipCredential"))], trusted_issuers={"DataPermitCredential": [ISSUER]}
    )
    holder, response = _run(f)
    with pytest.raises(UntrustedIssuerError):
        f.presentation_verifier.verify(response, si_token_issuer=holder)


def test_self_issued_membership_is_not_trusted(w: World) -> None:
    forged = issue(w, {**credential("MembershipCredential"), "issuer": HOLDER}, signer=w.holder)
    f = flow(w, [forged])
    holder, response = _run(f)
    with pytest.raises(UntrustedIssuerError):
        f.presentation_verifier.verify(response, si_token_issuer=holder)


def test_required_scope_not_satisfied(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    holder, response = _run(f)
    with pytest.raises(InvalidClaimsError, match="DataPermitCredential"):
        f.presentation_verifier.verify(response, si_token_issuer=holder, required_scopes=[PERMIT])


def test_nothing_presented_fails_the_required_scope(w: World) -> None:
    f = flow(w, [issue(w, credential("DataPermitCredential"))])
    holder, response = _run(f)
    assert response.presentation == ()
    with pytest.raises(InvalidClaimsError):
        f.presentation_verifier.verify(response, si_token_issuer=holder, required_scopes=[MEMBERSHIP])


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] += 3600
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_tampered_vp(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    holder, response = _run(f)
    tampered = PresentationResponseMessage(presentation=(_tamper(str(response.presentation[0])),))
    with pytest.raises(InvalidSignatureError):
        f.presentation_verifier.verify(tampered, si_token_issuer=holder)


def test_tampered_vc_inside_a_valid_vp(w: World) -> None:
    f = flow(w, [_tamper(issue(w, credential("MembershipCredential")))])
    holder, response = _run(f)
    with pytest.raises(InvalidSignatureError):
        f.presentation_verifier.verify(response, si_token_issuer=holder)


def test_expired_credential(w: World) -> None:
    short = issue(w, credential("MembershipCredential"), lifetime_s=100)
    f = flow(w, [short])
    w.clock.now += 200
    holder, response = _run(f)  # fresh tokens and VP, stale VC
    with pytest.raises(ExpiredTokenError):
        f.presentation_verifier.verify(response, si_token_issuer=holder)


def test_expired_presentation(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    holder, response = _run(f)
    w.clock.now += 120  # VP lifetime is 60 s
    with pytest.raises(ExpiredTokenError):
        f.presentation_verifier.verify(response, si_token_issuer=holder)


def test_credential_about_someone_else(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential", subject=OTHER))])
    holder, response = _run(f)
    with pytest.raises(InvalidClaimsError, match="not about the holder"):
        f.presentation_verifier.verify(response, si_token_issuer=holder)
    lenient = PresentationVerifier(
        w.resolver, my_did=VERIFIER, trusted_issuers=[ISSUER], clock=w.clock, require_subject_binding=False
    )
    assert lenient.verify(response, si_token_issuer=holder).holder == HOLDER


def test_ldp_presentation_is_refused(w: World) -> None:
    f = flow(w, [])
    response = PresentationResponseMessage(presentation=({"type": "VerifiablePresentation"},))
    with pytest.raises(MalformedTokenError, match="LDP"):
        f.presentation_verifier.verify(response, si_token_issuer=HOLDER)


# --- status lists -------------------------------------------------------------------------------------------

STATUS = {
    "id": "https://authority.example/status/3#94567",
    "type": "StatusList2021Entry",
    "statusPurpose": "revocation",
    "statusListIndex": "94567",
    "statusListCredential": "https://authority.example/status/3",
}


def test_status_not_checked_is_reported(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential", credentialStatus=STATUS))])
    holder, response = _run(f)
    result = f.presentation_verifier.verify(response, si_token_issuer=holder)
    assert result.status_unchecked == ("urn:uuid:MembershipCredential-1",)


@pytest.mark.parametrize("valid", [True, False])
def test_status_checker(w: World, valid: bool) -> None:
    seen: list[tuple[str, str]] = []

    def checker(vc: Any, entry: Any) -> bool:
        seen.append((vc.issuer, entry["statusListIndex"]))
        return valid

    f = flow(
        w, [issue(w, credential("MembershipCredential", credentialStatus=[STATUS]))], status_checker=checker
    )
    holder, response = _run(f)
    if valid:
        assert f.presentation_verifier.verify(response, si_token_issuer=holder).status_unchecked == ()
    else:
        with pytest.raises(VerificationError, match="revoked or suspended"):
            f.presentation_verifier.verify(response, si_token_issuer=holder)
    assert seen == [(ISSUER, "94567")]


@pytest.mark.parametrize(
    ("trusted", "match"),
    [
        ("did:web:authority.example", "collection of DIDs"),
        ({"MembershipCredential": "did:web:authority.example"}, "must be a collection"),
        ([], "empty"),
        ({"MembershipCredential": []}, "empty"),
    ],
)
def test_presentation_verifier_configuration(w: World, trusted: Any, match: str) -> None:
    from d4h_sdk.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=match):
        PresentationVerifier(w.resolver, my_did=VERIFIER, trusted_issuers=trusted)


def test_presentation_verifier_policy_and_repr(w: World) -> None:
    from d4h_sdk.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="relationship_policy"):
        PresentationVerifier(w.resolver, my_did=VERIFIER, trusted_issuers=[ISSUER], relationship_policy="x")  # type: ignore[arg-type]
    lax = PresentationVerifier(
        w.resolver,
        my_did=VERIFIER,
        trusted_issuers={"*": [ISSUER]},
        clock=w.clock,
        relationship_policy="any-verification-method",
    )
    assert "'*'" in repr(lax)
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    holder, response = _run(f)
    assert lax.verify(response, si_token_issuer=holder, required_scopes=[str(MEMBERSHIP)]).holder == HOLDER


def test_required_id_scope(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    holder, response = _run(f)
    by_id = "org.eclipse.dspace.dcp.vc.id:urn:uuid:MembershipCredential-1"
    assert f.presentation_verifier.verify(response, si_token_issuer=holder, required_scopes=[by_id])
    with pytest.raises(InvalidClaimsError):
        f.presentation_verifier.verify(
            response, si_token_issuer=holder, required_scopes=["org.eclipse.dspace.dcp.vc.id:urn:uuid:nope"]
        )
