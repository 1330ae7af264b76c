"""Builders of unsigned Gaia-X credentials for Tagus (VC 1.1 JSON-LD) and Loire (VC 2.0).

Every builder returns a fresh ``dict`` ready to sign (:func:`~d4h_sdk.identity.gaiax.sign_tagus`,
:func:`~d4h_sdk.identity.gaiax.sign_loire`). Inputs the trust framework constrains (ISO 3166-2 codes,
data-account-export methods, data-protection regimes, registration numbers) are checked here, so a mistake
surfaces before the clearing house rejects the presentation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.gaiax._release import (
    LOIRE_TERMS_AND_CONDITIONS_HASH,
    TAGUS_PARTICIPANT_CONTEXT,
    TAGUS_TERMS_AND_CONDITIONS,
    VC_V1_CONTEXT,
    GaiaXRelease,
)

__all__ = [
    "DATA_PROTECTION_REGIMES",
    "DataAccountExport",
    "RegistrationNumberKind",
    "TermsReference",
    "data_resource",
    "legal_participant",
    "legal_registration_number",
    "registration_number_request",
    "service_offering",
    "tagus_presentation",
    "terms_and_conditions",
]

RegistrationNumberKind = Literal["vatID", "leiCode", "EORI", "EUID", "taxID"]
"""The registration-number kinds of the trust framework (the Tagus ``gx:`` property names)."""

DATA_PROTECTION_REGIMES = frozenset({"GDPR2016", "LGPD2019", "PDPA2012", "CCPA2018", "VCDPA2021"})
"""Values the trust framework accepts for ``gx:dataProtectionRegime``."""

_REQUEST_TYPES = ("API", "email", "webform", "unregisteredLetter", "registeredLetter", "supportCenter")
_ACCESS_TYPES = ("digital", "physical")
_MEDIA_TYPE = re.compile(r"^\w+/[-+.\w]+$", re.IGNORECASE)
_SUBDIVISION = re.compile(r"^[a-zA-Z]{2}-(?:[a-zA-Z]{1,3}|[0-9]{1,3})$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_SCHEMA_CONTEXT = {"schema": "https://schema.org/"}
# Loire: (credential type, property holding the number) per kind.
_LOIRE_NUMBER = {
    "vatID": ("gx:VatID", "gx:vatID"),
    "leiCode": ("gx:LeiCode", "schema:leiCode"),
    "EORI": ("gx:EORI", "gx:eori"),
    "EUID": ("gx:EUID", "gx:euid"),
    "taxID": ("gx:TaxID", "schema:taxID"),
}


@dataclass(frozen=True)
class DataAccountExport:
    """How a user exports their data out of a service (``gx:dataAccountExport``).

    Attributes:
        request_type: ``API``, ``email``, ``webform``, ``unregisteredLetter``, ``registeredLetter`` or
            ``supportCenter``.
        access_type: ``digital`` or ``physical``.
        format_type: An IANA media type, for example ``application/fhir+json``.

    Raises:
        ConfigurationError: A value outside the trust framework's lists, or a malformed media type.
    """

    request_type: str
    access_type: str
    format_type: str

    def __post_init__(self) -> None:
        if self.request_type not in _REQUEST_TYPES:
            raise ConfigurationError(
                f"request_type must be one of {_REQUEST_TYPES}, got {self.request_type!r}"
            )
        if self.access_type not in _ACCESS_TYPES:
            raise ConfigurationError(f"access_type must be one of {_ACCESS_TYPES}, got {self.access_type!r}")
        if not _MEDIA_TYPE.match(self.format_type):
            raise ConfigurationError(
                f"format_type must be a media type like 'text/csv', got {self.format_type!r}"
            )


@dataclass(frozen=True)
class TermsReference:
    """A service's terms and conditions document: where it is and the SHA-256 of its content.

    Attributes:
        url: A resolvable link to the document.
        hash: The lowercase hex SHA-256 of the document.

    Raises:
        ConfigurationError: An empty URL or a hash that is not 64 lowercase hex digits.
    """

    url: str
    hash: str

    def __post_init__(self) -> None:
        if not self.url:
            raise ConfigurationError("the terms and conditions URL must not be empty")
        if not _SHA256_HEX.match(self.hash):
            raise ConfigurationError(
                "the terms and conditions hash must be 64 lowercase hex digits (SHA-256)"
            )

    @classmethod
    def of_document(cls, url: str, content: bytes) -> TermsReference:
        """Reference a document whose bytes you have, hashing them.

        Args:
            url: Where the document is published.
            content: The exact bytes served at ``url``.

        Returns:
            The reference with the SHA-256 of ``content``.
        """
        return cls(url=url, hash=hashlib.sha256(content).hexdigest())


def legal_participant(
    release: GaiaXRelease | str,
    *,
    issuer: str,
    vc_id: str,
    legal_name: str,
    registration_number_id: str,
    headquarter_subdivision: str,
    legal_subdivision: str | None = None,
    subject_id: str | None = None,
    parent_organizations: Sequence[str] = (),
    sub_organizations: Sequence[str] = (),
    issued_at: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a participant credential: ``gx:LegalParticipant`` (Tagus) or ``gx:LegalPerson`` (Loire).

    Args:
        release: The trust-framework release.
        issuer: The participant's DID (participants describe themselves).
        vc_id: The credential id (a resolvable URL in production).
        legal_name: The registered legal name.
        registration_number_id: The id of the notary-issued registration-number credential subject.
        headquarter_subdivision: ISO 3166-2 code of the headquarters, for example ``LU-LU``.
        legal_subdivision: ISO 3166-2 code of the legal address (default: the headquarters').
        subject_id: The credential subject id (default ``<vc_id>#cs``).
        parent_organizations: Subject ids of parent organisations.
        sub_organizations: Subject ids of sub-organisations.
        issued_at: Issuance time (default now, UTC).
        valid_until: Optional expiry.
        extra: More subject properties, merged last.

    Returns:
        The unsigned credential.

    Raises:
        ConfigurationError: A missing value or a malformed ISO 3166-2 code.
    """
    rel = GaiaXRelease(release)
    _require(legal_name=legal_name, registration_number_id=registration_number_id)
    legal = legal_subdivision or headquarter_subdivision
    if rel is GaiaXRelease.TAGUS:
        subject: dict[str, Any] = {
            "type": "gx:LegalParticipant",
            "gx:legalName": legal_name,
            "gx:legalRegistrationNumber": {"id": registration_number_id},
            "gx:headquarterAddress": _address(rel, headquarter_subdivision),
            "gx:legalAddress": _address(rel, legal),
        }
        _add_refs(subject, "gx:parentOrganization", parent_organizations)
        _add_refs(subject, "gx:subOrganization", sub_organizations)
    else:
        subject = {
            "type": "gx:LegalPerson",
            "schema:name": legal_name,
            "gx:registrationNumber": {"id": registration_number_id},
            "gx:headquartersAddress": _address(rel, headquarter_subdivision),
            "gx:legalAddress": _address(rel, legal),
        }
        _add_refs(subject, "gx:parentOrganizationOf", parent_organizations)
        _add_refs(subject, "gx:subOrganisationOf", sub_organizations)
    return _credential(
        rel, "gx:LegalPerson", issuer, vc_id, subject_id, subject, issued_at, valid_until, extra
    )


def legal_registration_number(
    release: GaiaXRelease | str,
    *,
    issuer: str,
    vc_id: str,
    kind: RegistrationNumberKind,
    number: str,
    subject_id: str | None = None,
    country_code: str | None = None,
    issued_at: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a registration-number credential, as a notary issues it.

    In production a GXDCH notary checks the number against its registry and issues this credential
    (:class:`~d4h_sdk.identity.gaiax.NotaryClient`); build it yourself only for tests and local data spaces.

    Args:
        release: The trust-framework release.
        issuer: The notary's DID.
        vc_id: The credential id.
        kind: ``vatID``, ``leiCode``, ``EORI``, ``EUID`` or ``taxID``.
        number: The registration number.
        subject_id: The credential subject id (default ``<vc_id>#cs``); the participant points at it.
        country_code: Loire: ISO 3166-1 alpha-2 country of a VAT id or LEI code (``gx:countryCode``).
        issued_at: Issuance time (default now, UTC).
        valid_until: Optional expiry.
        extra: More subject properties, merged last.

    Returns:
        The unsigned credential.

    Raises:
        ConfigurationError: Unknown kind or a number shorter than 3 characters.
    """
    rel = GaiaXRelease(release)
    _check_number(kind, number)
    if rel is GaiaXRelease.TAGUS:
        subject: dict[str, Any] = {"type": "gx:legalRegistrationNumber", f"gx:{kind}": number}
        vc_type = "gx:legalRegistrationNumber"
    else:
        vc_type, prop = _LOIRE_NUMBER[kind]
        subject = {"type": vc_type, prop: number}
        if country_code is not None and kind in ("vatID", "leiCode"):
            subject["gx:countryCode"] = country_code.upper()
    return _credential(rel, vc_type, issuer, vc_id, subject_id, subject, issued_at, valid_until, extra)


def registration_number_request(subject_id: str, kind: RegistrationNumberKind, number: str) -> dict[str, Any]:
    """Build the body a Tagus notary expects (``POST /registrationNumberVC``).

    Args:
        subject_id: The id the issued credential subject gets.
        kind: ``vatID``, ``leiCode``, ``EORI``, ``EUID`` or ``taxID``.
        number: The registration number.

    Returns:
        ``{"@context", "type": "gx:legalRegistrationNumber", "id", "gx:<kind>": number}``.

    Raises:
        ConfigurationError: Unknown kind or a number shorter than 3 characters.
    """
    _check_number(kind, number)
    _require(subject_id=subject_id)
    return {
        "@context": [TAGUS_PARTICIPANT_CONTEXT],
        "type": "gx:legalRegistrationNumber",
        "id": subject_id,
        f"gx:{kind}": number,
    }


def terms_and_conditions(
    release: GaiaXRelease | str,
    *,
    issuer: str,
    vc_id: str,
    subject_id: str | None = None,
    value: str | None = None,
    issued_at: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
) -> dict[str, Any]:
    """Build the participant's acceptance of the Gaia-X terms and conditions.

    Tagus: a ``gx:GaiaXTermsAndConditions`` subject with the full text in ``gx:termsAndConditions``.
    Loire: a ``gx:Issuer`` credential with the SHA-256 of the terms in ``gx:gaiaxTermsAndConditions``.

    Args:
        release: The trust-framework release.
        issuer: The participant's DID.
        vc_id: The credential id.
        subject_id: The credential subject id (default ``<vc_id>#cs``).
        value: Override the text (Tagus) or hash (Loire) if Gaia-X publishes a new one.
        issued_at: Issuance time (default now, UTC).
        valid_until: Optional expiry.

    Returns:
        The unsigned credential.
    """
    rel = GaiaXRelease(release)
    if rel is GaiaXRelease.TAGUS:
        subject = {
            "type": "gx:GaiaXTermsAndConditions",
            "gx:termsAndConditions": value or TAGUS_TERMS_AND_CONDITIONS,
        }
        vc_type = "gx:GaiaXTermsAndConditions"
    else:
        vc_type = "gx:Issuer"
        subject = {"type": vc_type, "gx:gaiaxTermsAndConditions": value or LOIRE_TERMS_AND_CONDITIONS_HASH}
    return _credential(rel, vc_type, issuer, vc_id, subject_id, subject, issued_at, valid_until, None)


def service_offering(
    release: GaiaXRelease | str,
    *,
    issuer: str,
    vc_id: str,
    provided_by: str,
    policy: str | Sequence[str],
    terms: TermsReference | Sequence[TermsReference],
    data_account_export: DataAccountExport | Sequence[DataAccountExport],
    aggregation_of: Sequence[str] = (),
    data_protection_regime: Sequence[str] = (),
    name: str | None = None,
    description: str | None = None,
    policy_language: str = "ODRL",
    subject_id: str | None = None,
    issued_at: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a ``gx:ServiceOffering`` credential.

    Args:
        release: The trust-framework release.
        issuer: The provider's DID.
        vc_id: The credential id.
        provided_by: The subject id of the provider's participant credential.
        policy: Access/usage policies as text (an ODRL document, a Rego rule, a URL).
        terms: The service's terms and conditions document(s).
        data_account_export: How users export their data.
        aggregation_of: Subject ids of the resources (``gx:DataResource``) the service offers.
        data_protection_regime: Values of :data:`DATA_PROTECTION_REGIMES`.
        name: A human-readable name.
        description: A description.
        policy_language: Loire: the language of ``policy`` (``gx:policyLanguage``).
        subject_id: The credential subject id (default ``<vc_id>#cs``).
        issued_at: Issuance time (default now, UTC).
        valid_until: Optional expiry.
        extra: More subject properties, merged last.

    Returns:
        The unsigned credential.

    Raises:
        ConfigurationError: No policy, terms or export method, or an unknown data-protection regime.
    """
    rel = GaiaXRelease(release)
    policies = _strings("policy", policy)
    all_terms = [terms] if isinstance(terms, TermsReference) else list(terms)
    exports = (
        [data_account_export]
        if isinstance(data_account_export, DataAccountExport)
        else list(data_account_export)
    )
    _require(provided_by=provided_by, terms=all_terms, data_account_export=exports)
    unknown = sorted(set(data_protection_regime) - DATA_PROTECTION_REGIMES)
    if unknown:
        raise ConfigurationError(
            f"unknown data protection regimes {unknown}; use {sorted(DATA_PROTECTION_REGIMES)}"
        )
    subject: dict[str, Any] = {"type": "gx:ServiceOffering", "gx:providedBy": {"id": provided_by}}
    if rel is GaiaXRelease.TAGUS:
        subject["gx:policy"] = _one_or_many(policies)
        subject["gx:termsAndConditions"] = _one_or_many(
            [{"gx:URL": t.url, "gx:hash": t.hash} for t in all_terms]
        )
        subject["gx:dataAccountExport"] = _one_or_many([_export(rel, e) for e in exports])
        _add_refs(subject, "gx:aggregationOf", aggregation_of)
    else:
        subject["gx:serviceOfferingTermsAndConditions"] = [
            {"type": "gx:TermsAndConditions", "gx:url": t.url, "gx:hash": t.hash} for t in all_terms
        ]
        subject["gx:servicePolicy"] = [
            {"type": "gx:AccessUsagePolicy", "gx:policyLanguage": policy_language, "gx:policyDocument": p}
            for p in policies
        ]
        subject["gx:dataAccountExport"] = [_export(rel, e) for e in exports]
        _add_refs(subject, "gx:aggregationOfResources", aggregation_of)
    if data_protection_regime:
        subject["gx:dataProtectionRegime"] = list(data_protection_regime)
    _add_names(rel, subject, name, description)
    return _credential(
        rel, "gx:ServiceOffering", issuer, vc_id, subject_id, subject, issued_at, valid_until, extra
    )


def data_resource(
    release: GaiaXRelease | str,
    *,
    issuer: str,
    vc_id: str,
    produced_by: str,
    exposed_through: str | Sequence[str],
    copyright_owned_by: str | Sequence[str],
    license: str | Sequence[str],
    contains_pii: bool,
    policy: str | Sequence[str],
    name: str | None = None,
    description: str | None = None,
    subject_id: str | None = None,
    issued_at: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a ``gx:DataResource`` credential (a dataset exposed through a service offering).

    Args:
        release: The trust-framework release.
        issuer: The provider's DID.
        vc_id: The credential id.
        produced_by: The subject id of the producing participant's credential.
        exposed_through: Subject id(s) of the service offering(s) or data exchange components exposing it.
        copyright_owned_by: Copyright owner(s): free text or participant subject ids.
        license: SPDX identifier(s) or license URL(s).
        contains_pii: Whether the data contains personally identifiable information.
        policy: Access/usage policies as text (``gx:policy`` in Tagus, ``gx:resourcePolicy`` in Loire).
        name: A human-readable name.
        description: A description.
        subject_id: The credential subject id (default ``<vc_id>#cs``).
        issued_at: Issuance time (default now, UTC).
        valid_until: Optional expiry.
        extra: More subject properties, merged last.

    Returns:
        The unsigned credential.

    Raises:
        ConfigurationError: A required value is missing.
    """
    rel = GaiaXRelease(release)
    if not isinstance(contains_pii, bool):
        raise ConfigurationError("contains_pii must be True or False")
    _require(produced_by=produced_by)
    subject: dict[str, Any] = {
        "type": "gx:DataResource",
        "gx:producedBy": {"id": produced_by},
        "gx:exposedThrough": [{"id": ref} for ref in _strings("exposed_through", exposed_through)],
        "gx:copyrightOwnedBy": _strings("copyright_owned_by", copyright_owned_by),
        "gx:license": _strings("license", license),
        "gx:containsPII": contains_pii,
    }
    policy_key = "gx:policy" if rel is GaiaXRelease.TAGUS else "gx:resourcePolicy"
    subject[policy_key] = _strings("policy", policy)
    _add_names(rel, subject, name, description)
    return _credential(
        rel, "gx:DataResource", issuer, vc_id, subject_id, subject, issued_at, valid_until, extra
    )


def tagus_presentation(
    credentials: Sequence[Mapping[str, Any]], *, vp_id: str | None = None
) -> dict[str, Any]:
    """Wrap signed Tagus credentials into the (unsigned) JSON-LD presentation the compliance service takes.

    Args:
        credentials: Signed credentials: participant, registration number, terms and conditions, and any
            service offerings and resources.
        vp_id: An optional presentation id.

    Returns:
        ``{"@context", "type": "VerifiablePresentation", "verifiableCredential": [...]}``.

    Raises:
        ConfigurationError: No credentials.
    """
    if not credentials:
        raise ConfigurationError("a presentation needs at least one credential")
    vp: dict[str, Any] = {"@context": VC_V1_CONTEXT, "type": "VerifiablePresentation"}
    if vp_id:
        vp["id"] = vp_id
    vp["verifiableCredential"] = [dict(c) for c in credentials]
    return vp


# -- helpers ------------------------------------------------------------------------------------------------


def _credential(
    rel: GaiaXRelease,
    loire_type: str,
    issuer: str,
    vc_id: str,
    subject_id: str | None,
    subject: dict[str, Any],
    issued_at: dt.datetime | None,
    valid_until: dt.datetime | None,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    _require(issuer=issuer, vc_id=vc_id)
    body = {"id": subject_id or f"{vc_id}#cs", **subject, **(extra or {})}
    issued = _timestamp(issued_at or dt.datetime.now(dt.timezone.utc))
    contexts: list[Any] = list(rel.contexts)
    if rel is GaiaXRelease.TAGUS:
        vc: dict[str, Any] = {"@context": contexts, "type": ["VerifiableCredential"], "id": vc_id}
        vc.update({"issuer": issuer, "issuanceDate": issued})
        if valid_until is not None:
            vc["expirationDate"] = _timestamp(valid_until)
    else:
        if any(key.startswith("schema:") for key in body):
            contexts.append(dict(_SCHEMA_CONTEXT))
        vc = {"@context": contexts, "type": ["VerifiableCredential", loire_type], "id": vc_id}
        vc.update({"issuer": issuer, "validFrom": issued})
        if valid_until is not None:
            vc["validUntil"] = _timestamp(valid_until)
    vc["credentialSubject"] = body
    return vc


def _timestamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ConfigurationError("timestamps must be timezone-aware (use datetime.now(timezone.utc))")
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _address(rel: GaiaXRelease, code: str) -> dict[str, Any]:
    if not isinstance(code, str) or not _SUBDIVISION.match(code):
        raise ConfigurationError(f"{code!r} is not an ISO 3166-2 subdivision code like 'LU-LU' or 'DE-BE'")
    if rel is GaiaXRelease.TAGUS:
        return {"gx:countrySubdivisionCode": code}
    return {"type": "gx:Address", "gx:countryCode": code[:2].upper(), "gx:countrySubdivisionCode": code}


def _export(rel: GaiaXRelease, export: DataAccountExport) -> dict[str, Any]:
    body = {
        "gx:requestType": export.request_type,
        "gx:accessType": export.access_type,
        "gx:formatType": export.format_type,
    }
    return body if rel is GaiaXRelease.TAGUS else {"type": "gx:DataAccountExport", **body}


def _add_refs(subject: dict[str, Any], key: str, refs: Sequence[str]) -> None:
    if isinstance(refs, str):
        refs = [refs]
    if refs:
        subject[key] = [{"id": ref} for ref in refs]


def _add_names(rel: GaiaXRelease, subject: dict[str, Any], name: str | None, description: str | None) -> None:
    prefix = "gx" if rel is GaiaXRelease.TAGUS else "schema"
    if name:
        subject[f"{prefix}:name"] = name
    if description:
        subject[f"{prefix}:description"] = description


def _strings(field: str, value: str | Sequence[str]) -> list[str]:
    values = [value] if isinstance(value, str) else list(value)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise ConfigurationError(f"{field} needs at least one non-empty string")
    return values


def _one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _check_number(kind: str, number: str) -> None:
    if kind not in _LOIRE_NUMBER:
        raise ConfigurationError(
            f"unknown registration number kind {kind!r}; use one of {sorted(_LOIRE_NUMBER)}"
        )
    if not isinstance(number, str) or len(number.strip()) < 3:
        raise ConfigurationError("a registration number has at least 3 characters")


def _require(**values: Any) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ConfigurationError(f"missing required value(s): {', '.join(missing)}")
