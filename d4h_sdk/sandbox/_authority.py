"""The sandbox's dataspace authority: a did:web issuer of DS4H-style credentials, and its trust list.

Credentials are VC-DM 1.1 JWTs (:func:`d4h_sdk.identity.vc.issue_vc_jwt`) whose subject claims are the
Dataspace4Health (DS4H) EDC policy operands, so a verified credential feeds policy evaluation directly:

* ``MembershipCredential``: ``membershipStatus``;
* ``OrganizationCredential``: ``organizationType``, ``jurisdictionCountry``, ``organizationOwnershipType``,
  ``dataProtectionRole``, ``euEeaStatus``, ``organizationRoles``.

The credentials' ``@context`` adds ``{"@vocab": "https://w3id.org/edc/v0.0.1/ns/"}``, so each claim
expands to the EDC-namespace IRI DS4H policies use as ``leftOperand``. Value sets follow what DS4H uses
(``notes/health.md`` §2); the DS4H list is incomplete, so open operands accept any lower-case
kebab-case token and only the binary ones are closed.
"""

from __future__ import annotations

import datetime
import re
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from d4h_sdk.errors import ConfigurationError, InvalidClaimsError
from d4h_sdk.identity.dcp import Scope, VerifiedClaims
from d4h_sdk.identity.did import build_did_document, parse_did_web
from d4h_sdk.identity.signing import Signer, generate_key
from d4h_sdk.identity.vc import VC_V1_CONTEXT, issue_vc_jwt

__all__ = [
    "DATA_PROTECTION_ROLES",
    "DS4H_CONTEXT",
    "DS4H_SCOPES",
    "EDC_NAMESPACE",
    "EU_EEA_STATUSES",
    "MEMBERSHIP_CREDENTIAL",
    "MEMBERSHIP_STATUSES",
    "ORGANIZATION_CREDENTIAL",
    "ORGANIZATION_OWNERSHIP_TYPES",
    "ORGANIZATION_ROLES",
    "ORGANIZATION_TYPES",
    "DataspaceAuthority",
    "OrganizationProfile",
    "merge_trust_lists",
    "policy_claims",
]

EDC_NAMESPACE = "https://w3id.org/edc/v0.0.1/ns/"
"""The namespace of the DS4H policy operands (EDC's)."""

DS4H_CONTEXT: tuple[str | dict[str, str], ...] = (VC_V1_CONTEXT, {"@vocab": EDC_NAMESPACE})
"""The ``@context`` of the authority's credentials: VC 1.1 plus the EDC namespace as vocabulary."""

MEMBERSHIP_CREDENTIAL = "MembershipCredential"
"""Credential type carrying ``membershipStatus``."""

ORGANIZATION_CREDENTIAL = "OrganizationCredential"
"""Credential type carrying the organisation operands."""

DS4H_SCOPES: tuple[Scope, ...] = (
    Scope.for_type(MEMBERSHIP_CREDENTIAL),
    Scope.for_type(ORGANIZATION_CREDENTIAL),
)
"""The DCP scopes a sandbox provider asks for: both credential types, ``read``."""

MEMBERSHIP_STATUSES: tuple[str, ...] = ("active", "inactive")
"""``membershipStatus``: DS4H uses ``active``; ``inactive`` is the sandbox's value for a lapsed member."""

EU_EEA_STATUSES: tuple[str, ...] = ("eu-member-state", "third-country")
"""``euEeaStatus`` (closed): both values appear in DS4H policies."""

ORGANIZATION_TYPES: tuple[str, ...] = ("research-organization",)
"""``organizationType``: the value DS4H uses (an organisation kind, not a commercial flag); open set."""

ORGANIZATION_OWNERSHIP_TYPES: tuple[str, ...] = ("public", "private")
"""``organizationOwnershipType`` (closed)."""

DATA_PROTECTION_ROLES: tuple[str, ...] = ("controller", "processor")
"""``dataProtectionRole`` (closed): the GDPR roles; DS4H uses ``controller``."""

ORGANIZATION_ROLES: tuple[str, ...] = ("health-data-applicant",)
"""``organizationRoles``: the value seen in DS4H (its value set is disputed there); open set."""

_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_COUNTRY = re.compile(r"[A-Z]{2}")


def _closed(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return str(value)


def _open(name: str, value: object) -> str:
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise ConfigurationError(
            f"{name} must be a lower-case kebab-case token (e.g. 'active'), got {value!r}"
        )
    return value


@dataclass(frozen=True)
class OrganizationProfile:
    """The organisation claims of an ``OrganizationCredential``; defaults describe a DS4H research member.

    Attributes:
        organization_type: ``organizationType`` (DS4H: ``research-organization``).
        jurisdiction_country: ``jurisdictionCountry``, an ISO 3166-1 alpha-2 code (``LU``).
        organization_ownership_type: ``organizationOwnershipType``: ``public`` or ``private``.
        data_protection_role: ``dataProtectionRole``: ``controller`` or ``processor``.
        eu_eea_status: ``euEeaStatus``: ``eu-member-state`` or ``third-country``.
        organization_roles: ``organizationRoles`` (DS4H: ``health-data-applicant``).

    Raises:
        ConfigurationError: A value outside its value set or format.
    """

    organization_type: str = "research-organization"
    jurisdiction_country: str = "LU"
    organization_ownership_type: str = "public"
    data_protection_role: str = "controller"
    eu_eea_status: str = "eu-member-state"
    organization_roles: tuple[str, ...] = ("health-data-applicant",)

    def __post_init__(self) -> None:
        _open("organizationType", self.organization_type)
        if not isinstance(self.jurisdiction_country, str) or not _COUNTRY.fullmatch(
            self.jurisdiction_country
        ):
            raise ConfigurationError(
                f"jurisdictionCountry must be an ISO 3166-1 alpha-2 code such as 'LU', "
                f"got {self.jurisdiction_country!r}"
            )
        _closed("organizationOwnershipType", self.organization_ownership_type, ORGANIZATION_OWNERSHIP_TYPES)
        _closed("dataProtectionRole", self.data_protection_role, DATA_PROTECTION_ROLES)
        _closed("euEeaStatus", self.eu_eea_status, EU_EEA_STATUSES)
        if isinstance(self.organization_roles, str):
            raise ConfigurationError("organization_roles must be a tuple of roles, not one string")
        for role in self.organization_roles:
            _open("organizationRoles", role)

    def claims(self) -> dict[str, Any]:
        """The credential subject claims, keyed by DS4H operand name.

        Returns:
            ``{"organizationType": ..., "jurisdictionCountry": ..., ...}``.
        """
        return {
            "organizationType": self.organization_type,
            "jurisdictionCountry": self.jurisdiction_country,
            "organizationOwnershipType": self.organization_ownership_type,
            "dataProtectionRole": self.data_protection_role,
            "euEeaStatus": self.eu_eea_status,
            "organizationRoles": list(self.organization_roles),
        }


def _iso(epoch: float) -> str:
    moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class DataspaceAuthority:
    """A did:web credential issuer for the sandbox data space.

    The authority holds its own key (a ``local`` :class:`~d4h_sdk.identity.signing.LocalKeySigner`,
    generated unless given); its DID document (:meth:`did_document`) must be served at the did:web URL, which
    :class:`~d4h_sdk.sandbox._participants.ParticipantHost` does.

    Args:
        did: The authority's did:web DID.
        signer: Its signing key; ``key_id`` must be ``<did>#<fragment>``. Default: a new P-256 key
            ``<did>#key-1``.
        credential_lifetime_s: Validity of issued credentials (``expirationDate``), or ``None`` for none.
        clock: Epoch-seconds clock for ``issuanceDate`` / ``expirationDate``.

    Raises:
        ConfigurationError: Not a did:web DID, a key outside the DID, or a non-positive lifetime.
    """

    def __init__(
        self,
        did: str,
        *,
        signer: Signer | None = None,
        credential_lifetime_s: float | None = 365 * 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parse_did_web(did)
        if signer is None:
            signer = generate_key("P-256", key_id=f"{did}#key-1")
        if not signer.key_id.startswith(did + "#"):
            raise ConfigurationError(f"the authority's key id {signer.key_id!r} must be '{did}#<fragment>'")
        if credential_lifetime_s is not None and not credential_lifetime_s > 0:
            raise ConfigurationError(f"credential_lifetime_s must be positive, got {credential_lifetime_s}")
        self.did = did
        self._signer = signer
        self.credential_lifetime_s = credential_lifetime_s
        self._clock = clock

    def __repr__(self) -> str:
        return f"DataspaceAuthority(did={self.did!r}, key_id={self._signer.key_id!r})"

    @property
    def key_id(self) -> str:
        """The DID URL of the signing key."""
        return self._signer.key_id

    def did_document(self) -> dict[str, Any]:
        """The authority's ``did.json`` (its key under every verification relationship).

        Returns:
            The DID document.
        """
        return build_did_document(self.did, keys=[(self._signer.key_id, self._signer.public_jwk())])

    @property
    def credential_types(self) -> tuple[str, ...]:
        """The credential types this authority is trusted for in :meth:`trust_list`."""
        return (MEMBERSHIP_CREDENTIAL, ORGANIZATION_CREDENTIAL)

    def trust_list(self) -> dict[str, frozenset[str]]:
        """A trust list (credential type -> issuer DIDs) naming this authority for its credential types.

        It is the ``trusted_issuers`` of :class:`d4h_sdk.identity.dcp.PresentationVerifier`; combine
        several with :func:`merge_trust_lists`.

        Returns:
            ``{"MembershipCredential": {did}, "OrganizationCredential": {did}}``.
        """
        return {credential_type: frozenset({self.did}) for credential_type in self.credential_types}

    def issue(self, subject_did: str, credential_type: str, claims: Mapping[str, Any]) -> str:
        """Issue a VC 1.1 JWT of any type about a subject.

        Args:
            subject_did: The holder's DID (``credentialSubject.id``).
            credential_type: The type added after ``VerifiableCredential``.
            claims: The subject claims (not ``id``).

        Returns:
            The compact VC JWT.

        Raises:
            ConfigurationError: An empty type or subject, or an ``id`` claim.
            SigningError: The signer failed.
        """
        if not isinstance(subject_did, str) or not subject_did.startswith("did:"):
            raise ConfigurationError(f"subject_did must be a DID, got {subject_did!r}")
        if not isinstance(credential_type, str) or not credential_type or " " in credential_type:
            raise ConfigurationError(f"credential_type must be a type name, got {credential_type!r}")
        if "id" in claims:
            raise ConfigurationError("claims may not contain 'id': the subject is subject_did")
        now = self._clock()
        credential: dict[str, Any] = {
            "@context": [c if isinstance(c, str) else dict(c) for c in DS4H_CONTEXT],
            "id": f"urn:uuid:{uuid.uuid4()}",
            "type": ["VerifiableCredential", credential_type],
            "issuer": self.did,
            "issuanceDate": _iso(now),
            "credentialSubject": {"id": subject_did, **claims},
        }
        if self.credential_lifetime_s is not None:
            credential["expirationDate"] = _iso(now + self.credential_lifetime_s)
        return issue_vc_jwt(self._signer, credential, version="1.1", clock=self._clock)

    def issue_membership(self, subject_did: str, *, status: str = "active") -> str:
        """Issue a ``MembershipCredential`` with ``membershipStatus``.

        Args:
            subject_did: The member's DID.
            status: ``membershipStatus`` (see :data:`MEMBERSHIP_STATUSES`).

        Returns:
            The VC JWT.

        Raises:
            ConfigurationError: An unknown status or a bad subject.
        """
        return self.issue(
            subject_did,
            MEMBERSHIP_CREDENTIAL,
            {"membershipStatus": _closed("membershipStatus", status, MEMBERSHIP_STATUSES)},
        )

    def issue_organization(self, subject_did: str, profile: OrganizationProfile | None = None) -> str:
        """Issue an ``OrganizationCredential`` with the organisation operands.

        Args:
            subject_did: The organisation's DID.
            profile: Its claims; default :class:`OrganizationProfile` (a public research organisation in LU).

        Returns:
            The VC JWT.

        Raises:
            ConfigurationError: A bad subject.
        """
        return self.issue(subject_did, ORGANIZATION_CREDENTIAL, (profile or OrganizationProfile()).claims())


def merge_trust_lists(*lists: Mapping[str, Collection[str]]) -> dict[str, frozenset[str]]:
    """Union of trust lists (credential type -> issuer DIDs).

    Args:
        *lists: Trust lists, e.g. from :meth:`DataspaceAuthority.trust_list`.

    Returns:
        One trust list; a type trusted by several lists gets all their issuers.
    """
    merged: dict[str, set[str]] = {}
    for trust in lists:
        for credential_type, issuers in trust.items():
            merged.setdefault(credential_type, set()).update(issuers)
    return {credential_type: frozenset(issuers) for credential_type, issuers in merged.items()}


def policy_claims(verified: VerifiedClaims) -> dict[str, Any]:
    """Flatten verified credentials into the claims a policy evaluator takes (operand name -> value).

    Every credential subject member except ``id`` becomes a claim (``membershipStatus``,
    ``organizationType``, ...).

    Args:
        verified: What :func:`verify_request` returned.

    Returns:
        The claims.

    Raises:
        InvalidClaimsError: Two credentials give different values for the same claim.
    """
    claims: dict[str, Any] = {}
    for credential in verified.credentials:
        subject = credential.credential.get("credentialSubject")
        subjects = subject if isinstance(subject, list) else [subject]
        for entry in subjects:
            if not isinstance(entry, Mapping):
                continue
            for key, value in entry.items():
                if key == "id":
                    continue
                if key in claims and claims[key] != value:
                    raise InvalidClaimsError(
                        f"the presented credentials disagree on {key!r}; refusing ambiguous claims"
                    )
                claims[key] = value
    return claims
