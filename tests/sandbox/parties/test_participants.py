"""Participants on one loopback host: DID documents, STS and Credential Service over real HTTP, and the
provider-side DCP check (verify_request) with its refusal cases."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import (
    AuthenticationError,
    ConfigurationError,
    DidResolutionError,
    ExpiredTokenError,
    InvalidClaimsError,
    MalformedTokenError,
    ReplayedTokenError,
    UntrustedIssuerError,
    VerificationError,
)
from d4h_sdk.identity.dcp import Scope
from d4h_sdk.identity.did import DidDocument, WebDidResolver
from d4h_sdk.identity.jose import peek
from d4h_sdk.identity.signing import generate_key
from d4h_sdk.sandbox._authority import DS4H_SCOPES, OrganizationProfile, policy_claims
from d4h_sdk.sandbox._participants import Participant, ParticipantHost, verify_request

MEMBERSHIP = Scope.for_type("MembershipCredential")


class World:
    def __init__(self, host: ParticipantHost) -> None:
        self.host = host
        self.authority = host.add_authority()
        self.rogue = host.add_authority("rogue", trusted=False)
        self.consumer = host.add_participant("consumer")
        self.provider = host.add_participant(
            "provider", organization=OrganizationProfile(eu_eea_status="eu-member-state")
        )
        self.third = host.add_participant("third", key_kind="Ed25519")
        self.no_member = host.add_participant("no-member", membership=None)
        self.mallory = host.add_participant("mallory", issuer=self.rogue)
        self.late = host.add_participant("late", clock=lambda: time.time() - 3600)
        self.lapsed = host.add_participant("lapsed", membership="inactive")


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with ParticipantHost() as host:
        yield World(host)


def _bearer(participant: Participant, audience: str) -> str:
    """An SI token minted through the participant's STS endpoint, over HTTP."""
    with participant.remote_sts() as sts:
        return "Bearer " + sts.issue(audience, scopes=DS4H_SCOPES)


# -- DCP end to end ------------------------------------------------------------------------------------------


def test_verify_request_yields_membership_and_organisation_claims(world: World) -> None:
    header = _bearer(world.consumer, world.provider.did)
    verified = verify_request(header, verifier_participant=world.provider, required_scopes=DS4H_SCOPES)
    assert verified.holder == world.consumer.did
    assert verified.types == {"VerifiableCredential", "MembershipCredential", "OrganizationCredential"}
    assert {c.issuer for c in verified.credentials} == {world.authority.did}
    assert policy_claims(verified) == {
        "membershipStatus": "active",
        "organizationType": "research-organization",
        "jurisdictionCountry": "LU",
        "organizationOwnershipType": "public",
        "dataProtectionRole": "controller",
        "euEeaStatus": "eu-member-state",
        "organizationRoles": ["health-data-applicant"],
    }


def test_si_token_from_the_sts_has_the_dcp_shape(world: World) -> None:
    header = _bearer(world.consumer, world.provider.did)
    jose, claims = peek(header.removeprefix("Bearer "))
    assert jose["kid"] == world.consumer.did + "#key-1"
    assert claims["iss"] == claims["sub"] == world.consumer.did
    assert claims["aud"] == world.provider.did
    assert {"jti", "iat", "exp"} <= set(claims)
    access = peek(claims["token"])[1]
    assert (access["iss"], access["aud"], access["sub"]) == (
        world.consumer.did,
        world.consumer.did,
        world.provider.did,
    )
    assert access["scope"].split() == [str(s) for s in DS4H_SCOPES]


def test_in_process_token_and_ed25519_keys_work_too(world: World) -> None:
    token = world.third.issue_token(world.provider.did)
    verified = verify_request(token, verifier_participant=world.provider, required_scopes=[MEMBERSHIP])
    assert verified.holder == world.third.did
    assert peek(token)[0]["alg"] == "EdDSA"


def test_lapsed_member_is_verified_with_its_status(world: World) -> None:
    verified = verify_request(
        _bearer(world.lapsed, world.provider.did),
        verifier_participant=world.provider,
        required_scopes=DS4H_SCOPES,
    )
    assert policy_claims(verified)["membershipStatus"] == "inactive"


def test_refused_without_token(world: World) -> None:
    for header in (None, "", "   "):
        with pytest.raises(MalformedTokenError, match="Authorization"):
            verify_request(header, verifier_participant=world.provider, required_scopes=DS4H_SCOPES)
    with pytest.raises(MalformedTokenError):
        verify_request("Bearer not-a-jwt", verifier_participant=world.provider, required_scopes=DS4H_SCOPES)


def test_refused_with_an_expired_token(world: World) -> None:
    header = _bearer(world.late, world.provider.did)  # minted an hour ago by the late participant's clock
    with pytest.raises(ExpiredTokenError):
        verify_request(header, verifier_participant=world.provider, required_scopes=DS4H_SCOPES)


def test_refused_when_a_credential_is_missing(world: World) -> None:
    header = _bearer(world.no_member, world.provider.did)
    with pytest.raises(InvalidClaimsError, match="MembershipCredential"):
        verify_request(header, verifier_participant=world.provider, required_scopes=DS4H_SCOPES)


def test_refused_with_an_untrusted_issuer(world: World) -> None:
    header = _bearer(world.mallory, world.provider.did)
    with pytest.raises(UntrustedIssuerError, match="not trusted"):
        verify_request(header, verifier_participant=world.provider, required_scopes=DS4H_SCOPES)
    # ... and accepted once the rogue is on the provider's trust list
    trusted = {"MembershipCredential": {world.rogue.did}, "OrganizationCredential": {world.rogue.did}}
    verified = verify_request(
        _bearer(world.mallory, world.provider.did),
        verifier_participant=world.provider,
        required_scopes=DS4H_SCOPES,
        trusted_issuers=trusted,
    )
    assert verified.holder == world.mallory.did


def test_refused_with_a_token_for_another_audience(world: World) -> None:
    header = _bearer(world.consumer, world.third.did)
    with pytest.raises(InvalidClaimsError, match="not to this verifier"):
        verify_request(header, verifier_participant=world.provider, required_scopes=DS4H_SCOPES)


def test_refused_when_replayed(world: World) -> None:
    header = _bearer(world.consumer, world.provider.did)
    verify_request(header, verifier_participant=world.provider, required_scopes=[MEMBERSHIP])
    with pytest.raises(ReplayedTokenError):
        verify_request(header, verifier_participant=world.provider, required_scopes=[MEMBERSHIP])


def test_refused_without_an_access_token(world: World) -> None:
    token = world.consumer.sts.issue(world.provider.did)  # no scopes: no nested access token
    with pytest.raises(InvalidClaimsError, match="'token' claim"):
        verify_request(token, verifier_participant=world.provider, required_scopes=DS4H_SCOPES)


def test_refused_when_the_scope_asked_exceeds_the_grant(world: World) -> None:
    token = world.consumer.issue_token(world.provider.did, scopes=[MEMBERSHIP])
    with pytest.raises(VerificationError, match="did not answer"):
        verify_request(token, verifier_participant=world.provider, required_scopes=DS4H_SCOPES)


def test_refused_for_a_did_outside_the_sandbox(world: World) -> None:
    outsider = "did:web:hospital.example"
    signer = generate_key("P-256", key_id=outsider + "#key-1")
    from d4h_sdk.identity.dcp import SelfIssuedTokenIssuer

    token = SelfIssuedTokenIssuer(signer, participant_did=outsider).issue(
        world.provider.did, scopes=[MEMBERSHIP]
    )
    with pytest.raises(DidResolutionError, match="not hosted by this sandbox"):
        verify_request(token, verifier_participant=world.provider, required_scopes=[MEMBERSHIP])


# -- the endpoints on the wire -------------------------------------------------------------------------------


def test_did_documents_are_served_and_resolvable(world: World) -> None:
    consumer = world.consumer
    assert consumer.did == f"did:web:localhost%3A{world.host.port}:consumer"
    answer = requests.get(consumer.did_url, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/did+json"
    document = DidDocument.model_validate(answer.json())
    assert document.id == consumer.did
    assert document.service_endpoint("CredentialService") == consumer.credential_service_url
    assert document.key_for(consumer.signer.key_id, "capabilityInvocation") == consumer.signer.public_jwk()
    authority_doc = world.host.resolver.resolve(world.authority.did)
    assert authority_doc.id == world.authority.did
    assert requests.get(f"{world.host.url}/nobody/did.json", timeout=5).status_code == 404
    # a resolver that does not allow-list the sandbox host refuses plain http
    with HttpClient(max_retries=0) as http, WebDidResolver(http=http) as strict:
        with pytest.raises(DidResolutionError):
            strict.resolve(consumer.did)


def test_sts_errors_follow_the_sts_api(world: World) -> None:
    url = world.consumer.sts_url
    form = {
        "grant_type": "client_credentials",
        "client_id": world.consumer.client_id,
        "client_secret": world.consumer.client_secret,
        "audience": world.provider.did,
    }
    ok = requests.post(url, data=form, timeout=5)
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"
    body = ok.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert "token" not in peek(body["access_token"])[1]
    copied = requests.post(url, data={**form, "token": "opaque-access-token"}, timeout=5).json()
    assert peek(copied["access_token"])[1]["token"] == "opaque-access-token"
    cases = [
        ({**form, "client_secret": "wrong"}, "invalid_client"),
        ({**form, "client_id": "provider"}, "invalid_client"),
        ({**form, "grant_type": "password"}, "unsupported_grant_type"),
        ({k: v for k, v in form.items() if k != "audience"}, "invalid_request"),
        ({**form, "bearer_access_scope": str(MEMBERSHIP), "token": "t"}, "invalid_request"),
        ({**form, "bearer_access_scope": "no-colon"}, "invalid_request"),
    ]
    for data, error in cases:
        answer = requests.post(url, data=data, timeout=5)
        assert answer.status_code == 400, data
        assert answer.json()[0]["error"] == error
        assert world.consumer.client_secret not in answer.text
    as_json = requests.post(url, json=form, timeout=5)
    assert as_json.status_code == 400 and as_json.json()[0]["error"] == "invalid_request"
    unknown = requests.post(f"{world.host.url}/nobody/sts/token", data=form, timeout=5)
    assert unknown.status_code == 404


def test_remote_sts_with_a_wrong_secret_raises(world: World) -> None:
    from d4h_sdk.identity.dcp import RemoteSts

    with RemoteSts(world.consumer.sts_url, world.consumer.client_id, "wrong") as sts:
        with pytest.raises(AuthenticationError, match="invalid_client"):
            sts.issue(world.provider.did)


def test_credential_service_refusals_on_the_wire(world: World) -> None:
    url = world.consumer.credential_service_url + "/presentations/query"
    query = {
        "@context": ["https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"],
        "type": "PresentationQueryMessage",
        "scope": [str(MEMBERSHIP)],
    }
    assert requests.post(url, json=query, timeout=5).status_code == 401
    bad = requests.post(url, json=query, headers={"Authorization": "Bearer x.y.z"}, timeout=5)
    assert bad.status_code == 401
    access = world.consumer.sts.issue_access_token(world.provider.did, [MEMBERSHIP])
    auth = {"Authorization": "Bearer " + world.provider.sts.issue(world.consumer.did, token=access)}
    not_json = requests.post(url, data=b"[]", headers={**auth, "Content-Type": "application/json"}, timeout=5)
    assert not_json.status_code == 400
    auth = {"Authorization": "Bearer " + world.provider.sts.issue(world.consumer.did, token=access)}
    definition = {k: v for k, v in query.items() if k != "scope"} | {"presentationDefinition": {"id": "x"}}
    assert requests.post(url, json=definition, headers=auth, timeout=5).status_code == 501
    auth = {"Authorization": "Bearer " + world.provider.sts.issue(world.consumer.did, token=access)}
    answer = requests.post(url, json=query, headers=auth, timeout=5)
    assert answer.status_code == 200
    assert len(answer.json()["presentation"]) == 1
    assert (
        requests.post(f"{world.host.url}/nobody/cs/presentations/query", json=query, timeout=5).status_code
        == 404
    )


# -- host management -----------------------------------------------------------------------------------------


def test_participant_from_a_private_jwk_and_publish(world: World) -> None:
    key = generate_key("P-256", key_id="did:web:elsewhere#k").private_jwk()
    participant = world.host.add_participant("from-jwk", private_jwk=key)
    assert participant.signer.key_id == participant.did + "#key-1"
    assert participant.signer.public_jwk()["x"] == key["x"]
    participant.publish(
        dsp_endpoint="http://127.0.0.1:1/.well-known/dspace-version",
        catalog_endpoint="http://127.0.0.1:1/catalog",
    )
    document = world.host.resolver.resolve(participant.did)
    assert document.service_endpoint("DataService") == "http://127.0.0.1:1/.well-known/dspace-version"
    assert document.service_endpoint("CatalogService") == "http://127.0.0.1:1/catalog"
    assert document.service_endpoint("CredentialService") == participant.credential_service_url
    with pytest.raises(ConfigurationError):
        participant.publish(catalog_endpoint="http://127.0.0.1:1/not-a-catalog")


def test_add_credential_is_served_on_the_next_query(world: World) -> None:
    participant = world.host.add_participant("grows", membership=None, organization=None)
    assert participant.credentials == ()
    participant.add_credential(world.authority.issue_membership(participant.did))
    verified = verify_request(
        participant.issue_token(world.provider.did),
        verifier_participant=world.provider,
        required_scopes=[MEMBERSHIP],
    )
    assert policy_claims(verified) == {"membershipStatus": "active"}
    with pytest.raises(ConfigurationError):
        participant.add_credential("not a jwt")


def test_names_and_registry(world: World) -> None:
    for bad in ("Consumer", "-x", "a/b", "", "x" * 65):
        with pytest.raises(ConfigurationError):
            world.host.did_for(bad)
    with pytest.raises(ConfigurationError, match="already used"):
        world.host.add_participant("consumer")
    with pytest.raises(ConfigurationError, match="already used"):
        world.host.add_authority("provider")
    assert {"consumer", "provider", "third"} <= set(world.host.participants)
    assert set(world.host.authorities) == {"authority", "rogue"}
    assert world.host.trust_list() == world.authority.trust_list()
    assert world.consumer.client_secret not in repr(world.consumer)
    assert world.consumer.client_secret not in repr(world.consumer.remote_sts())
    assert "consumer" in repr(world.host)


def test_a_host_without_authority_cannot_issue() -> None:
    with ParticipantHost() as host:
        with pytest.raises(ConfigurationError, match="add_authority"):
            host.add_participant("alone")
        assert host.add_participant("bare", membership=None, organization=None).credentials == ()


def test_policy_claims_refuses_disagreeing_credentials(world: World) -> None:
    participant = world.host.add_participant("twice")
    participant.add_credential(world.authority.issue_membership(participant.did, status="inactive"))
    verified = verify_request(
        participant.issue_token(world.provider.did),
        verifier_participant=world.provider,
        required_scopes=[MEMBERSHIP],
    )
    with pytest.raises(InvalidClaimsError, match="membershipStatus"):
        policy_claims(verified)


# -- startup budget and clean stop ---------------------------------------------------------------------------


def test_startup_budget_and_clean_stop() -> None:
    import d4h_sdk.identity.vc  # noqa: F401  (imports are not part of the start time)

    gc.collect()  # sockets of earlier tests' garbage must not close in the middle of the count
    threads_before = set(threading.enumerate())
    fds_before = len(os.listdir("/proc/self/fd"))
    started = time.perf_counter()
    host = ParticipantHost()
    host.add_authority()
    parties = [host.add_participant(name) for name in ("hospital", "research", "registry")]
    elapsed = time.perf_counter() - started
    print(f"\nparticipant host + authority + 3 participants started in {elapsed * 1000:.1f} ms")
    assert elapsed < 0.5
    verified = verify_request(
        parties[0].issue_token(parties[1].did), verifier_participant=parties[1], required_scopes=DS4H_SCOPES
    )
    assert verified.holder == parties[0].did
    host.stop()
    host.stop()
    assert [t for t in threading.enumerate() if t not in threads_before] == []
    assert len(os.listdir("/proc/self/fd")) == fds_before


def test_concurrent_verifications(world: World) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def check(_: int) -> str:
        header = _bearer(world.consumer, world.provider.did)
        return verify_request(header, verifier_participant=world.provider, required_scopes=DS4H_SCOPES).holder

    with ThreadPoolExecutor(max_workers=20) as pool:
        holders = list(pool.map(check, range(40)))
    assert holders == [world.consumer.did] * 40
