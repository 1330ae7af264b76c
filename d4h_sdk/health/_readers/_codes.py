"""FHIR code-system URIs and their HealthDCAT-AP R8 ``coding-system`` NAL codes."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "ATC",
    "CODING_SYSTEM_BASE",
    "ICD10",
    "LOINC",
    "SNOMED",
    "SYSTEM_TO_CODING_SYSTEM",
    "coding_system_of",
]

ICD10 = "http://hl7.org/fhir/sid/icd-10"
"""The FHIR system URI of WHO ICD-10."""
SNOMED = "http://snomed.info/sct"
"""The FHIR system URI of SNOMED CT."""
LOINC = "http://loinc.org"
"""The FHIR system URI of LOINC."""
ATC = "http://www.whocc.no/atc"
"""The FHIR system URI of the WHO ATC classification."""

CODING_SYSTEM_BASE = "https://hdeu-dcat.data.health.europa.eu/resource/authority/coding-system/"
"""The R8 host of the HealthDCAT-AP coding-system vocabulary."""

SYSTEM_TO_CODING_SYSTEM: Mapping[str, str] = {
    ICD10: "ICD-10",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-NAT",
    "http://fhir.de/CodeSystem/bfarm/icd-10-gm": "ICD-10-NAT",
    "http://hl7.org/fhir/sid/icd-9-cm": "ICD-9-CM",
    "http://id.who.int/icd/release/11/mms": "ICD-11",
    "http://terminology.hl7.org/CodeSystem/icd-o-3": "ICD-O",
    SNOMED: "SNOMED-CT",
    LOINC: "LOINC",
    ATC: "ATC",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RXNORM",
    "http://unitsofmeasure.org": "UCUM",
    "http://www.orpha.net": "ORPHACODE",
}
"""FHIR ``Coding.system`` URI -> HealthDCAT-AP coding-system code (the last path segment of the NAL IRI)."""


def coding_system_of(system: str | None) -> str | None:
    """Return the HealthDCAT-AP coding-system code of a FHIR system URI, or ``None`` if it is not known.

    Args:
        system: A ``Coding.system`` URI (a trailing slash is ignored).

    Returns:
        For instance ``"ICD-10"`` for ``http://hl7.org/fhir/sid/icd-10``.
    """
    if not system:
        return None
    return SYSTEM_TO_CODING_SYSTEM.get(system.rstrip("/"))
