"""Gaia-X trust-framework credentials for Tagus (22.10) and Loire (24.06), and the clearing-house clients.

* Builders return unsigned credentials: :func:`legal_participant`, :func:`legal_registration_number`,
  :func:`terms_and_conditions`, :func:`service_offering`, :func:`data_resource`; :func:`tagus_presentation`
  wraps signed Tagus credentials for the compliance service.
* Signing: :func:`sign_tagus` (JsonWebSignature2020 Data Integrity proof), :func:`sign_loire` (VC-JOSE compact
  JWS) and :func:`loire_presentation` (VC 2.0 presentation JWS).
* :func:`gx_integrity` and :func:`canonicalize`: the JCS (RFC 8785) SHA-256 digest that compliance
  credentials carry; :func:`check_integrity` re-checks a Tagus compliance credential.
* :class:`ComplianceClient` and :class:`NotaryClient` talk to a Gaia-X Digital Clearing House (GXDCH).
"""

from __future__ import annotations

from d4h_sdk.identity.gaiax._compliance import ComplianceClient, NotaryClient, check_integrity
from d4h_sdk.identity.gaiax._credentials import (
    DATA_PROTECTION_REGIMES,
    DataAccountExport,
    RegistrationNumberKind,
    TermsReference,
    data_resource,
    legal_participant,
    legal_registration_number,
    registration_number_request,
    service_offering,
    tagus_presentation,
    terms_and_conditions,
)
from d4h_sdk.identity.gaiax._integrity import INTEGRITY_NORMALIZATION, canonicalize, gx_integrity
from d4h_sdk.identity.gaiax._release import (
    LOIRE_CONTEXT,
    LOIRE_TERMS_AND_CONDITIONS_HASH,
    TAGUS_CONTEXT,
    TAGUS_TERMS_AND_CONDITIONS,
    GaiaXRelease,
    tagus_context_document,
)
from d4h_sdk.identity.gaiax._sign import gaiax_document_loader, loire_presentation, sign_loire, sign_tagus

__all__ = [
    "DATA_PROTECTION_REGIMES",
    "INTEGRITY_NORMALIZATION",
    "LOIRE_CONTEXT",
    "LOIRE_TERMS_AND_CONDITIONS_HASH",
    "TAGUS_CONTEXT",
    "TAGUS_TERMS_AND_CONDITIONS",
    "ComplianceClient",
    "DataAccountExport",
    "GaiaXRelease",
    "NotaryClient",
    "RegistrationNumberKind",
    "TermsReference",
    "canonicalize",
    "check_integrity",
    "data_resource",
    "gaiax_document_loader",
    "gx_integrity",
    "legal_participant",
    "legal_registration_number",
    "loire_presentation",
    "registration_number_request",
    "service_offering",
    "sign_loire",
    "sign_tagus",
    "tagus_context_document",
    "tagus_presentation",
    "terms_and_conditions",
]
