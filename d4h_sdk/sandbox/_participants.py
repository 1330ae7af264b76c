"""Sandbox participants and the one loopback host that serves all their identity endpoints.

:class:`ParticipantHost` runs one :class:`~d4h_sdk.sandbox._http_server.LoopbackServer` (one port) and
serves, for every participant and authority ``<name>`` registered on it:

* ``GET  /<name>/did.json`` — the DID document of ``did:web:localhost%3A<port>:<name>``;
* ``POST /<name>/sts/token`` — a Secure Token Service (DCP's non-normative STS API: form-encoded client
  credentials, ``audience``, optional ``bearer_access_scope`` or ``token``) answering
  ``{access_token, expires_in, token_type}`` with a self-issued ID token; errors are 400 with a list of
  ``{error, error_description}``;
* ``POST /<name>/cs/presentations/query`` — the participant's DCP Credential Service
  (:class:`~d4h_sdk.identity.dcp.PresentationResponder`).

:class:`~d4h_sdk.sandbox._participant.Participant` (re-exported here) answers the last two.

The host's DID resolver fetches documents over plain HTTP from exactly this host and port and refuses every
other DID, so the sandbox never reaches the network. :func:`verify_request` is the provider-side DCP check.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import (
    APIError,
    ConfigurationError,
    DidResolutionError,
    InvalidClaimsError,
    MalformedTokenError,
    VerificationError,
)
from d4h_sdk.identity.dcp import (
    CredentialServiceClient,
    PresentationVerifier,
    Scope,
    VerifiedClaims,
    credential_service_url,
)
from d4h_sdk.identity.did import DidDocument, WebDidResolver, parse_did_web
from d4h_sdk.identity.signing import Signer, generate_key, load_signer
from d4h_sdk.sandbox._authority import (
    DataspaceAuthority,
    OrganizationProfile,
    merge_trust_lists,
)
from d4h_sdk.sandbox._http_server import (
    LoopbackServer,
    Request,
    Response,
    Router,
    error_response,
    json_response,
)
from d4h_sdk.sandbox._participant import Participant, sts_error

__all__ = ["Participant", "ParticipantHost", "verify_request"]

_RESEARCH_MEMBER = OrganizationProfile()
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


class _HostResolver:
    """Resolves did:web DIDs of one loopback host over plain HTTP and refuses every other DID."""

    def __init__(self, authority: str, http: HttpClient) -> None:
        self.authority = authority
        self._web = WebDidResolver(http=http, timeout=5, ttl_s=60, insecure_hosts=[authority])

    def resolve(self, did: str) -> DidDocument:
        try:
            parts = parse_did_web(did)
        except ConfigurationError as exc:
            raise DidResolutionError(f"the sandbox resolves only did:web DIDs: {exc}") from exc
        if parts.authority != self.authority:
            raise DidResolutionError(
                f"{did[:200]!r} is not hosted by this sandbox ({self.authority}); the sandbox resolves no "
                "other DID"
            )
        return self._web.resolve(did)

    def clear_cache(self) -> None:
        self._web.clear_cache()

    def __repr__(self) -> str:
        return f"_HostResolver(authority={self.authority!r})"


class ParticipantHost:
    """One loopback server hosting the DID documents, STSs and Credential Services of a sandbox.

    The server starts in the constructor; stop it with :meth:`stop` or use the host as a context manager.
    DIDs are ``did:web:localhost%3A<port>:<name>``; :attr:`resolver` resolves exactly those.

    Args:
        clock: Epoch-seconds clock for token checks and credential dates (participants may override
            it for their own token minting).
        token_lifetime_s: Lifetime of SI tokens minted by the participants' STSs.
        http: The HTTP client for DID resolution and presentation queries; by default the host owns one.
        port: The port to serve on (it is part of every DID); ``0`` picks a free one. A restarted sandbox
            passes its previous port to keep its DIDs.

    Raises:
        ConfigurationError: The server cannot start (e.g. the port is taken).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        token_lifetime_s: float = 300,
        http: HttpClient | None = None,
        port: int = 0,
    ) -> None:
        self.clock = clock
        self.token_lifetime_s = token_lifetime_s
        self._lock = threading.Lock()
        self._participants: dict[str, Participant] = {}
        self._authorities: dict[str, DataspaceAuthority] = {}
        self._trusted: list[str] = []
        router = Router()
        router.add("GET", "/{name}/did.json", self._did_document)
        router.add("POST", "/{name}/sts/token", self._sts)
        router.add("POST", "/{name}/cs/presentations/query", self._query)
        self._server = LoopbackServer(router, port=port, name="participants")
        self._owns_http = http is None
        self.http = http if http is not None else HttpClient(timeout=(2, 10), max_retries=1)
        self.authority = f"localhost:{self._server.port}"
        self.resolver = _HostResolver(self.authority, self.http)

    def __repr__(self) -> str:
        with self._lock:
            names = sorted([*self._authorities, *self._participants])
        return f"ParticipantHost(url={self.url!r}, names={names})"

    # -- addresses -----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's base URL, ``http://127.0.0.1:<port>``."""
        return self._server.url

    @property
    def port(self) -> int:
        """The server's port."""
        return self._server.port

    @property
    def did_base_url(self) -> str:
        """The base URL as DIDs spell it, ``http://localhost:<port>``."""
        return f"http://{self.authority}"

    def did_for(self, name: str) -> str:
        """The DID a participant or authority called ``name`` has (or will have) on this host.

        Args:
            name: A lower-case name (letters, digits, inner ``-``; at most 64 characters).

        Returns:
            ``did:web:localhost%3A<port>:<name>``.

        Raises:
            ConfigurationError: A malformed name.
        """
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigurationError(
                f"a participant name is lower-case letters, digits and inner '-' (<= 64), got {name!r}"
            )
        return f"did:web:localhost%3A{self._server.port}:{name}"

    # -- registry ------------------------------------------------------------------------------------------

    def _claim(self, name: str) -> None:
        if name in self._participants or name in self._authorities:
            raise ConfigurationError(f"the name {name!r} is already used on this host")

    def add_authority(
        self, name: str = "authority", *, trusted: bool = True, signer: Signer | None = None
    ) -> DataspaceAuthority:
        """Create a dataspace authority hosted here (its DID document is served at once).

        Args:
            name: Its name (DID path segment).
            trusted: Whether its credentials are in the host's :meth:`trust_list` (``False`` makes a rogue
                issuer for refusal tests).
            signer: Its key; default a new P-256 key ``<did>#key-1``.

        Returns:
            The authority.

        Raises:
            ConfigurationError: A malformed or taken name, or a key outside the DID.
        """
        authority = DataspaceAuthority(self.did_for(name), signer=signer, clock=self.clock)
        with self._lock:
            self._claim(name)
            self._authorities[name] = authority
            if trusted:
                self._trusted.append(name)
        return authority

    def add_participant(
        self,
        name: str,
        *,
        issuer: DataspaceAuthority | None = None,
        membership: str | None = "active",
        organization: OrganizationProfile | None = _RESEARCH_MEMBER,
        private_jwk: Mapping[str, Any] | None = None,
        key_kind: str = "P-256",
        clock: Callable[[], float] | None = None,
    ) -> Participant:
        """Create a participant, issue its credentials and serve its endpoints.

        Args:
            name: Its name (DID path segment).
            issuer: The authority issuing its credentials; default the first trusted authority of this host.
            membership: ``membershipStatus`` of its ``MembershipCredential``, or ``None`` for no membership
                credential.
            organization: The claims of its ``OrganizationCredential``, or ``None`` for none.
            private_jwk: A private JWK to load with the ``local`` signer (its ``kid`` is replaced by
                ``<did>#key-1``); default a new key.
            key_kind: The kind of a generated key (``P-256``, ``Ed25519``, ...).
            clock: The clock its STS mints tokens with; default the host's.

        Returns:
            The participant.

        Raises:
            ConfigurationError: A malformed or taken name, no authority to issue credentials, or an
                unusable key.
        """
        did = self.did_for(name)
        key_id = f"{did}#key-1"
        signer: Signer
        if private_jwk is not None:
            jwk = {k: v for k, v in private_jwk.items() if k != "kid"}
            signer = load_signer("local", jwk=jwk, key_id=key_id)
        else:
            signer = generate_key(key_kind, key_id=key_id)
        credentials: list[str] = []
        if membership is not None or organization is not None:
            authority = issuer if issuer is not None else self._default_issuer()
            if membership is not None:
                credentials.append(authority.issue_membership(did, status=membership))
            if organization is not None:
                credentials.append(authority.issue_organization(did, organization))
        participant = Participant(
            self,
            name,
            signer=signer,
            credentials=credentials,
            clock=clock if clock is not None else self.clock,
            token_lifetime_s=self.token_lifetime_s,
        )
        with self._lock:
            self._claim(name)
            self._participants[name] = participant
        return participant

    def _default_issuer(self) -> DataspaceAuthority:
        with self._lock:
            if not self._trusted:
                raise ConfigurationError(
                    "no trusted authority on this host to issue credentials: call add_authority() first "
                    "or pass issuer="
                )
            return self._authorities[self._trusted[0]]

    @property
    def participants(self) -> dict[str, Participant]:
        """Participants by name (a copy)."""
        with self._lock:
            return dict(self._participants)

    @property
    def authorities(self) -> dict[str, DataspaceAuthority]:
        """Authorities by name (a copy)."""
        with self._lock:
            return dict(self._authorities)

    def trust_list(self) -> dict[str, frozenset[str]]:
        """The merged trust list of the trusted authorities (credential type -> issuer DIDs).

        Returns:
            The trust list, as :class:`~d4h_sdk.identity.dcp.PresentationVerifier` takes it.
        """
        with self._lock:
            authorities = [self._authorities[name] for name in self._trusted]
        return merge_trust_lists(*(a.trust_list() for a in authorities))

    # -- routes --------------------------------------------------------------------------------------------

    def _did_document(self, request: Request, params: Mapping[str, str]) -> Response:
        name = params["name"]
        with self._lock:
            participant = self._participants.get(name)
            authority = self._authorities.get(name)
        if participant is not None:
            return json_response(participant.did_document, headers={"Content-Type": "application/did+json"})
        if authority is not None:
            return json_response(authority.did_document(), headers={"Content-Type": "application/did+json"})
        return error_response(404, f"no DID document for {name!r} on this host")

    def _participant(self, name: str) -> Participant | None:
        with self._lock:
            return self._participants.get(name)

    def _sts(self, request: Request, params: Mapping[str, str]) -> Response:
        participant = self._participant(params["name"])
        if participant is None:
            return sts_error(404, "invalid_client", f"no STS for {params['name']!r} on this host")
        return participant._sts_answer(request)

    def _query(self, request: Request, params: Mapping[str, str]) -> Response:
        participant = self._participant(params["name"])
        if participant is None:
            return error_response(404, f"no Credential Service for {params['name']!r} on this host")
        return participant._query_answer(request)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the server and close the host's HTTP client (idempotent)."""
        self._server.stop()
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> ParticipantHost:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def verify_request(
    authorization_header: str | None,
    *,
    verifier_participant: Participant,
    required_scopes: Sequence[Scope | str],
    trusted_issuers: Mapping[str, Collection[str]] | None = None,
) -> VerifiedClaims:
    """The DCP check a provider runs on an inbound request; returns the consumer's verified credentials.

    Steps: the consumer's SI token is verified (addressed to the provider, signed with a key of the
    consumer's DID document, not expired or replayed, with an access token in its ``token`` claim); the
    consumer's Credential Service is discovered from its DID document (it must be on the sandbox host); the
    provider queries it for ``required_scopes`` with its own SI token carrying the consumer's access token;
    the presentations are verified against the trust list (holder = consumer, issuers trusted per type,
    credentials about the consumer, not expired, every scope satisfied).

    Args:
        authorization_header: The request's ``Authorization`` value (``Bearer <SI token>``), or ``None``.
        verifier_participant: The provider.
        required_scopes: The credentials to ask for (e.g. :data:`DS4H_SCOPES`).
        trusted_issuers: Credential type -> issuer DIDs; default the host's
            :meth:`ParticipantHost.trust_list`.

    Returns:
        The verified claims: ``holder`` is the consumer DID;
        :func:`~d4h_sdk.sandbox._authority.policy_claims` flattens them for policy evaluation.

    Raises:
        MalformedTokenError: No token, or not a compact JWT.
        InvalidClaimsError: Wrong audience, no access token, a required scope no credential satisfies, or a
            credential about someone else.
        ExpiredTokenError: The SI token, a presentation or a credential is expired.
        UntrustedIssuerError: A credential from an issuer not trusted for its type.
        ReplayedTokenError: The SI token was used before.
        DidResolutionError: The consumer's DID is not on the sandbox host, or its document lists no usable
            Credential Service.
        VerificationError: The consumer's Credential Service refused or failed the query (other
            subclasses per reason above).
    """
    if not authorization_header or not authorization_header.strip():
        raise MalformedTokenError(
            "the request has no Authorization header: a DCP self-issued token is required"
        )
    host = verifier_participant.host
    token = verifier_participant.token_verifier.verify(authorization_header)
    consumer = token.issuer
    if token.access_token is None:  # the verifier requires the claim; keeps the type checker informed
        raise InvalidClaimsError("the self-issued token carries no access token")
    base_url = credential_service_url(host.resolver.resolve(consumer))
    if urlsplit(base_url).netloc.lower() != host.authority:
        raise DidResolutionError(
            f"the Credential Service of {consumer} is not on the sandbox host ({host.authority}); "
            "refusing to query it"
        )
    query_token = verifier_participant.sts.issue(consumer, token=token.access_token)
    try:
        response = CredentialServiceClient(host.http).query(
            base_url, si_token=query_token, scopes=required_scopes
        )
    except APIError as exc:
        raise VerificationError(
            f"the Credential Service of {consumer} did not answer the query: {exc}"
        ) from exc
    verifier = PresentationVerifier(
        host.resolver,
        my_did=verifier_participant.did,
        trusted_issuers=trusted_issuers if trusted_issuers is not None else host.trust_list(),
        clock=host.clock,
    )
    return verifier.verify(response, si_token_issuer=consumer, required_scopes=required_scopes)
