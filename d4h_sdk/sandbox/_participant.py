"""A sandbox participant: a did:web identity with keys, an STS, a Credential Service and credentials.

Participants live on a :class:`~d4h_sdk.sandbox._participants.ParticipantHost`, which serves their DID
documents and routes ``POST /<name>/sts/token`` and ``POST /<name>/cs/presentations/query`` to the handlers
here (:meth:`Participant._sts_answer`, :meth:`Participant._query_answer`).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import ConfigurationError, DecodeError, ProtocolError, VerificationError
from d4h_sdk.identity.dcp import (
    PresentationResponder,
    RemoteSts,
    Scope,
    SelfIssuedTokenIssuer,
    SelfIssuedTokenVerifier,
)
from d4h_sdk.identity.did import build_did_document
from d4h_sdk.identity.signing import Signer
from d4h_sdk.sandbox._authority import DS4H_SCOPES
from d4h_sdk.sandbox._http_server import Request, Response, error_response, json_response

if TYPE_CHECKING:
    from d4h_sdk.sandbox._participants import ParticipantHost

__all__ = ["Participant", "sts_error"]

_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class _CredentialList:
    """A thread-safe, growable :class:`~d4h_sdk.identity.dcp.CredentialStore`."""

    def __init__(self, credentials: Sequence[str]) -> None:
        self._lock = threading.Lock()
        self._items = list(credentials)

    def add(self, vc_jwt: str) -> None:
        with self._lock:
            self._items.append(vc_jwt)

    def credentials(self) -> Sequence[str]:
        with self._lock:
            return tuple(self._items)


class Participant:
    """A sandbox participant: a did:web identity with keys, an STS, a Credential Service and credentials.

    Create participants with :meth:`ParticipantHost.add_participant`.

    Attributes:
        name: The short name (the DID's last path segment).
        did: ``did:web:localhost%3A<port>:<name>``.
        signer: The participant's key (a ``local`` signer; ``key_id`` = ``<did>#key-1``).
        client_id: The STS client id (the name).
        sts: An in-process issuer of this participant's SI tokens (what its STS endpoint uses).
        token_verifier: Verifies SI tokens addressed to this participant on DSP requests (the ``token``
            claim required, as EDC does).
    """

    def __init__(
        self,
        host: ParticipantHost,
        name: str,
        *,
        signer: Signer,
        credentials: Sequence[str],
        clock: Callable[[], float],
        token_lifetime_s: float,
    ) -> None:
        self.host = host
        self.name = name
        self.did = host.did_for(name)
        self.signer = signer
        self.client_id = name
        self._client_secret = secrets.token_urlsafe(24)
        self._clock = clock
        self._store = _CredentialList(credentials)
        self.sts = SelfIssuedTokenIssuer(
            signer, participant_did=self.did, lifetime_s=token_lifetime_s, clock=clock
        )
        self.token_verifier = SelfIssuedTokenVerifier(
            self.did, host.resolver, require_token_claim=True, clock=host.clock
        )
        self._responder = PresentationResponder(
            signer,
            holder_did=self.did,
            credentials=self._store,
            verifier=SelfIssuedTokenVerifier(self.did, host.resolver, clock=host.clock),
            clock=host.clock,
        )
        self._services: dict[str, str] = {}
        self._document = self._build_document()

    def __repr__(self) -> str:
        return f"Participant(name={self.name!r}, did={self.did!r}, credentials={len(self.credentials)})"

    # -- identity ------------------------------------------------------------------------------------------

    @property
    def client_secret(self) -> str:
        """The STS client secret (kept out of reprs)."""
        return self._client_secret

    @property
    def did_url(self) -> str:
        """Where the DID document is served: ``http://localhost:<port>/<name>/did.json``."""
        return f"{self.host.did_base_url}/{self.name}/did.json"

    @property
    def sts_url(self) -> str:
        """The STS token endpoint."""
        return f"{self.host.did_base_url}/{self.name}/sts/token"

    @property
    def credential_service_url(self) -> str:
        """The Credential Service base URL (``.../presentations/query`` is appended by clients)."""
        return f"{self.host.did_base_url}/{self.name}/cs"

    @property
    def did_document(self) -> dict[str, Any]:
        """The served DID document (a copy)."""
        return dict(self._document)

    def publish(self, *, dsp_endpoint: str | None = None, catalog_endpoint: str | None = None) -> None:
        """Add DSP service entries to the served DID document.

        Args:
            dsp_endpoint: A ``DataService`` entry (the connector's ``/.well-known/dspace-version`` URL).
            catalog_endpoint: A ``CatalogService`` entry (a URL ending in ``/catalog``).

        Raises:
            ConfigurationError: A malformed URL.
        """
        services = dict(self._services)
        if dsp_endpoint is not None:
            services["dsp_endpoint"] = dsp_endpoint
        if catalog_endpoint is not None:
            services["catalog_endpoint"] = catalog_endpoint
        document = self._build_document(services)
        self._services, self._document = services, document
        self.host.resolver.clear_cache()

    def _build_document(self, services: Mapping[str, str] | None = None) -> dict[str, Any]:
        return build_did_document(
            self.did,
            keys=[(self.signer.key_id, self.signer.public_jwk())],
            credential_service=self.credential_service_url,
            **(services if services is not None else self._services),
        )

    # -- credentials ---------------------------------------------------------------------------------------

    @property
    def credentials(self) -> tuple[str, ...]:
        """The participant's VC JWTs, as its Credential Service holds them."""
        return tuple(self._store.credentials())

    def add_credential(self, vc_jwt: str) -> None:
        """Give the participant one more credential (served from the next presentation query on).

        Args:
            vc_jwt: A compact VC JWT about this participant.

        Raises:
            ConfigurationError: Not a non-empty string.
        """
        if not isinstance(vc_jwt, str) or vc_jwt.count(".") != 2:
            raise ConfigurationError("a credential is a compact VC JWT string")
        self._store.add(vc_jwt)

    # -- tokens --------------------------------------------------------------------------------------------

    def issue_token(self, audience: str, *, scopes: Sequence[Scope | str] = DS4H_SCOPES) -> str:
        """Mint, in process, the SI token this participant sends to a provider.

        Args:
            audience: The provider's DID.
            scopes: Scopes of the embedded access token (the provider's presentation query).

        Returns:
            The self-issued ID token.
        """
        return self.sts.issue(audience, scopes=scopes)

    def remote_sts(self, *, http: HttpClient | None = None) -> RemoteSts:
        """A client of this participant's STS endpoint, over HTTP.

        Args:
            http: The HTTP client; by default the :class:`RemoteSts` creates its own (close it).

        Returns:
            The client, with this participant's client credentials.
        """
        return RemoteSts(self.sts_url, self.client_id, lambda: self._client_secret, http=http)

    # -- HTTP handlers -------------------------------------------------------------------------------------

    def _sts_answer(self, request: Request) -> Response:
        if request.mimetype != _FORM:
            return sts_error(400, "invalid_request", f"the body must be {_FORM}")
        form = request.form
        missing = [n for n in ("grant_type", "client_id", "client_secret", "audience") if not form.get(n)]
        if missing:
            return sts_error(400, "invalid_request", f"missing {', '.join(missing)}")
        if form["grant_type"] != "client_credentials":
            return sts_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        id_ok = hmac.compare_digest(form["client_id"].encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest(form["client_secret"].encode(), self._client_secret.encode())
        if not (id_ok and secret_ok):
            return sts_error(400, "invalid_client", "client authentication failed")
        scopes = form.get("bearer_access_scope", "").split()
        token = form.get("token") or None
        if scopes and token is not None:
            return sts_error(400, "invalid_request", "give bearer_access_scope or token, not both")
        try:
            si_token = self.sts.issue(form["audience"], scopes=scopes, token=token)
        except ConfigurationError as exc:
            return sts_error(400, "invalid_request", str(exc))
        return json_response(
            {"access_token": si_token, "expires_in": int(self.sts.lifetime_s), "token_type": "Bearer"},
            headers=_NO_STORE,
        )

    def _query_answer(self, request: Request) -> Response:
        authorization = request.headers.get("Authorization")
        if not authorization:
            return error_response(401, "a self-issued ID token is required (Authorization: Bearer)")
        body = request.get_json(silent=True)
        if not isinstance(body, Mapping):
            return error_response(400, "the body must be a PresentationQueryMessage JSON object")
        try:
            answer = self._responder.respond(authorization, body)
        except VerificationError as exc:
            return error_response(401, str(exc))
        except DecodeError as exc:
            return error_response(400, str(exc))
        except ProtocolError as exc:
            return error_response(501, str(exc))
        return json_response(answer.to_json())


def sts_error(status: int, error: str, description: str) -> Response:
    return json_response([{"error": error, "error_description": description}], status, headers=_NO_STORE)
