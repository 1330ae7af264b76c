"""``SelfIssuedTokenAuth``: attach a fresh DCP self-issued ID token to every request."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from d4h_sdk._http import AuthBase
from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.dcp._scopes import Scope

__all__ = ["SelfIssuedTokenAuth", "SelfIssuedTokenSource"]


@runtime_checkable
class SelfIssuedTokenSource(Protocol):
    """Anything that mints self-issued ID tokens: :class:`SelfIssuedTokenIssuer` or :class:`RemoteSts`."""

    def issue(self, audience: str, *, scopes: Sequence[Scope | str] = ()) -> str:
        """Return a fresh self-issued ID token for ``audience``, embedding an access token for ``scopes``."""
        ...


class _HasHeaders(Protocol):
    @property
    def headers(self) -> MutableMapping[str, str]: ...


_R = TypeVar("_R", bound=_HasHeaders)


class SelfIssuedTokenAuth(AuthBase):
    """Send ``Authorization: Bearer <self-issued ID token>``, minted afresh for each request.

    Use it as ``auth=`` of an :class:`~d4h_sdk._http.HttpClient` (or ``requests``) for DSP calls to one
    provider. The token is never logged and never part of the repr.

    Args:
        issuer: A :class:`SelfIssuedTokenIssuer` (local key) or :class:`RemoteSts`.
        audience: The provider's DID.
        scopes: Scopes the provider may query from your Credential Service (an access token for them is
            embedded in each SI token), e.g. ``[Scope.for_type("MembershipCredential")]``.

    Raises:
        ConfigurationError: An empty audience or a malformed scope.
    """

    def __init__(
        self, issuer: SelfIssuedTokenSource, audience: str, *, scopes: Sequence[Scope | str] = ()
    ) -> None:
        if not isinstance(audience, str) or not audience:
            raise ConfigurationError("audience must be the provider's DID")
        self._issuer = issuer
        self.audience = audience
        self.scopes: tuple[Scope, ...] = tuple(s if isinstance(s, Scope) else Scope.parse(s) for s in scopes)

    def __call__(self, r: _R) -> _R:
        """Mint a token and add the ``Authorization`` header."""
        r.headers["Authorization"] = "Bearer " + self._issuer.issue(self.audience, scopes=self.scopes)
        return r

    def __repr__(self) -> str:
        scopes = [str(s) for s in self.scopes]
        return f"SelfIssuedTokenAuth(issuer={self._issuer!r}, audience={self.audience!r}, scopes={scopes})"
