"""DCP self-issued ID tokens: minting and verifying them.

:class:`SelfIssuedTokenIssuer` is an in-process STS; :class:`SelfIssuedTokenVerifier` applies the
verification order of DCP v1.0 plus EDC's interop rules.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from d4h_sdk.errors import (
    ConfigurationError,
    DidResolutionError,
    InvalidClaimsError,
    MalformedTokenError,
    UntrustedIssuerError,
    VerificationMethodError,
)
from d4h_sdk.identity.dcp._scopes import Scope
from d4h_sdk.identity.did import DidDocument, DidResolver
from d4h_sdk.identity.jose import (
    InMemoryReplayCache,
    JwtPolicy,
    ReplayCache,
    peek,
    sign_compact,
    verify_compact,
)
from d4h_sdk.identity.signing._protocol import Signer

__all__ = [
    "RelationshipPolicy",
    "SelfIssuedTokenIssuer",
    "SelfIssuedTokenVerifier",
    "VerifiedToken",
    "scope_text",
]

RelationshipPolicy = Literal["strict", "any-verification-method"]
"""``strict``: the key must be under ``capabilityInvocation`` (DCP); ``any-verification-method``: any key of
the document (stock EDC / IdentityHub documents list no relationships)."""

_RESERVED_CLAIMS = frozenset({"iss", "sub", "aud", "jti", "iat", "exp", "nbf", "token"})
_SI_REQUIRED = ("iss", "sub", "aud", "jti", "exp", "iat")


def scope_text(scopes: Sequence[Scope | str]) -> str:
    """Join scopes with spaces, as ``bearer_access_scope`` and the access token ``scope`` claim carry them.

    Args:
        scopes: Scopes or scope strings (strings are parsed to check them).

    Returns:
        The space-delimited text.

    Raises:
        ConfigurationError: A scope string is malformed.
    """
    return " ".join(str(s if isinstance(s, Scope) else Scope.parse(s)) for s in scopes)


def _check_did(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.startswith("did:") or value.count(":") < 2 or "#" in value:
        raise ConfigurationError(f"{name} must be a DID (did:<method>:<id>), got {str(value)[:100]!r}")
    return value


class SelfIssuedTokenIssuer:
    """Mint DCP self-issued ID tokens with any :class:`~d4h_sdk.identity.signing.Signer`.

    Tokens carry ``iss`` = ``sub`` = the participant DID, ``aud``, a fresh ``jti`` (uuid4), ``iat`` and
    ``exp``; the header has ``kid`` = ``signer.key_id`` and ``typ: JWT``.

    Args:
        signer: The participant's signing key; its ``key_id`` must be a DID URL under ``participant_did``
            (EDC requires ``kid`` to match ``<iss>#...``).
        participant_did: The participant's DID.
        lifetime_s: Token lifetime in seconds.
        clock: Epoch-seconds clock.

    Raises:
        ConfigurationError: Not a DID, a key id outside the DID, or a non-positive lifetime.
    """

    def __init__(
        self,
        signer: Signer,
        *,
        participant_did: str,
        lifetime_s: float = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.participant_did = _check_did(participant_did, "participant_did")
        if not signer.key_id.startswith(participant_did + "#"):
            raise ConfigurationError(
                f"the signer's key id {signer.key_id!r} must be a key of {participant_did} "
                f"('{participant_did}#<fragment>'): verifiers bind kid to the issuer"
            )
        if not (math.isfinite(lifetime_s) and lifetime_s > 0):
            raise ConfigurationError(f"lifetime_s must be positive, got {lifetime_s}")
        self._signer = signer
        self.lifetime_s = lifetime_s
        self._clock = clock

    def __repr__(self) -> str:
        return (
            f"SelfIssuedTokenIssuer(participant_did={self.participant_did!r}, "
            f"key_id={self._signer.key_id!r}, lifetime_s={self.lifetime_s:g})"
        )

    def _base_claims(self) -> dict[str, Any]:
        now = int(self._clock())
        return {"jti": str(uuid.uuid4()), "iat": now, "exp": now + max(1, math.ceil(self.lifetime_s))}

    def issue(
        self,
        audience: str,
        *,
        token: str | None = None,
        scopes: Sequence[Scope | str] = (),
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """Mint a self-issued ID token for a verifier.

        Args:
            audience: The verifier's DID (``aud``).
            token: An access token to embed as the ``token`` claim (for the verifier's presentation query).
            scopes: When given (and ``token`` is not), an access token granting these scopes is minted with
                :meth:`issue_access_token` and embedded, as an STS does for ``bearer_access_scope``.
            extra_claims: More claims; they may not replace the registered ones or ``token``.

        Returns:
            The compact JWT.

        Raises:
            ConfigurationError: An empty audience, both ``token`` and ``scopes``, or a reserved extra claim.
            SigningError: The signer failed.
        """
        if not isinstance(audience, str) or not audience:
            raise ConfigurationError("audience must be the verifier's DID")
        if token is not None and scopes:
            raise ConfigurationError("give either an access token or scopes to mint one, not both")
        reserved = sorted(_RESERVED_CLAIMS.intersection(extra_claims or {}))
        if reserved:
            raise ConfigurationError(f"extra_claims may not set {reserved}")
        if scopes:
            token = self.issue_access_token(audience, scopes)
        claims: dict[str, Any] = {
            **(extra_claims or {}),
            "iss": self.participant_did,
            "sub": self.participant_did,
            "aud": audience,
            **self._base_claims(),
        }
        if token is not None:
            if not isinstance(token, str) or not token:
                raise ConfigurationError("token must be a non-empty string")
            claims["token"] = token
        return sign_compact(self._signer, claims, typ="JWT")

    def issue_access_token(self, verifier_did: str, scopes: Sequence[Scope | str]) -> str:
        """Mint the access token a verifier uses to query this participant's Credential Service.

        Shaped as EDC's STS makes it: ``iss`` = ``aud`` = this participant, ``sub`` = the verifier,
        ``scope`` = the space-delimited scopes, ``jti``/``iat``/``exp``; signed with the same key.

        Args:
            verifier_did: The verifier's DID.
            scopes: The scopes granted (at least one).

        Returns:
            The compact JWT.

        Raises:
            ConfigurationError: No scopes, a malformed scope or an empty verifier DID.
            SigningError: The signer failed.
        """
        if not isinstance(verifier_did, str) or not verifier_did:
            raise ConfigurationError("verifier_did must be the verifier's DID")
        if not scopes:
            raise ConfigurationError("an access token needs at least one scope")
        claims = {
            "iss": self.participant_did,
            "aud": self.participant_did,
            "sub": verifier_did,
            "scope": scope_text(scopes),
            **self._base_claims(),
        }
        return sign_compact(self._signer, claims, typ="JWT")


@dataclass(frozen=True)
class VerifiedToken:
    """A self-issued ID token that passed verification.

    Attributes:
        issuer: The holder DID (``iss`` = ``sub``).
        claims: All claims of the token.
        access_token: The ``token`` claim, if any: forward it in your presentation query. Kept out of reprs.
    """

    issuer: str
    claims: Mapping[str, Any] = field(repr=False)
    access_token: str | None = field(default=None, repr=False)


def _strip_bearer(token: str) -> str:
    if not isinstance(token, str):
        raise MalformedTokenError("the token is not a string")
    text = token.strip()
    scheme, _, rest = text.partition(" ")
    if scheme.lower() == "bearer":
        text = rest.strip()
    if not text:
        raise MalformedTokenError("no token was given")
    return text


class SelfIssuedTokenVerifier:
    """Verify inbound DCP self-issued ID tokens.

    Order (DCP v1.0 base protocol, with EDC's rules): ``iss`` == ``sub``; ``aud`` == my DID; no ``sub_jwk``;
    a ``kid`` must be ``<iss>#...``; the ``token`` claim if required; the DID document of ``sub`` is
    resolved and its ``id`` must be ``sub``; the key is chosen from it (``kid`` -> that method; no ``kid`` ->
    the only method, several -> rejected), under ``strict`` only from ``capabilityInvocation``; then the
    signature, required claims ``iss sub aud jti exp iat``, ``exp``/``nbf``/``iat`` with leeway and a maximum
    age, and last the ``jti`` replay cache (so a rejected token never burns its id).

    Args:
        my_did: This verifier's DID (the expected ``aud``).
        resolver: Resolves the holder's DID document.
        replay: Remembers ``jti`` values; by default a private
            :class:`~d4h_sdk.identity.jose.InMemoryReplayCache` (share one store between processes).
        leeway_s: Clock-skew tolerance in seconds.
        relationship_policy: ``strict`` (DCP) or ``any-verification-method`` (stock EDC peers).
        require_token_claim: Require the ``token`` claim (EDC does for DSP requests).
        max_age_s: Largest accepted ``now - iat``, or ``None``.
        clock: Epoch-seconds clock.

    Raises:
        ConfigurationError: An invalid DID, policy or leeway.
    """

    def __init__(
        self,
        my_did: str,
        resolver: DidResolver,
        *,
        replay: ReplayCache | None = None,
        leeway_s: float = 5,
        relationship_policy: RelationshipPolicy = "strict",
        require_token_claim: bool = False,
        max_age_s: float | None = 600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.my_did = _check_did(my_did, "my_did")
        if relationship_policy not in ("strict", "any-verification-method"):
            raise ConfigurationError(
                "relationship_policy must be 'strict' or 'any-verification-method', "
                f"got {relationship_policy!r}"
            )
        self._resolver = resolver
        self._replay: ReplayCache = replay if replay is not None else InMemoryReplayCache(clock=clock)
        self.relationship_policy: RelationshipPolicy = relationship_policy
        self.require_token_claim = require_token_claim
        self._clock = clock
        self._policy_options: dict[str, Any] = {"leeway_s": leeway_s, "max_age_s": max_age_s, "clock": clock}
        JwtPolicy(audience=my_did, **self._policy_options)  # validate the options now

    def __repr__(self) -> str:
        return (
            f"SelfIssuedTokenVerifier(my_did={self.my_did!r}, "
            f"relationship_policy={self.relationship_policy!r}, "
            f"require_token_claim={self.require_token_claim})"
        )

    def verify(self, token: str) -> VerifiedToken:
        """Verify a self-issued ID token (raw, or an ``Authorization`` value ``Bearer <token>``).

        Args:
            token: The token.

        Returns:
            The verified issuer, claims and access token.

        Raises:
            MalformedTokenError: Not a compact JWT of acceptable size.
            InvalidClaimsError: ``iss`` != ``sub``, wrong ``aud``, a ``sub_jwk`` claim, a missing required
                claim or ``token`` claim.
            UntrustedIssuerError: A ``kid`` that is not a key of the issuer.
            DidResolutionError: The issuer's DID document cannot be resolved, or its ``id`` is not ``sub``.
            VerificationMethodError: No usable key: unknown ``kid``, no ``kid`` and several keys, or (strict)
                a key that is not under ``capabilityInvocation``.
            InvalidSignatureError: The signature does not verify, or the algorithm does not fit the key.
            ExpiredTokenError: Expired, not yet valid, issued in the future or too old.
            ReplayedTokenError: The ``jti`` was seen before.
        """
        compact = _strip_bearer(token)
        header, claims = peek(compact)
        subject = self._check_unverified(header, claims)
        document = self._resolver.resolve(subject)
        if document.id != subject:
            raise DidResolutionError(
                f"the DID document resolved for {subject!r} describes {document.id!r}; it must be the token "
                "subject"
            )
        kid = header.get("kid")
        key = self._select_key(document, kid if isinstance(kid, str) else None)
        policy = JwtPolicy(
            audience=self.my_did,
            issuer=subject,
            subject=subject,
            required=_SI_REQUIRED,
            require_kid_prefix="kid" in header,
            **self._policy_options,
        )
        _, verified = verify_compact(compact, key=key, policy=policy, replay=self._replay)
        access_token = verified.get("token")
        return VerifiedToken(
            issuer=subject,
            claims=dict(verified),
            access_token=access_token if isinstance(access_token, str) else None,
        )

    def _check_unverified(self, header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
        """The checks that need no key (failing early is safe: nothing is trusted yet)."""
        iss, sub = claims.get("iss"), claims.get("sub")
        if not isinstance(iss, str) or not iss or not isinstance(sub, str) or not sub:
            raise InvalidClaimsError("a self-issued token needs string 'iss' and 'sub' claims")
        if iss != sub:
            raise InvalidClaimsError(
                f"a self-issued token must have iss == sub; got iss {iss[:200]!r}, sub {sub[:200]!r}"
            )
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if self.my_did not in audiences:
            raise InvalidClaimsError(
                f"the token is addressed to {str(aud)[:200]!r}, not to this verifier {self.my_did!r}"
            )
        if "sub_jwk" in claims:
            raise InvalidClaimsError("a self-issued token must not carry a 'sub_jwk' claim")
        kid = header.get("kid")
        if "kid" in header and (not isinstance(kid, str) or not kid.startswith(iss + "#")):
            raise UntrustedIssuerError(
                f"the token key id {str(kid)[:200]!r} is not a key of the issuer {iss!r} "
                f"(it must start with '{iss}#')"
            )
        if self.require_token_claim:
            access = claims.get("token")
            if not isinstance(access, str) or not access:
                raise InvalidClaimsError(
                    "the self-issued token has no 'token' claim (an access token for the presentation "
                    "query), which this verifier requires"
                )
        return sub

    def _select_key(self, document: DidDocument, kid: str | None) -> dict[str, Any]:
        lax = self.relationship_policy == "any-verification-method"
        if kid is not None:
            return document.key_for(kid, "capabilityInvocation", lax=lax)
        methods = document.verification_method
        if len(methods) != 1:
            raise VerificationMethodError(
                f"the token has no 'kid' and the DID document of {document.id} has {len(methods)} "
                "verification methods; a key id is needed to choose one"
            )
        return document.key_for(methods[0].id, "capabilityInvocation", lax=lax)
