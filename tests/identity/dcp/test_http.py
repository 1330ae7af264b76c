"""RemoteSts, SelfIssuedTokenAuth and CredentialServiceClient against a real local HTTP peer."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import (
    AuthenticationError,
    ConfigurationError,
    DidResolutionError,
    ResponseValidationError,
    ServerError,
)
from d4h_sdk.identity.dcp import (
    CredentialServiceClient,
    RemoteSts,
    SelfIssuedTokenAuth,
    SelfIssuedTokenIssuer,
    SelfIssuedTokenSource,
    SelfIssuedTokenVerifier,
    credential_service_url,
)
from d4h_sdk.identity.jose import peek

from ._flow import MEMBERSHIP, credential, flow, issue
from ._parties import HOLDER, VERIFIER, World, document, world
from ._server import CLIENT_ID, CLIENT_SECRET, CS_BASE, STS_PATH, Peer, running


@pytest.fixture
def w() -> World:
    return world()


@pytest.fixture
def peer(w: World) -> Iterator[Peer]:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    with running(Peer(sts=f.holder_sts, responder=f.responder)) as p:
        yield p


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(max_retries=0) as client:
        yield client


def _sts(peer: Peer, http: HttpClient, secret: str = CLIENT_SECRET) -> RemoteSts:
    return RemoteSts(peer.base + STS_PATH, CLIENT_ID, secret, http=http)


# --- RemoteSts ----------------------------------------------------------------------------------------------


def test_sts_form_and_token(w: World, peer: Peer, http: HttpClient) -> None:
    token = _sts(peer, http).issue(VERIFIER, scopes=[MEMBERSHIP])
    assert peer.sts_forms == [
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "audience": VERIFIER,
            "bearer_access_scope": str(MEMBERSHIP),
        }
    ]
    verified = SelfIssuedTokenVerifier(VERIFIER, w.resolver, clock=w.clock, require_token_claim=True).verify(
        token
    )
    assert verified.issuer == HOLDER and peek(verified.access_token or "")[1]["scope"] == str(MEMBERSHIP)


def test_sts_without_scopes_and_with_token(peer: Peer, http: HttpClient) -> None:
    sts = _sts(peer, http)
    assert "token" not in peek(sts.issue(VERIFIER))[1]
    assert "bearer_access_scope" not in peer.sts_forms[0]
    assert peek(sts.issue(VERIFIER, token="copied-access-token"))[1]["token"] == "copied-access-token"
    assert peer.sts_forms[1]["token"] == "copied-access-token"


def test_sts_400_error_list_becomes_authentication_error(peer: Peer, http: HttpClient) -> None:
    with pytest.raises(
        AuthenticationError, match="invalid_client: client hospital not authenticated"
    ) as info:
        _sts(peer, http, secret="wrong-secret").issue(VERIFIER)
    assert info.value.status_code == 400
    assert "wrong-secret" not in str(info.value)


def test_sts_error_description_never_echoes_the_secret(peer: Peer, http: HttpClient) -> None:
    peer.override = (400, [{"error": "invalid_client", "error_description": f"bad secret {CLIENT_SECRET}"}])
    with pytest.raises(AuthenticationError) as info:
        _sts(peer, http).issue(VERIFIER)
    assert CLIENT_SECRET not in str(info.value) and "***" in str(info.value)


def test_sts_server_error_keeps_its_class(peer: Peer, http: HttpClient) -> None:
    peer.override = (503, {"error": "down"})
    with pytest.raises(ServerError):
        _sts(peer, http).issue(VERIFIER)


@pytest.mark.parametrize("body", [{}, {"access_token": ""}, [], {"access_token": "a b"}])
def test_sts_unusable_answer(peer: Peer, http: HttpClient, body: object) -> None:
    peer.override = (200, body)
    with pytest.raises(ResponseValidationError, match="access_token"):
        _sts(peer, http).issue(VERIFIER)


def test_sts_configuration_and_repr(peer: Peer) -> None:
    with pytest.raises(ConfigurationError):
        RemoteSts("ftp://x/token", CLIENT_ID, CLIENT_SECRET)
    with pytest.raises(ConfigurationError):
        RemoteSts(peer.base + STS_PATH, "", CLIENT_SECRET)
    with RemoteSts(peer.base + STS_PATH, CLIENT_ID, lambda: CLIENT_SECRET) as sts:
        assert CLIENT_SECRET not in repr(sts)
        assert sts.issue(VERIFIER)  # its own HttpClient, callable secret
        with pytest.raises(ConfigurationError):
            sts.issue("")


# --- SelfIssuedTokenAuth ------------------------------------------------------------------------------------


@pytest.mark.parametrize("remote", [False, True])
def test_auth_attaches_a_fresh_token_per_request(
    w: World, peer: Peer, http: HttpClient, remote: bool, caplog: pytest.LogCaptureFixture
) -> None:
    source: SelfIssuedTokenSource = (
        _sts(peer, HttpClient(max_retries=0))
        if remote
        else SelfIssuedTokenIssuer(w.holder, participant_did=HOLDER, clock=w.clock)
    )
    assert isinstance(source, SelfIssuedTokenSource)
    auth = SelfIssuedTokenAuth(source, VERIFIER, scopes=[str(MEMBERSHIP)])
    caplog.set_level(logging.DEBUG, logger="d4h_sdk")
    http.get(peer.base + "/dsp/catalog", auth=auth)
    http.get(peer.base + "/dsp/catalog", auth=auth)
    first, second = peer.dsp_headers
    assert first and second and first.startswith("Bearer ") and first != second
    verifier = SelfIssuedTokenVerifier(VERIFIER, w.resolver, clock=w.clock, require_token_claim=True)
    for header in (first, second):
        assert verifier.verify(header).issuer == HOLDER
        assert header.removeprefix("Bearer ") not in caplog.text
        assert header.removeprefix("Bearer ") not in repr(auth)
    assert str(MEMBERSHIP) in repr(auth)


def test_auth_configuration(w: World) -> None:
    issuer = SelfIssuedTokenIssuer(w.holder, participant_did=HOLDER)
    with pytest.raises(ConfigurationError):
        SelfIssuedTokenAuth(issuer, "")
    with pytest.raises(ConfigurationError):
        SelfIssuedTokenAuth(issuer, VERIFIER, scopes=["not a scope"])


# --- CredentialServiceClient -------------------------------------------------------------------------------


def test_query_by_scope_over_http(w: World, peer: Peer, http: HttpClient) -> None:
    f = flow(w, [])
    holder, header = f.query_token(f.consumer_token())
    client = CredentialServiceClient(http)
    response = client.query(
        peer.base + CS_BASE + "/", si_token=header.removeprefix("Bearer "), scopes=[MEMBERSHIP]
    )
    sent = peer.queries[0]
    assert sent["authorization"] == header
    assert sent["body"] == {
        "@context": ["https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"],
        "type": "PresentationQueryMessage",
        "scope": [str(MEMBERSHIP)],
    }
    claims = f.presentation_verifier.verify(response, si_token_issuer=holder, required_scopes=[MEMBERSHIP])
    assert "MembershipCredential" in claims.types


def test_query_by_definition_and_error_mapping(w: World, peer: Peer, http: HttpClient) -> None:
    f = flow(w, [])
    token = f.verifier_sts.issue(HOLDER)
    client = CredentialServiceClient(http)
    with pytest.raises(ServerError) as info:  # the responder says 501
        client.query(
            peer.base + CS_BASE, si_token=token, presentation_definition={"id": "pd", "input_descriptors": []}
        )
    assert info.value.status_code == 501
    assert peer.queries[0]["body"]["presentationDefinition"] == {"id": "pd", "input_descriptors": []}
    with pytest.raises(AuthenticationError):  # replayed SI token -> 401
        client.query(peer.base + CS_BASE, si_token=token, scopes=[MEMBERSHIP])


def test_query_argument_checks_and_bad_answer(peer: Peer, http: HttpClient) -> None:
    client = CredentialServiceClient(http)
    with pytest.raises(ConfigurationError, match="exactly one"):
        client.query(peer.base, si_token="t")
    with pytest.raises(ConfigurationError, match="exactly one"):
        client.query(peer.base, si_token="t", scopes=[MEMBERSHIP], presentation_definition={})
    with pytest.raises(ConfigurationError):
        client.query(peer.base, si_token="t", scopes=[])
    peer.override = (200, {"type": "PresentationResponseMessage"})
    with pytest.raises(ResponseValidationError, match="PresentationResponseMessage"):
        client.query(peer.base, si_token="t", scopes=[MEMBERSHIP])
    with CredentialServiceClient() as own:
        assert "owns_http=True" in repr(own)


def test_credential_service_url(w: World) -> None:
    doc = document(
        HOLDER, w.holder, credential_service="https://ih.hospital.example/api/credentials/v1/participants/h"
    )
    doc["service"].append(
        {"id": f"{HOLDER}#cs-2", "type": "CredentialService", "serviceEndpoint": "https://second.example"}
    )
    assert credential_service_url(doc) == "https://ih.hospital.example/api/credentials/v1/participants/h"
    with pytest.raises(DidResolutionError, match="no CredentialService"):
        credential_service_url(w.resolver.resolve(HOLDER))
    with pytest.raises(DidResolutionError):
        credential_service_url({"id": "not-a-did"})
