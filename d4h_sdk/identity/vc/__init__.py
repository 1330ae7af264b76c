"""Verifiable Credentials: issue and verify credentials and presentations, sign and verify Data Integrity.

* JWT formats: :func:`issue_vc_jwt` / :func:`verify_vc_jwt` and :func:`issue_vp_jwt` /
  :func:`verify_vp_jwt` for VC-DM 1.1 (``vc``/``vp`` claims) and VC-DM 2.0 with VC-JOSE (``vc+jwt``,
  ``vp+jwt``, enveloped ``data:application/vc+jwt,<jwt>`` entries, EDC's double-wrapped
  ``EnvelopedVerifiablePresentation``). Keys come from the issuer's / holder's DID document.
* Data Integrity: :func:`sign_data_integrity` / :func:`verify_data_integrity` for ``eddsa-rdfc-2022``,
  ``eddsa-jcs-2022``, ``Ed25519Signature2020`` and ``JsonWebSignature2020`` (URDNA2015 named explicitly,
  offline context loader, and a check that refuses terms the contexts do not define).
* :func:`canonicalize` and :func:`jcs` expose the two canonicalisations.

pyld and jwcrypto are imported on first use.
"""

from __future__ import annotations

from d4h_sdk.identity.vc._canon import canonicalize, check_terms
from d4h_sdk.identity.vc._di import DataIntegritySuite, sign_data_integrity, verify_data_integrity
from d4h_sdk.identity.vc._issue import (
    PRESENTATION_EXCHANGE_CONTEXT,
    VC_V1_CONTEXT,
    VC_V2_CONTEXT,
    issue_vc_jwt,
    issue_vp_jwt,
)
from d4h_sdk.identity.vc._jcs import jcs
from d4h_sdk.identity.vc._keys import RelationshipPolicy
from d4h_sdk.identity.vc._models import VcVersion, VerifiedCredential, VerifiedPresentation
from d4h_sdk.identity.vc._multibase import did_key_document, multibase_decode, multibase_encode
from d4h_sdk.identity.vc._verify import verify_vc_jwt, verify_vp_jwt

__all__ = [
    "PRESENTATION_EXCHANGE_CONTEXT",
    "VC_V1_CONTEXT",
    "VC_V2_CONTEXT",
    "DataIntegritySuite",
    "RelationshipPolicy",
    "VcVersion",
    "VerifiedCredential",
    "VerifiedPresentation",
    "canonicalize",
    "check_terms",
    "did_key_document",
    "issue_vc_jwt",
    "issue_vp_jwt",
    "jcs",
    "multibase_decode",
    "multibase_encode",
    "sign_data_integrity",
    "verify_data_integrity",
    "verify_vc_jwt",
    "verify_vp_jwt",
]
