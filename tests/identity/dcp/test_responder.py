"""PresentationResponder: caller verification, access-token grants, credential selection."""

from __future__ import annotations

from typing import Any

import pytest

from d4h_sdk.errors import (
    ConfigurationError,
    DecodeError,
    InvalidClaimsError,
    InvalidSignatureError,
    ProtocolError,
    ReplayedTokenError,
)
from d4h_sdk.identity.dcp import (
    DCP_CONTEXT,
    CredentialStore,
    PresentationResponder,
    Scope,
    SelfIssuedTokenIssuer,
    SelfIssuedTokenVerifier,
    credential_summary,
)
from d4h_sdk.identity.jose import peek

from ._flow import MEMBERSHIP, PERMIT, credential, flow, issue
from ._parties import HOLDER, OTHER, VERIFIER, World, signer, world


@pytest.fixture
def w() -> World:
    return world()


def _query(*scopes: Any) -> dict[str, Any]:
    return {"@context": [DCP_CONTEXT], "@type": "PresentationQueryMessage", "scope": [str(s) for s in scopes]}


def test_access_token_must_grant_every_requested_scope(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential")), issue(w, credential("DataPermitCredential"))])
    _, header = f.query_token(f.consumer_token((MEMBERSHIP,)))
    with pytest.raises(InvalidClaimsError, match="does not grant"):
        f.responder.respond(header, _query(MEMBERSHIP, PERMIT))


def test_wildcard_grant_covers_read(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    _, header = f.query_token(f.consumer_token((Scope.for_type("MembershipCredential", operation="*"),)))
    assert len(f.responder.respond(header, _query(MEMBERSHIP)).presentation) == 1


def test_access_token_for_another_verifier_is_refused(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    access_for_other = f.holder_sts.issue_access_token(OTHER, [MEMBERSHIP])
    header = "Bearer " + f.verifier_sts.issue(HOLDER, token=access_for_other)
    with pytest.raises(InvalidClaimsError, match="subject"):
        f.responder.respond(header, _query(MEMBERSHIP))


def test_access_token_not_signed_by_the_holder_is_refused(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    # the verifier forges an access token with its own key
    forged = SelfIssuedTokenIssuer(w.verifier, participant_did=VERIFIER, clock=w.clock).issue_access_token(
        VERIFIER, [MEMBERSHIP]
    )
    header = "Bearer " + f.verifier_sts.issue(HOLDER, token=forged)
    with pytest.raises((InvalidSignatureError, InvalidClaimsError)):
        f.responder.respond(header, _query(MEMBERSHIP))


def test_without_access_token_the_query_is_answered(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    header = "Bearer " + f.verifier_sts.issue(HOLDER)
    response = f.responder.respond(header, _query(MEMBERSHIP))
    assert peek(str(response.presentation[0]))[1]["aud"] == VERIFIER


def test_query_token_replay_is_refused(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential"))])
    header = "Bearer " + f.verifier_sts.issue(HOLDER)
    f.responder.respond(header, _query(MEMBERSHIP))
    with pytest.raises(ReplayedTokenError):
        f.responder.respond(header, _query(MEMBERSHIP))


def test_selection_by_id_and_by_other_alias(w: World) -> None:
    f = flow(w, [issue(w, credential("MembershipCredential")), issue(w, credential("DataPermitCredential"))])
    header = "Bearer " + f.verifier_sts.issue(HOLDER)
    by_id = f.responder.respond(
        header, _query("org.eclipse.dspace.dcp.vc.id:urn:uuid:DataPermitCredential-1")
    )
    assert len(peek(str(by_id.presentation[0]))[1]["vp"]["verifiableCredential"]) == 1
    header = "Bearer " + f.verifier_sts.issue(HOLDER)
    tx = f.responder.respond(header, _query("org.eclipse.tractusx.vc.type:MembershipCredential:read"))
    assert len(tx.presentation) == 1


def test_presentation_definition_is_not_supported(w: World) -> None:
    f = flow(w, [])
    header = "Bearer " + f.verifier_sts.issue(HOLDER)
    query = {
        "@context": [DCP_CONTEXT],
        "type": "PresentationQueryMessage",
        "presentationDefinition": {"id": "pd", "input_descriptors": []},
    }
    with pytest.raises(ProtocolError, match="presentation definitions"):
        f.responder.respond(header, query)


@pytest.mark.parametrize(
    "query",
    [
        {"@context": [DCP_CONTEXT], "type": "PresentationQueryMessage"},
        {"type": "PresentationQueryMessage", "scope": ["a:b"]},
        {"@context": [DCP_CONTEXT], "type": "PresentationQueryMessage", "scope": ["no-colon"]},
    ],
)
def test_malformed_queries(w: World, query: dict[str, Any]) -> None:
    f = flow(w, [])
    with pytest.raises(DecodeError):
        f.responder.respond("Bearer " + f.verifier_sts.issue(HOLDER), query)


def test_caller_is_verified_before_anything_else(w: World) -> None:
    f = flow(w, [])
    with pytest.raises(InvalidClaimsError, match="not to this verifier"):
        f.responder.respond("Bearer " + f.verifier_sts.issue(OTHER), {"not": "a query"})


def test_credential_store_protocol(w: World) -> None:
    stored = [issue(w, credential("MembershipCredential"))]

    class Store:
        def credentials(self) -> list[str]:
            return stored

    assert isinstance(Store(), CredentialStore)
    responder = PresentationResponder(
        w.holder,
        holder_did=HOLDER,
        credentials=Store(),
        verifier=SelfIssuedTokenVerifier(HOLDER, w.resolver, clock=w.clock),
        clock=w.clock,
    )
    verifier_sts = SelfIssuedTokenIssuer(w.verifier, participant_did=VERIFIER, clock=w.clock)
    assert (
        len(responder.respond("Bearer " + verifier_sts.issue(HOLDER), _query(MEMBERSHIP)).presentation) == 1
    )
    assert HOLDER in repr(responder)


def test_responder_configuration(w: World) -> None:
    good = SelfIssuedTokenVerifier(HOLDER, w.resolver)
    with pytest.raises(ConfigurationError, match="key of"):
        PresentationResponder(signer(OTHER), holder_did=HOLDER, credentials=[], verifier=good)
    with pytest.raises(ConfigurationError, match="addressed to"):
        PresentationResponder(
            w.holder,
            holder_did=HOLDER,
            credentials=[],
            verifier=SelfIssuedTokenVerifier(VERIFIER, w.resolver),
        )
    with pytest.raises(ConfigurationError, match="VC JWT strings"):
        PresentationResponder(w.holder, holder_did=HOLDER, credentials="a.b.c", verifier=good)


def test_credential_summary(w: World) -> None:
    assert credential_summary(issue(w, credential("MembershipCredential"))) == (
        frozenset({"VerifiableCredential", "MembershipCredential"}),
        "urn:uuid:MembershipCredential-1",
        "1.1",
    )
    types, credential_id, version = credential_summary(
        issue(w, credential("DataPermitCredential"), version="2.0")
    )
    assert (
        "DataPermitCredential" in types
        and credential_id == "urn:uuid:DataPermitCredential-1"
        and version == "2.0"
    )
