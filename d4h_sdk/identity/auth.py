"""Credentials for HTTP calls: API keys, static bearer tokens, OAuth2 client credentials.

Every class is a ``requests.auth.AuthBase`` (through :data:`d4h_sdk._http.AuthBase`), so it plugs into
:class:`~d4h_sdk._http.HttpClient` (``auth=``) or a plain ``requests`` call. Secrets never appear in reprs,
logs or exception texts; :class:`~d4h_sdk._http.HttpClient` drops the headers these objects add when a
redirect leaves the origin.

* :class:`ApiKeyAuth` — the EDC Management API ``X-Api-Key`` header.
* :class:`BearerTokenAuth` — ``Authorization: Bearer <token>`` from a fixed token or a provider callable.
* :class:`ClientCredentialsAuth` — OAuth2 client credentials (Keycloak, an IdentityHub STS): the token is
  fetched once, shared by every thread and refreshed ``refresh_skew_s`` before it expires.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit

from d4h_sdk._http import AuthBase, HttpClient
from d4h_sdk.errors import APIStatusError, AuthenticationError, ConfigurationError, ResponseValidationError

__all__ = ["DEFAULT_TOKEN_LIFETIME_S", "ApiKeyAuth", "BearerTokenAuth", "ClientCredentialsAuth"]

DEFAULT_TOKEN_LIFETIME_S = 60.0
"""How long a client-credentials token without ``expires_in`` is reused."""


class _HasHeaders(Protocol):
    @property
    def headers(self) -> MutableMapping[str, str]: ...


_R = TypeVar("_R", bound=_HasHeaders)


def _checked_value(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"the {what} is empty or not a string")
    if "\r" in value or "\n" in value:
        raise ConfigurationError(f"the {what} contains a line break")
    return value


def _resolve(source: str | Callable[[], str], what: str) -> str:
    return _checked_value(source() if callable(source) else source, what)


class ApiKeyAuth(AuthBase):
    """Send an API key in a header (EDC Management API: ``X-Api-Key``).

    Args:
        key: The key, or a callable returning it for each request (for a key read from a vault).
        header: The header name.

    Raises:
        ConfigurationError: An empty key or header name, or a line break in either.
    """

    def __init__(self, key: str | Callable[[], str], header: str = "X-Api-Key") -> None:
        self._key = key if callable(key) else _checked_value(key, "API key")
        self.header = _checked_value(header, "API key header name")

    def __call__(self, r: _R) -> _R:
        """Add the key header to the request."""
        r.headers[self.header] = _resolve(self._key, "API key")
        return r

    def __repr__(self) -> str:
        return f"ApiKeyAuth(header={self.header!r}, key=***)"


class BearerTokenAuth(AuthBase):
    """Send ``Authorization: Bearer <token>``.

    Args:
        token: The token, or a callable returning the current token for each request.

    Raises:
        ConfigurationError: An empty token or a line break in it.
    """

    def __init__(self, token: str | Callable[[], str]) -> None:
        self._token = token if callable(token) else _checked_value(token, "bearer token")

    def __call__(self, r: _R) -> _R:
        """Add the ``Authorization`` header to the request."""
        r.headers["Authorization"] = "Bearer " + _resolve(self._token, "bearer token")
        return r

    def __repr__(self) -> str:
        return "BearerTokenAuth(token=***)"


def _oauth_summary(body: object) -> str:
    if isinstance(body, Mapping):
        parts = [
            str(body[name]) for name in ("error", "error_description") if isinstance(body.get(name), str)
        ]
        if parts:
            return ": ".join(parts)
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        return _oauth_summary(body[0])  # the DCP STS answers 400 with a list of errors
    return "no OAuth error details"


class ClientCredentialsAuth(AuthBase):
    """OAuth2 client credentials (RFC 6749 §4.4, ``client_secret_post``) with a shared, refreshed token.

    The token request is a form-encoded POST of ``grant_type=client_credentials``, ``client_id``,
    ``client_secret`` and, when given, ``scope``, ``audience`` and ``extra`` fields (an IdentityHub STS takes
    ``bearer_access_scope`` there). The token is reused until ``refresh_skew_s`` before ``expires_in`` runs
    out (at most half its lifetime early); concurrent callers wait for one request instead of sending many.

    Args:
        token_url: The token endpoint (Keycloak: ``<base>/realms/<realm>/protocol/openid-connect/token``).
        client_id: The client id.
        client_secret: The client secret, or a callable returning it (read when a token is fetched).
        scope: Scope(s) to request; a list is joined with spaces.
        audience: The ``audience`` form field (STS: the verifier's DID), if any.
        extra: More form fields.
        refresh_skew_s: Refresh this many seconds before the token expires.
        http: The client for token requests; it must not use this object as its own auth. By default a
            private :class:`~d4h_sdk._http.HttpClient` is created (close it with :meth:`close`).
        clock: Monotonic clock in seconds (injectable for tests).

    Raises:
        ConfigurationError: A missing option, a non-HTTP(S) token URL, or a negative skew.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | Callable[[], str],
        *,
        scope: str | Sequence[str] | None = None,
        audience: str | None = None,
        extra: Mapping[str, str] | None = None,
        refresh_skew_s: float = 30,
        http: HttpClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if urlsplit(token_url).scheme not in ("http", "https") or not urlsplit(token_url).netloc:
            raise ConfigurationError("token_url must be an absolute http(s) URL")
        self.token_url = token_url
        self.client_id = _checked_value(client_id, "client_id")
        self._client_secret = (
            client_secret if callable(client_secret) else _checked_value(client_secret, "client secret")
        )
        self.scope = scope if scope is None or isinstance(scope, str) else " ".join(scope)
        self.audience = audience
        self._extra = dict(extra or {})
        if not (math.isfinite(refresh_skew_s) and refresh_skew_s >= 0):
            raise ConfigurationError(f"refresh_skew_s must be 0 or more, got {refresh_skew_s}")
        self._refresh_skew_s = refresh_skew_s
        self._owns_http = http is None
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._fetching = threading.local()
        self._cached: tuple[str, float] | None = None

    def __call__(self, r: _R) -> _R:
        """Add ``Authorization: Bearer <token>``, fetching or refreshing the token when needed."""
        r.headers["Authorization"] = "Bearer " + self.token()
        return r

    def __repr__(self) -> str:
        return (
            f"ClientCredentialsAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"scope={self.scope!r}, audience={self.audience!r}, client_secret=***)"
        )

    def token(self) -> str:
        """Return a valid access token, fetching a new one when none is cached or it is about to expire.

        Raises:
            AuthenticationError: The token endpoint rejected the client credentials.
            APIStatusError: The token endpoint failed otherwise (subclass per status).
            APIConnectionError: The token endpoint could not be reached.
            ResponseValidationError: The token response is not a usable OAuth2 token response.
            ConfigurationError: The token request was itself sent through this object.
        """
        cached = self._cached
        if cached is not None and self._clock() < cached[1]:
            return cached[0]
        if getattr(self._fetching, "active", False):
            raise ConfigurationError(
                "the token request went through ClientCredentialsAuth itself: give it an HttpClient that "
                "does not use this object as auth"
            )
        with self._lock:
            started = self._clock()
            cached = self._cached
            if cached is not None and started < cached[1]:
                return cached[0]
            self._fetching.active = True
            try:
                token, lifetime = self._fetch()
            finally:
                self._fetching.active = False
            skew = min(self._refresh_skew_s, lifetime / 2)
            self._cached = (token, started + lifetime - skew)
            return token

    def invalidate(self) -> None:
        """Forget the cached token (for example after a 401 from the resource server)."""
        with self._lock:
            self._cached = None

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> ClientCredentialsAuth:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _form(self, secret: str) -> bytes:
        fields = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": secret}
        if self.scope:
            fields["scope"] = self.scope
        if self.audience:
            fields["audience"] = self.audience
        fields.update(self._extra)
        return urlencode(fields).encode("ascii")

    def _fetch(self) -> tuple[str, float]:
        if self._http is None:
            self._http = HttpClient()
        secret = _resolve(self._client_secret, "client secret")
        try:
            response = self._http.post(
                self.token_url,
                data=self._form(secret),
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            )
        except APIStatusError as exc:
            raise self._refused(exc, secret) from exc
        return self._parse(response.json())

    def _refused(self, exc: APIStatusError, secret: str) -> APIStatusError:
        summary = _oauth_summary(exc.body).replace(secret, "***")
        invalid_client = exc.status_code == 401 or "invalid_client" in summary
        cls = AuthenticationError if invalid_client else type(exc)
        hint = "; check client_id and client_secret" if invalid_client else ""
        return cls(
            f"token endpoint refused client {self.client_id!r}: {summary}{hint}",
            status_code=exc.status_code,
            correlation_id=exc.correlation_id,
            request_method="POST",
            url=exc.url,
            body=exc.body,
        )

    def _invalid(self, problem: str) -> ResponseValidationError:
        return ResponseValidationError(
            f"token endpoint answer is not an OAuth2 token response: {problem}",
            request_method="POST",
            url=urlsplit(self.token_url)._replace(query="", fragment="").geturl(),
        )

    def _parse(self, body: Any) -> tuple[str, float]:
        if not isinstance(body, Mapping):
            raise self._invalid("not a JSON object")
        token = body.get("access_token")
        if not isinstance(token, str) or not token or "\r" in token or "\n" in token:
            raise self._invalid("no usable 'access_token'")
        token_type = body.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise self._invalid(f"token_type {str(token_type)[:20]!r} is not Bearer")
        expires_in = body.get("expires_in")
        if expires_in is None:
            return token, DEFAULT_TOKEN_LIFETIME_S
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError) as exc:
            raise self._invalid("'expires_in' is not a number") from exc
        if isinstance(expires_in, bool) or not math.isfinite(lifetime) or lifetime <= 0:
            raise self._invalid("'expires_in' is not a positive number")
        return token, lifetime
