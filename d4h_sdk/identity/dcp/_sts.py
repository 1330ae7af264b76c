"""``RemoteSts``: self-issued ID tokens from a Secure Token Service (EDC IdentityHub ``/api/sts/token``).

The wire shape is DCP's non-normative STS API: a form-encoded client-credentials POST with ``audience``
(the verifier's DID) and optionally ``bearer_access_scope`` (asks the STS to embed an access token) or
``token`` (an access token to copy into the SI token); the answer's ``access_token`` is the SI token. A 400
answer is a list of ``{error, error_description}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import APIStatusError, AuthenticationError, ConfigurationError, ResponseValidationError
from d4h_sdk.identity.dcp._scopes import Scope
from d4h_sdk.identity.dcp._tokens import scope_text

__all__ = ["RemoteSts"]


def _errors_summary(body: object) -> str:
    entries = body if isinstance(body, list) else [body]
    parts: list[str] = []
    for entry in entries:
        if isinstance(entry, Mapping):
            text = ": ".join(
                str(entry[name])
                for name in ("error", "error_description")
                if isinstance(entry.get(name), str)
            )
            if text:
                parts.append(text)
    return "; ".join(parts)[:500] or "no error details"


class RemoteSts:
    """A Secure Token Service reached with OAuth2 client credentials.

    Args:
        token_url: The token endpoint, e.g. ``https://ih.example/api/sts/token``.
        client_id: The participant's STS client id.
        client_secret: The client secret, or a callable returning it (read for each request).
        http: The HTTP client; by default a private one (close it with :meth:`close`).

    Raises:
        ConfigurationError: A non-HTTP(S) URL or an empty client id / secret.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | Callable[[], str],
        *,
        http: HttpClient | None = None,
    ) -> None:
        parts = urlsplit(token_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError("token_url must be an absolute http(s) URL")
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("client_id must be a non-empty string")
        if not callable(client_secret) and (not isinstance(client_secret, str) or not client_secret):
            raise ConfigurationError("client_secret must be a non-empty string or a callable")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._owns_http = http is None
        self._http = http

    def __repr__(self) -> str:
        return f"RemoteSts(token_url={self.token_url!r}, client_id={self.client_id!r}, client_secret=***)"

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> RemoteSts:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _secret(self) -> str:
        secret = self._client_secret() if callable(self._client_secret) else self._client_secret
        if not isinstance(secret, str) or not secret:
            raise ConfigurationError("the client secret provider returned no secret")
        return secret

    def issue(self, audience: str, *, scopes: Sequence[Scope | str] = (), token: str | None = None) -> str:
        """Ask the STS for a self-issued ID token.

        Args:
            audience: The verifier's DID.
            scopes: Sent as ``bearer_access_scope``: the STS embeds an access token for these scopes.
            token: An access token the STS copies into the SI token (``token`` form field).

        Returns:
            The self-issued ID token.

        Raises:
            AuthenticationError: The STS refused the request (400 with its error list, or 401); the message
                carries the STS's error description.
            APIStatusError: Another error status.
            APIConnectionError: The STS could not be reached.
            ResponseValidationError: The answer has no usable ``access_token``.
            ConfigurationError: An empty audience or a malformed scope.
        """
        if not isinstance(audience, str) or not audience:
            raise ConfigurationError("audience must be the verifier's DID")
        secret = self._secret()
        fields = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": secret,
            "audience": audience,
        }
        if scopes:
            fields["bearer_access_scope"] = scope_text(scopes)
        if token is not None:
            fields["token"] = token
        if self._http is None:
            self._http = HttpClient()
        try:
            response = self._http.post(
                self.token_url,
                data=urlencode(fields).encode("ascii"),
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            )
        except APIStatusError as exc:
            if exc.status_code not in (400, 401):
                raise
            summary = _errors_summary(exc.body).replace(secret, "***")
            raise AuthenticationError(
                f"the STS refused a token for client {self.client_id!r}: {summary}",
                status_code=exc.status_code,
                correlation_id=exc.correlation_id,
                request_method="POST",
                url=exc.url,
                body=exc.body,
            ) from exc
        return self._access_token(response.json())

    def _access_token(self, body: Any) -> str:
        value = body.get("access_token") if isinstance(body, Mapping) else None
        if not isinstance(value, str) or not value or any(ch in value for ch in "\r\n "):
            raise ResponseValidationError(
                "the STS answer has no usable 'access_token'",
                request_method="POST",
                url=urlsplit(self.token_url)._replace(query="", fragment="").geturl(),
            )
        return value
