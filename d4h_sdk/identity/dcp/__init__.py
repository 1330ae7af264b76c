"""Decentralized Claims Protocol (DCP v1.0): self-issued ID tokens, scopes, presentation query and answer.

* :class:`SelfIssuedTokenIssuer` mints SI tokens with any Signer (an in-process STS);
  :class:`RemoteSts` gets them from an IdentityHub-style Secure Token Service;
  :class:`SelfIssuedTokenAuth` attaches a fresh one to every DSP request.
* :class:`SelfIssuedTokenVerifier` checks inbound SI tokens in DCP's order plus EDC's rules.
* :class:`Scope` parses and prints the DCP, IdentityHub/EDC and Tractus-X scope forms.
* :class:`CredentialServiceClient` queries a holder's Credential Service; :class:`PresentationResponder`
  answers such queries for a holder; :class:`PresentationVerifier` checks the answer.
* Pydantic models of the DCP messages (accepting ``type`` and ``@type``).
"""

from __future__ import annotations

from d4h_sdk.identity.dcp._auth import SelfIssuedTokenAuth, SelfIssuedTokenSource
from d4h_sdk.identity.dcp._credential_service import (
    CredentialServiceClient,
    CredentialStore,
    PresentationResponder,
    credential_service_url,
    credential_summary,
)
from d4h_sdk.identity.dcp._models import (
    DCP_CONTEXT,
    CredentialContainer,
    CredentialMessage,
    CredentialObject,
    CredentialOfferMessage,
    CredentialRequest,
    CredentialRequestMessage,
    CredentialStatus,
    DcpMessage,
    IssuerMetadata,
    PresentationQueryMessage,
    PresentationResponseMessage,
)
from d4h_sdk.identity.dcp._presentations import (
    ANY_TYPE,
    STATUS_ENTRY_TYPES,
    PresentationVerifier,
    StatusChecker,
    VerifiedClaims,
)
from d4h_sdk.identity.dcp._scopes import (
    DCP_ID_ALIAS,
    DCP_TYPE_ALIAS,
    EDC_LEGACY_TYPE_ALIAS,
    OPERATIONS,
    TRACTUSX_TYPE_ALIAS,
    Scope,
)
from d4h_sdk.identity.dcp._sts import RemoteSts
from d4h_sdk.identity.dcp._tokens import (
    RelationshipPolicy,
    SelfIssuedTokenIssuer,
    SelfIssuedTokenVerifier,
    VerifiedToken,
    scope_text,
)

__all__ = [
    "ANY_TYPE",
    "DCP_CONTEXT",
    "DCP_ID_ALIAS",
    "DCP_TYPE_ALIAS",
    "EDC_LEGACY_TYPE_ALIAS",
    "OPERATIONS",
    "STATUS_ENTRY_TYPES",
    "TRACTUSX_TYPE_ALIAS",
    "CredentialContainer",
    "CredentialMessage",
    "CredentialObject",
    "CredentialOfferMessage",
    "CredentialRequest",
    "CredentialRequestMessage",
    "CredentialServiceClient",
    "CredentialStatus",
    "CredentialStore",
    "DcpMessage",
    "IssuerMetadata",
    "PresentationQueryMessage",
    "PresentationResponder",
    "PresentationResponseMessage",
    "PresentationVerifier",
    "RelationshipPolicy",
    "RemoteSts",
    "Scope",
    "SelfIssuedTokenAuth",
    "SelfIssuedTokenIssuer",
    "SelfIssuedTokenSource",
    "SelfIssuedTokenVerifier",
    "StatusChecker",
    "VerifiedClaims",
    "VerifiedToken",
    "credential_service_url",
    "credential_summary",
    "scope_text",
]
