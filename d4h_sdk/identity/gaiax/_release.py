"""Gaia-X trust-framework releases the SDK speaks: Tagus (22.10) and Loire (24.06).

Each release fixes the credential data model, the ``gx`` vocabulary, how a credential is secured and which
clearing-house (GXDCH) endpoints accept it:

=======  ========  ====================================  =====================  ========================
release  VC model  ``gx`` context                        proof                  compliance call
=======  ========  ====================================  =====================  ========================
tagus    VC 1.1    lab registry trust-framework shapes   JsonWebSignature2020   JSON-LD VP
loire    VC 2.0    ``https://w3id.org/gaia-x/2406#``     VC-JOSE (compact JWS)  ``application/vp+jwt``
=======  ========  ====================================  =====================  ========================
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = [
    "GaiaXRelease",
    "LOIRE_CONTEXT",
    "LOIRE_TERMS_AND_CONDITIONS_HASH",
    "TAGUS_CONTEXT",
    "TAGUS_TERMS_AND_CONDITIONS",
    "tagus_context_document",
]

VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
JWS_2020_CONTEXT = "https://w3id.org/security/suites/jws-2020/v1"

TAGUS_CONTEXT = (
    "https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry/v1/shapes/jsonld/trustframework#"
)
"""The Tagus trust-framework context; it also is the ``gx`` namespace of Tagus terms."""

TAGUS_PARTICIPANT_CONTEXT = (
    "https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry/v1/shapes/jsonld/participant"
)
"""The context the Tagus notary expects in a registration-number request."""

LOIRE_CONTEXT = "https://w3id.org/gaia-x/2406#"
"""The Loire (24.06) ``gx`` context and namespace."""

TAGUS_TERMS_AND_CONDITIONS = (
    "The PARTICIPANT signing the Self-Description agrees as follows:\n"
    "- to update its descriptions about any changes, be it technical, organizational, or legal - especially "
    "but not limited to contractual in regards to the indicated attributes present in the descriptions.\n\n"
    "The keypair used to sign Verifiable Credentials will be revoked where Gaia-X Association becomes aware "
    "of any inaccurate statements in regards to the claims which result in a non-compliance with the Trust "
    "Framework and policy rules defined in the Policy Rules and Labelling Document (PRLD)."
)
"""The Gaia-X terms and conditions text a Tagus ``gx:GaiaXTermsAndConditions`` credential must carry verbatim
(the trust-framework shape checks it with ``sh:hasValue``)."""

LOIRE_TERMS_AND_CONDITIONS_HASH = "4bd7554097444c960292b4726c2efa1373485e8a5565d94d41195214c5e0ceb3"
"""The SHA-256 of the Loire Gaia-X terms and conditions that a ``gx:Issuer`` credential declares
(``gx:gaiaxTermsAndConditions``); treat it as configuration published by Gaia-X for the release."""

_PREFIXES = {
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "sh": "http://www.w3.org/ns/shacl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class GaiaXRelease(str, enum.Enum):
    """A Gaia-X trust-framework release.

    ``GaiaXRelease("tagus")`` and ``GaiaXRelease("loire")`` accept the release names users write in
    configuration files.
    """

    TAGUS = "tagus"
    LOIRE = "loire"

    @property
    def version(self) -> str:
        """The trust-framework version: ``22.10`` (Tagus) or ``24.06`` (Loire)."""
        return "22.10" if self is GaiaXRelease.TAGUS else "24.06"

    @property
    def vc_version(self) -> str:
        """The VC data model: ``1.1`` (Tagus) or ``2.0`` (Loire)."""
        return "1.1" if self is GaiaXRelease.TAGUS else "2.0"

    @property
    def gx_context(self) -> str:
        """The ``gx`` context URL a credential of this release lists."""
        return TAGUS_CONTEXT if self is GaiaXRelease.TAGUS else LOIRE_CONTEXT

    @property
    def contexts(self) -> tuple[str, ...]:
        """The ``@context`` of a credential of this release, in order."""
        if self is GaiaXRelease.TAGUS:
            return (VC_V1_CONTEXT, JWS_2020_CONTEXT, TAGUS_CONTEXT)
        return (VC_V2_CONTEXT, LOIRE_CONTEXT)

    @property
    def compliance_media_type(self) -> str:
        """The ``Content-Type`` of a presentation sent to the compliance service."""
        return "application/json" if self is GaiaXRelease.TAGUS else "application/vp+jwt"

    def compliance_path(self, level: str = "standard-compliance") -> str:
        """The compliance endpoint path under a GXDCH compliance base URL.

        Args:
            level: Loire only: the offer asked for (``standard-compliance``, ``label-level-1``, ...).

        Returns:
            ``/api/credential-offers`` (Tagus) or ``/api/credential-offers/<level>`` (Loire).
        """
        if self is GaiaXRelease.TAGUS:
            return "/api/credential-offers"
        return f"/api/credential-offers/{level}"


def tagus_context_document() -> dict[str, Any]:
    """Return the JSON-LD context served for :data:`TAGUS_CONTEXT`, for an offline document loader.

    The lab registry serves the trust-framework shapes at that URL; as a context they contribute only their
    prefix definitions (``gx`` and the RDF, SHACL and XSD prefixes), which this document holds, so Tagus
    credentials expand the same way with no network access.

    Returns:
        A fresh ``{"@context": {...}}`` document.
    """
    return {"@context": {"gx": TAGUS_CONTEXT, **_PREFIXES}}
