"""``PresentationVerifier``: check a holder's PresentationResponseMessage the way a DCP verifier must.

For every presentation (JWT VPs; LDP VPs are refused): the VP and VC signatures, VP audience and validity
through :func:`d4h_sdk.identity.vc.verify_vp_jwt`; the VP holder must be the SI token issuer (EDC's rule);
each VC's issuer must be trusted (for its type, when the trust list is per type), its subject must be the
holder (holder binding, on by default), it must not be expired; every required scope must be satisfied by
some VC. Status lists (StatusList2021 / BitstringStatusList) need network I/O and are checked only through
an injected ``status_checker``; credentials whose status was not checked are reported in
:attr:`VerifiedClaims.status_unchecked`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from d4h_sdk.errors import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidClaimsError,
    MalformedTokenError,
    RevokedCredentialError,
    UntrustedIssuerError,
)
from d4h_sdk.identity.dcp._models import PresentationResponseMessage
from d4h_sdk.identity.dcp._scopes import Scope
from d4h_sdk.identity.dcp._tokens import RelationshipPolicy
from d4h_sdk.identity.did import DidResolver

if TYPE_CHECKING:
    from d4h_sdk.identity.vc import VerifiedCredential

__all__ = ["STATUS_ENTRY_TYPES", "ANY_TYPE", "PresentationVerifier", "StatusChecker", "VerifiedClaims"]

STATUS_ENTRY_TYPES: frozenset[str] = frozenset({"StatusList2021Entry", "BitstringStatusListEntry"})
"""``credentialStatus`` types handed to the status checker."""

ANY_TYPE = "*"
"""Key of a per-type trust map whose issuers are trusted for every credential type."""

StatusChecker = Callable[["VerifiedCredential", Mapping[str, Any]], bool]
"""``(credential, status entry) -> True`` if the credential is still valid (not revoked or suspended).

It fetches and decodes the status list credential itself (network I/O, caching, verifying the list's own
signature are its business) and raises a :class:`~d4h_sdk.errors.VerificationError` if it cannot decide."""


@dataclass(frozen=True)
class VerifiedClaims:
    """What a verified presentation response proves.

    Attributes:
        holder: The holder DID (the SI token issuer).
        credentials: The verified credentials, from all presentations.
        status_unchecked: Ids (or issuer + types when there is no id) of credentials that have a status
            entry which was not checked because no ``status_checker`` was given.
    """

    holder: str
    credentials: tuple[VerifiedCredential, ...]
    status_unchecked: tuple[str, ...] = ()

    @property
    def types(self) -> frozenset[str]:
        """Every credential type presented."""
        return frozenset(t for c in self.credentials for t in c.types)

    def of_type(self, credential_type: str) -> tuple[VerifiedCredential, ...]:
        """The credentials of one type.

        Args:
            credential_type: E.g. ``MembershipCredential``.

        Returns:
            The matching credentials, in presentation order.
        """
        return tuple(c for c in self.credentials if credential_type in c.types)


def _trust_map(trusted: Mapping[str, Collection[str]] | Collection[str]) -> dict[str, frozenset[str]]:
    if isinstance(trusted, str):
        raise ConfigurationError("trusted_issuers must be a collection of DIDs (or a type -> DIDs map)")
    if isinstance(trusted, Mapping):
        result = {}
        for credential_type, issuers in trusted.items():
            if isinstance(issuers, str):
                raise ConfigurationError(f"the trusted issuers of {credential_type!r} must be a collection")
            result[credential_type] = frozenset(issuers)
    else:
        result = {ANY_TYPE: frozenset(trusted)}
    if not any(result.values()):
        raise ConfigurationError("trusted_issuers is empty: no credential could ever be accepted")
    return result


def _status_entries(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = credential.get("credentialStatus")
    entries = raw if isinstance(raw, list) else [raw] if raw is not None else []
    return [e for e in entries if isinstance(e, Mapping) and e.get("type") in STATUS_ENTRY_TYPES]


def _label(vc: VerifiedCredential) -> str:
    credential_id = vc.credential.get("id")
    if isinstance(credential_id, str):
        return credential_id
    return f"{sorted(vc.types)} from {vc.issuer}"


class PresentationVerifier:
    """Verify a :class:`PresentationResponseMessage` received from a holder's Credential Service.

    Args:
        resolver: Resolves holder and issuer DID documents.
        my_did: This verifier's DID: the audience the VPs must be addressed to.
        trusted_issuers: Issuer DIDs trusted for any type, or a map credential type -> issuer DIDs (the key
            ``"*"`` for issuers trusted for every type). A VC is accepted if its issuer is trusted for one of
            its types.
        relationship_policy: ``strict`` (the VP key under ``authentication``) or ``any-verification-method``.
        status_checker: Checks ``StatusList2021Entry`` / ``BitstringStatusListEntry`` status entries; default
            ``None``: status is not checked (reported in :attr:`VerifiedClaims.status_unchecked`).
        require_subject_binding: Require each VC's ``credentialSubject.id`` to be the holder (EDC does).
        leeway_s: Clock-skew tolerance in seconds.
        clock: Epoch-seconds clock.

    Raises:
        ConfigurationError: An empty trust list or an unknown policy.
    """

    def __init__(
        self,
        resolver: DidResolver,
        *,
        my_did: str,
        trusted_issuers: Mapping[str, Collection[str]] | Collection[str],
        relationship_policy: RelationshipPolicy = "strict",
        status_checker: StatusChecker | None = None,
        require_subject_binding: bool = True,
        leeway_s: float = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if relationship_policy not in ("strict", "any-verification-method"):
            raise ConfigurationError(
                "relationship_policy must be 'strict' or 'any-verification-method', "
                f"got {relationship_policy!r}"
            )
        self._resolver = resolver
        self.my_did = my_did
        self._trusted = _trust_map(trusted_issuers)
        self.relationship_policy: RelationshipPolicy = relationship_policy
        self._status_checker = status_checker
        self.require_subject_binding = require_subject_binding
        self._leeway_s = leeway_s
        self._clock = clock

    def __repr__(self) -> str:
        return (
            f"PresentationVerifier(my_did={self.my_did!r}, trusted_types={sorted(self._trusted)}, "
            f"relationship_policy={self.relationship_policy!r})"
        )

    def verify(
        self,
        response: PresentationResponseMessage,
        *,
        si_token_issuer: str,
        required_scopes: Sequence[Scope | str] = (),
    ) -> VerifiedClaims:
        """Verify every presentation of a response and check that it satisfies the required scopes.

        Args:
            response: The Credential Service's answer.
            si_token_issuer: The ``iss`` of the holder's verified SI token; every VP must be from it.
            required_scopes: Scopes some presented credential must satisfy each (by type or id).

        Returns:
            The verified credentials.

        Raises:
            MalformedTokenError: A presentation is not a JWT (LDP VPs are not supported).
            InvalidSignatureError: A VP or VC signature does not verify.
            UntrustedIssuerError: A VP from someone other than the SI token issuer, or a VC from an issuer
                not trusted for its type.
            InvalidClaimsError: Wrong audience, a VC about someone else (holder binding), or a required
                scope no credential satisfies.
            ExpiredTokenError: An expired or not yet valid VP or VC.
            VerificationError: A credential is revoked or suspended according to the status checker, or
                another verification failure (subclass per reason).
            ConfigurationError: A malformed required scope.
        """
        from d4h_sdk.identity.vc import verify_vp_jwt

        scopes = [s if isinstance(s, Scope) else Scope.parse(s) for s in required_scopes]
        credentials: list[VerifiedCredential] = []
        unchecked: list[str] = []
        policy: Literal["strict", "lax"] = "strict" if self.relationship_policy == "strict" else "lax"
        for index, presentation in enumerate(response.presentation):
            if not isinstance(presentation, str):
                raise MalformedTokenError(
                    f"presentation {index} is a JSON-LD (LDP) presentation; only JWT presentations are "
                    "supported: ask the holder for the vc11-sl2021/jwt or vc20-bssl/jwt profile"
                )
            verified = verify_vp_jwt(
                presentation,
                resolver=self._resolver,
                audience=self.my_did,
                clock=self._clock,
                leeway_s=self._leeway_s,
                relationship_policy=policy,
            )
            if verified.holder != si_token_issuer:
                raise UntrustedIssuerError(
                    f"presentation {index} is from {verified.holder!r}, not from the token issuer "
                    f"{si_token_issuer!r}"
                )
            for vc in verified.credentials:
                self._check_credential(vc, verified.holder, unchecked)
                credentials.append(vc)
        for scope in scopes:
            if not any(scope.matches_credential(vc.types, _id(vc)) for vc in credentials):
                raise InvalidClaimsError(
                    f"no presented credential satisfies the required scope {str(scope)!r}"
                )
        return VerifiedClaims(
            holder=si_token_issuer, credentials=tuple(credentials), status_unchecked=tuple(unchecked)
        )

    def _check_credential(self, vc: VerifiedCredential, holder: str, unchecked: list[str]) -> None:
        if not self._is_trusted(vc):
            raise UntrustedIssuerError(
                f"credential {_label(vc)} is issued by {vc.issuer!r}, which is not trusted for its types"
            )
        if vc.expires_at is not None and self._clock() >= vc.expires_at.timestamp() + self._leeway_s:
            raise ExpiredTokenError(f"credential {_label(vc)} has expired")
        if self.require_subject_binding and vc.subject != holder:
            raise InvalidClaimsError(
                f"credential {_label(vc)} is about {vc.subject!r}, not about the holder {holder!r}"
            )
        for entry in _status_entries(vc.credential):
            if self._status_checker is None:
                unchecked.append(_label(vc))
                break
            if not self._status_checker(vc, entry):
                raise RevokedCredentialError(
                    f"credential {_label(vc)} is revoked or suspended according to its "
                    f"{entry.get('type')} entry"
                )

    def _is_trusted(self, vc: VerifiedCredential) -> bool:
        issuers = set(self._trusted.get(ANY_TYPE, ()))
        for credential_type in vc.types:
            issuers.update(self._trusted.get(credential_type, ()))
        return vc.issuer in issuers


def _id(vc: VerifiedCredential) -> str | None:
    credential_id = vc.credential.get("id")
    return credential_id if isinstance(credential_id, str) else None
