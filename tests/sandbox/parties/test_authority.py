"""DataspaceAuthority: DS4H credentials as VC 1.1 JWTs, value sets, trust lists (no HTTP needed)."""

from __future__ import annotations

import pytest

from d4h_sdk.errors import ConfigurationError, ExpiredTokenError, InvalidSignatureError
from d4h_sdk.identity.did import DidDocument, StaticDidResolver
from d4h_sdk.identity.jose import peek
from d4h_sdk.identity.signing import generate_key
from d4h_sdk.identity.vc import VC_V1_CONTEXT, verify_vc_jwt
from d4h_sdk.sandbox._authority import (
    EDC_NAMESPACE,
    MEMBERSHIP_CREDENTIAL,
    ORGANIZATION_CREDENTIAL,
    DataspaceAuthority,
    OrganizationProfile,
    merge_trust_lists,
)

AUTHORITY = "did:web:localhost%3A8080:authority"
HOLDER = "did:web:localhost%3A8080:hospital"
T0 = 1_800_000_000.0


def _authority(**options: object) -> DataspaceAuthority:
    return DataspaceAuthority(AUTHORITY, clock=lambda: T0, **options)  # type: ignore[arg-type]


def _resolver(authority: DataspaceAuthority) -> StaticDidResolver:
    return StaticDidResolver({authority.did: authority.did_document()})


def test_membership_credential_is_a_verifiable_vc11_jwt() -> None:
    authority = _authority()
    token = authority.issue_membership(HOLDER)
    header, claims = peek(token)
    assert header["kid"] == f"{AUTHORITY}#key-1" and header["alg"] == "ES256"
    assert (claims["iss"], claims["sub"]) == (AUTHORITY, HOLDER)
    vc = claims["vc"]
    assert vc["@context"] == [VC_V1_CONTEXT, {"@vocab": EDC_NAMESPACE}]
    assert vc["type"] == ["VerifiableCredential", MEMBERSHIP_CREDENTIAL]
    assert vc["credentialSubject"] == {"id": HOLDER, "membershipStatus": "active"}
    assert vc["issuanceDate"] == "2027-01-15T08:00:00Z"
    assert vc["expirationDate"] == "2028-01-15T08:00:00Z"
    assert vc["id"].startswith("urn:uuid:") and claims["jti"] == vc["id"]
    verified = verify_vc_jwt(
        token, resolver=_resolver(authority), trusted_issuers=[AUTHORITY], clock=lambda: T0 + 10
    )
    assert verified.types == ("VerifiableCredential", MEMBERSHIP_CREDENTIAL)
    assert verified.subject == HOLDER


def test_organization_credential_carries_the_ds4h_operands() -> None:
    authority = _authority()
    profile = OrganizationProfile(
        organization_type="research-organization",
        jurisdiction_country="BE",
        organization_ownership_type="private",
        data_protection_role="processor",
        eu_eea_status="third-country",
        organization_roles=("health-data-applicant", "health-data-holder"),
    )
    verified = verify_vc_jwt(
        authority.issue_organization(HOLDER, profile), resolver=_resolver(authority), clock=lambda: T0
    )
    assert verified.types[-1] == ORGANIZATION_CREDENTIAL
    assert verified.credential["credentialSubject"] == {
        "id": HOLDER,
        "organizationType": "research-organization",
        "jurisdictionCountry": "BE",
        "organizationOwnershipType": "private",
        "dataProtectionRole": "processor",
        "euEeaStatus": "third-country",
        "organizationRoles": ["health-data-applicant", "health-data-holder"],
    }


def test_default_profile_is_a_public_research_member_in_luxembourg() -> None:
    assert OrganizationProfile().claims() == {
        "organizationType": "research-organization",
        "jurisdictionCountry": "LU",
        "organizationOwnershipType": "public",
        "dataProtectionRole": "controller",
        "euEeaStatus": "eu-member-state",
        "organizationRoles": ["health-data-applicant"],
    }


@pytest.mark.parametrize(
    "options",
    [
        {"jurisdiction_country": "lu"},
        {"jurisdiction_country": "LUX"},
        {"organization_ownership_type": "mixed"},
        {"data_protection_role": "owner"},
        {"eu_eea_status": "eea"},
        {"organization_type": "Research Organization"},
        {"organization_roles": "health-data-applicant"},
        {"organization_roles": ("",)},
    ],
)
def test_profile_value_sets_are_enforced(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        OrganizationProfile(**options)  # type: ignore[arg-type]


def test_membership_status_value_set() -> None:
    authority = _authority()
    assert peek(authority.issue_membership(HOLDER, status="inactive"))[1]["vc"]["credentialSubject"] == {
        "id": HOLDER,
        "membershipStatus": "inactive",
    }
    with pytest.raises(ConfigurationError, match="membershipStatus"):
        authority.issue_membership(HOLDER, status="gold")


def test_generic_issue_checks_its_inputs() -> None:
    authority = _authority(credential_lifetime_s=None)
    token = authority.issue(HOLDER, "DataPermitCredential", {"permitIssued": True})
    vc = peek(token)[1]["vc"]
    assert "expirationDate" not in vc and vc["credentialSubject"]["permitIssued"] is True
    with pytest.raises(ConfigurationError):
        authority.issue("not-a-did", "X", {})
    with pytest.raises(ConfigurationError):
        authority.issue(HOLDER, "Two Words", {})
    with pytest.raises(ConfigurationError):
        authority.issue(HOLDER, "X", {"id": "did:web:other"})


def test_expired_credential_is_refused_by_a_verifier() -> None:
    authority = _authority(credential_lifetime_s=60)
    token = authority.issue_membership(HOLDER)
    with pytest.raises(ExpiredTokenError):
        verify_vc_jwt(token, resolver=_resolver(authority), clock=lambda: T0 + 3600)


def test_constructor_checks() -> None:
    with pytest.raises(ConfigurationError):
        DataspaceAuthority("did:key:z6Mk")
    with pytest.raises(ConfigurationError):
        DataspaceAuthority(AUTHORITY, signer=generate_key("P-256", key_id="did:web:elsewhere#key-1"))
    with pytest.raises(ConfigurationError):
        DataspaceAuthority(AUTHORITY, credential_lifetime_s=0)


def test_trust_lists() -> None:
    authority = _authority()
    assert authority.trust_list() == {
        MEMBERSHIP_CREDENTIAL: frozenset({AUTHORITY}),
        ORGANIZATION_CREDENTIAL: frozenset({AUTHORITY}),
    }
    other = "did:web:localhost%3A8080:other"
    merged = merge_trust_lists(authority.trust_list(), {MEMBERSHIP_CREDENTIAL: [other], "X": {other}})
    assert merged == {
        MEMBERSHIP_CREDENTIAL: frozenset({AUTHORITY, other}),
        ORGANIZATION_CREDENTIAL: frozenset({AUTHORITY}),
        "X": frozenset({other}),
    }
    assert merge_trust_lists() == {}


def test_document_and_repr() -> None:
    authority = _authority()
    document = DidDocument.model_validate(authority.did_document())
    assert document.id == AUTHORITY
    assert document.key_for(authority.key_id, "assertionMethod")["kty"] == "EC"
    assert "d" not in authority.did_document()["verificationMethod"][0]["publicKeyJwk"]
    assert AUTHORITY in repr(authority)


def test_a_forged_issuer_key_is_refused() -> None:
    authority = _authority()
    impostor = DataspaceAuthority(AUTHORITY, clock=lambda: T0)  # same DID, other key
    with pytest.raises(InvalidSignatureError):
        verify_vc_jwt(impostor.issue_membership(HOLDER), resolver=_resolver(authority), clock=lambda: T0)
