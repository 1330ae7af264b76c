"""The DCP Credential Service, both sides.

:class:`CredentialServiceClient` sends the verifier's presentation query; :class:`PresentationResponder`
computes the holder's answer, I/O-free so that any HTTP server can wrap it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, Union, runtime_checkable

from pydantic import ValidationError

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import (
    ConfigurationError,
    DecodeError,
    DidResolutionError,
    InvalidClaimsError,
    ProtocolError,
    ResponseValidationError,
)
from d4h_sdk.identity.auth import BearerTokenAuth
from d4h_sdk.identity.dcp._models import DCP_CONTEXT, PresentationQueryMessage, PresentationResponseMessage
from d4h_sdk.identity.dcp._scopes import Scope
from d4h_sdk.identity.dcp._tokens import SelfIssuedTokenVerifier, scope_text
from d4h_sdk.identity.did import DidDocument
from d4h_sdk.identity.jose import JwtPolicy, peek, verify_compact
from d4h_sdk.identity.signing._protocol import Signer

__all__ = [
    "CredentialServiceClient",
    "CredentialStore",
    "PresentationResponder",
    "credential_service_url",
    "credential_summary",
]


def credential_service_url(did_document: DidDocument | Mapping[str, Any]) -> str:
    """The base URL of a participant's Credential Service: its first ``CredentialService`` entry (as EDC).

    Args:
        did_document: The participant's DID document.

    Returns:
        The service endpoint URL.

    Raises:
        DidResolutionError: The document is invalid or lists no ``CredentialService`` with a URL.
    """
    if not isinstance(did_document, DidDocument):
        try:
            did_document = DidDocument.model_validate(did_document)
        except ValidationError as exc:
            raise DidResolutionError(f"not a valid DID document: {exc.errors()[0]['msg']}") from exc
    url = did_document.service_endpoint("CredentialService")
    if url is None:
        raise DidResolutionError(f"the DID document of {did_document.id} has no CredentialService entry")
    return url


class CredentialServiceClient:
    """Query a holder's Credential Service for verifiable presentations (DCP presentation query).

    Args:
        http: The HTTP client; by default a private one (close it with :meth:`close`).
    """

    def __init__(self, http: HttpClient | None = None) -> None:
        self._owns_http = http is None
        self._http = http

    def __repr__(self) -> str:
        return f"CredentialServiceClient(owns_http={self._owns_http})"

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> CredentialServiceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def query(
        self,
        base_url: str,
        *,
        si_token: str,
        scopes: Sequence[Scope | str] | None = None,
        presentation_definition: Mapping[str, Any] | None = None,
    ) -> PresentationResponseMessage:
        """``POST <base_url>/presentations/query`` with exactly one of scopes / presentation definition.

        Args:
            base_url: The Credential Service base URL (see :func:`credential_service_url`).
            si_token: Your self-issued ID token for the holder, carrying the holder's access token in its
                ``token`` claim; sent as ``Authorization: Bearer``.
            scopes: The scopes to ask for.
            presentation_definition: A DIF Presentation Exchange definition instead.

        Returns:
            The holder's presentations (verify them with :class:`PresentationVerifier`).

        Raises:
            ConfigurationError: Both or neither of ``scopes`` / ``presentation_definition``, or a bad scope.
            APIStatusError: The Credential Service answered with an error status (subclass per status).
            APIConnectionError: It could not be reached.
            ResponseValidationError: The answer is not a PresentationResponseMessage.
        """
        if (scopes is None) == (presentation_definition is None):
            raise ConfigurationError("give exactly one of scopes and presentation_definition")
        body: dict[str, Any] = {"@context": [DCP_CONTEXT], "type": "PresentationQueryMessage"}
        if scopes is not None:
            if not scopes:
                raise ConfigurationError("scopes must not be empty")
            body["scope"] = scope_text(scopes).split(" ")
        else:
            body["presentationDefinition"] = dict(presentation_definition or {})
        url = base_url.rstrip("/") + "/presentations/query"
        if self._http is None:
            self._http = HttpClient()
        response = self._http.post(
            url, json=body, auth=BearerTokenAuth(si_token), headers={"Accept": "application/json"}
        )
        try:
            return PresentationResponseMessage.model_validate(response.json())
        except ValidationError as exc:
            raise ResponseValidationError(
                "the Credential Service answer is not a PresentationResponseMessage",
                errors=exc.errors(include_input=False, include_url=False),
                request_method="POST",
                url=url,
            ) from exc


@runtime_checkable
class CredentialStore(Protocol):
    """Where a holder keeps its credentials (VC JWT strings)."""

    def credentials(self) -> Sequence[str]:
        """All stored credentials as compact VC JWTs."""
        ...


class _ListStore:
    def __init__(self, credentials: Sequence[str]) -> None:
        if isinstance(credentials, str) or not all(isinstance(c, str) and c for c in credentials):
            raise ConfigurationError("credentials must be a sequence of VC JWT strings")
        self._credentials = tuple(credentials)

    def credentials(self) -> Sequence[str]:
        return self._credentials


def credential_summary(vc_jwt: str) -> tuple[frozenset[str], str | None, str]:
    """The types, id and data-model version of a stored VC JWT, read without verifying it (holder side).

    Args:
        vc_jwt: A VC 1.1 JWT (``vc`` claim) or a VC 2.0 JOSE credential (the payload is the credential).

    Returns:
        ``(types, id, version)`` with version ``"1.1"`` or ``"2.0"``.

    Raises:
        MalformedTokenError: Not a compact JWT.
    """
    _, payload = peek(vc_jwt)
    inner = payload.get("vc")
    if isinstance(inner, Mapping):
        credential, version = inner, "1.1"
        credential_id = credential.get("id", payload.get("jti"))
    else:
        credential, version = payload, "2.0"
        credential_id = credential.get("id")
    raw_types = credential.get("type", ())
    types = [raw_types] if isinstance(raw_types, str) else raw_types if isinstance(raw_types, list) else []
    return (
        frozenset(t for t in types if isinstance(t, str)),
        credential_id if isinstance(credential_id, str) else None,
        version,
    )


class PresentationResponder:
    """The holder side of a presentation query: verify the caller, pick credentials, sign VPs.

    It does no I/O: an HTTP server passes the ``Authorization`` header and the body in and serialises the
    answer (``to_json()``). Errors map to statuses: :class:`~d4h_sdk.errors.VerificationError` -> 401/403,
    :class:`~d4h_sdk.errors.DecodeError` -> 400, :class:`~d4h_sdk.errors.ProtocolError` -> 501.

    Steps: the SI token is verified (its ``iss`` is the verifier); if it carries an access token, that
    token must be signed by this holder's key, be addressed to the holder (``aud``), name the verifier as
    ``sub``, and its ``scope`` must cover every requested scope; credentials are selected per scope (by type
    or id); one VP JWT per data-model version (DCP homogeneity) is signed for the verifier
    (``aud`` = the SI token ``iss``).

    Args:
        holder_signer: The holder's key; its ``key_id`` must be under ``holder_did``.
        holder_did: The holder's DID.
        credentials: The holder's VC JWTs, or a :class:`CredentialStore`.
        verifier: Verifies inbound SI tokens; its ``my_did`` must be ``holder_did``.
        vp_lifetime_s: Lifetime of the signed VPs.
        clock: Epoch-seconds clock (access-token checks, VP timestamps).

    Raises:
        ConfigurationError: Inconsistent DIDs or key id, or malformed credentials.
    """

    def __init__(
        self,
        holder_signer: Signer,
        *,
        holder_did: str,
        credentials: Union[Sequence[str], CredentialStore],  # noqa: UP007
        verifier: SelfIssuedTokenVerifier,
        vp_lifetime_s: float = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not holder_signer.key_id.startswith(holder_did + "#"):
            raise ConfigurationError(f"the holder signer's key id must be a key of {holder_did}")
        if verifier.my_did != holder_did:
            raise ConfigurationError(
                f"the verifier checks tokens addressed to {verifier.my_did}, not to the holder {holder_did}"
            )
        self._signer = holder_signer
        self.holder_did = holder_did
        self._store: CredentialStore = (
            credentials if isinstance(credentials, CredentialStore) else _ListStore(credentials)
        )
        self._verifier = verifier
        self._vp_lifetime_s = vp_lifetime_s
        self._clock = clock

    def __repr__(self) -> str:
        return f"PresentationResponder(holder_did={self.holder_did!r})"

    def respond(
        self, authorization_header: str, query: PresentationQueryMessage | Mapping[str, Any]
    ) -> PresentationResponseMessage:
        """Answer a presentation query.

        Args:
            authorization_header: The request's ``Authorization`` value (``Bearer <SI token>``).
            query: The query message or its JSON.

        Returns:
            The response with zero or more VP JWTs.

        Raises:
            VerificationError: The SI token or its access token is rejected (subclass per reason), or the
                access token does not grant a requested scope (InvalidClaimsError).
            DecodeError: The query is not a valid PresentationQueryMessage or has a malformed scope.
            ProtocolError: The query uses a presentation definition (not supported: DCP says 501).
            SigningError: The holder's signer failed.
        """
        verified = self._verifier.verify(authorization_header)
        message = _query_message(query)
        if message.scope is None:
            raise ProtocolError(
                "presentation definitions are not supported by this Credential Service; query by scope"
            )
        try:
            requested = [Scope.parse(text) for text in message.scope]
        except ConfigurationError as exc:
            raise DecodeError(f"the query has a malformed scope: {exc}") from exc
        if verified.access_token is not None:
            self._check_grant(verified.access_token, verified.issuer, requested)
        groups: dict[str, list[str]] = {}
        for vc_jwt in self._store.credentials():
            types, credential_id, version = credential_summary(vc_jwt)
            if any(scope.matches_credential(types, credential_id) for scope in requested):
                groups.setdefault(version, []).append(vc_jwt)
        from d4h_sdk.identity.vc import issue_vp_jwt

        presentations = tuple(
            issue_vp_jwt(
                self._signer,
                group,
                audience=verified.issuer,
                version="1.1" if version == "1.1" else "2.0",
                lifetime_s=self._vp_lifetime_s,
                clock=self._clock,
            )
            for version, group in groups.items()
        )
        return PresentationResponseMessage(presentation=presentations)

    def _check_grant(self, access_token: str, verifier_did: str, requested: Sequence[Scope]) -> None:
        policy = JwtPolicy(
            audience=self.holder_did,
            issuer=self.holder_did,
            subject=verifier_did,
            required=("exp", "scope"),
            max_age_s=None,
            clock=self._clock,
        )
        _, claims = verify_compact(access_token, key=self._signer.public_jwk(), policy=policy)
        scope_claim = claims.get("scope")
        try:
            granted = [Scope.parse(s) for s in str(scope_claim).split()]
        except ConfigurationError as exc:
            raise InvalidClaimsError(f"the access token has a malformed scope claim: {exc}") from exc
        missing = [str(r) for r in requested if not any(g.covers(r) for g in granted)]
        if missing:
            raise InvalidClaimsError(f"the access token does not grant the requested scope(s) {missing}")


def _query_message(query: PresentationQueryMessage | Mapping[str, Any]) -> PresentationQueryMessage:
    if isinstance(query, PresentationQueryMessage):
        return query
    if isinstance(query, Mapping) and "@context" not in query:
        raise DecodeError(f"the PresentationQueryMessage has no '@context' (it must list {DCP_CONTEXT})")
    try:
        return PresentationQueryMessage.model_validate(query)
    except ValidationError as exc:
        raise DecodeError(
            "the body is not a valid PresentationQueryMessage",
            errors=exc.errors(include_input=False, include_url=False),
        ) from exc
