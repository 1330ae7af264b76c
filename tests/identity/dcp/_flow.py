"""The DCP flow pieces shared by the responder, verifier and end-to-end tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from d4h_sdk.identity.dcp import (
    PresentationResponder,
    PresentationVerifier,
    Scope,
    SelfIssuedTokenIssuer,
    SelfIssuedTokenVerifier,
)
from d4h_sdk.identity.vc import issue_vc_jwt

from ._parties import HOLDER, ISSUER, VERIFIER, World

MEMBERSHIP = Scope.for_type("MembershipCredential")
PERMIT = Scope.for_type("DataPermitCredential")


def credential(kind: str, *, subject: str = HOLDER, **extra: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": f"urn:uuid:{kind}-1",
        "type": ["VerifiableCredential", kind],
        "issuer": ISSUER,
        "issuanceDate": "2027-01-01T00:00:00Z",
        "credentialSubject": {"id": subject, "memberOf": "DS4H"},
        **extra,
    }


def issue(
    w: World,
    document: dict[str, Any],
    *,
    version: Literal["1.1", "2.0"] = "1.1",
    lifetime_s: float | None = 86_400,
    signer: Any = None,
) -> str:
    if version == "2.0":
        document = {**document, "@context": ["https://www.w3.org/ns/credentials/v2"]}
        document.pop("issuanceDate", None)
    return issue_vc_jwt(
        signer or w.issuer,
        document,
        version=version,
        lifetime_s=lifetime_s,
        clock=w.clock,
    )


@dataclass
class Flow:
    w: World
    holder_sts: SelfIssuedTokenIssuer
    verifier_sts: SelfIssuedTokenIssuer
    responder: PresentationResponder
    presentation_verifier: PresentationVerifier
    dsp_verifier: SelfIssuedTokenVerifier

    def consumer_token(self, scopes: Sequence[Scope] = (MEMBERSHIP,)) -> str:
        """The holder's SI token for a DSP request to the verifier, with an access token for ``scopes``."""
        return self.holder_sts.issue(VERIFIER, scopes=scopes)

    def query_token(self, consumer_token: str) -> tuple[str, str]:
        """What the verifier does with it: verify, then mint its own SI token to the holder carrying the
        holder's access token. Returns (holder DID, the Authorization header for the query)."""
        verified = self.dsp_verifier.verify("Bearer " + consumer_token)
        assert verified.access_token is not None
        return verified.issuer, "Bearer " + self.verifier_sts.issue(
            verified.issuer, token=verified.access_token
        )


def flow(w: World, credentials: Sequence[str], **verifier_options: Any) -> Flow:
    options: dict[str, Any] = {
        "trusted_issuers": {"MembershipCredential": [ISSUER], "DataPermitCredential": [ISSUER]}
    }
    options.update(verifier_options)
    return Flow(
        w=w,
        holder_sts=SelfIssuedTokenIssuer(w.holder, participant_did=HOLDER, clock=w.clock),
        verifier_sts=SelfIssuedTokenIssuer(w.verifier, participant_did=VERIFIER, clock=w.clock),
        responder=PresentationResponder(
            w.holder,
            holder_did=HOLDER,
            credentials=credentials,
            verifier=SelfIssuedTokenVerifier(HOLDER, w.resolver, clock=w.clock),
            clock=w.clock,
        ),
        presentation_verifier=PresentationVerifier(w.resolver, my_did=VERIFIER, clock=w.clock, **options),
        dsp_verifier=SelfIssuedTokenVerifier(VERIFIER, w.resolver, require_token_claim=True, clock=w.clock),
    )
