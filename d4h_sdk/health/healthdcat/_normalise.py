"""Normalise HealthDCAT-AP descriptions of any release and vocabulary host to the R8 terms.

Handled variants:

* the HealthDCAT-AP namespace spelled with ``https`` or as ``http://healthdcat-ap.eu/ns#`` (a peer's error);
* property local names in another case (``trusteddataholder`` in the R8 example, ``healththeme``);
* controlled-vocabulary IRIs on the R5-R7 development host (``http://13.81.34.152:1101/...``), the acceptance
  host, the CKAN example host or any other host: normalised by their trailing path
  (``healthcategories/EHRS``) to the R8 base;
* Wikidata IRIs used by CKAN for coding systems (those with a counterpart in the R8 NAL);
* DPV-PD 2.x (``https://w3id.org/dpv/pd#``) to the DPV-PD 1.x IRIs the R8 files use;
* ``healthdcatap:qualityAnnotation`` to ``dqv:hasQualityAnnotation``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from d4h_sdk.health.healthdcat._vocab import NAL_BASE, NS

if TYPE_CHECKING:
    import rdflib

__all__ = ["HEALTH_TERMS", "normalise_graph", "normalise_iri", "normalise_predicate"]

HEALTH = NS["healthdcatap"]

HEALTH_NAMESPACES: tuple[str, ...] = (
    HEALTH,
    "https://healthdataportal.eu/ns/health#",
    "http://healthdcat-ap.eu/ns#",
    "https://healthdcat-ap.eu/ns#",
)
"""Namespaces read as the HealthDCAT-AP namespace (the first is the one R8 writes)."""

HEALTH_TERMS: tuple[str, ...] = (
    "analytics",
    "hasCodeValues",
    "hasCodingSystem",
    "hasStructuredData",
    "hasVariables",
    "hdab",
    "hdabCoordinator",
    "healthCategory",
    "healthTheme",
    "maxTypicalAge",
    "minTypicalAge",
    "numberOfRecords",
    "numberOfUniqueIndividuals",
    "populationCoverage",
    "publisherNote",
    "publisherType",
    "retentionPeriod",
    "trustedDataHolder",
)
"""HealthDCAT-AP property local names (R8 plus the pre-R8 terms the reader still accepts)."""

_BY_LOWER: Mapping[str, str] = MappingProxyType({term.lower(): term for term in HEALTH_TERMS})

_PREDICATE_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        HEALTH + "qualityAnnotation": "http://www.w3.org/ns/dqv#hasQualityAnnotation",
    }
)

_NAL_PATH = re.compile(
    r"^https?://[^#]*?/(healthcategories|health-?theme|coding-system|standard|publisher-?type|"
    r"health-activity)/([A-Za-z0-9_.\-]+)/?$",
    re.IGNORECASE,
)
_NAL_FOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "healthcategories": "healthcategories",
        "health-theme": "health-theme",
        "healththeme": "health-theme",
        "coding-system": "coding-system",
        "standard": "standard",
        "publisher-type": "publisher-type",
        "publishertype": "publisher-type",
        "health-activity": "health-activity",
    }
)
_UPPER_FOLDERS = frozenset(
    {"healthcategories", "health-theme", "coding-system", "standard", "health-activity"}
)

WIKIDATA_CODING_SYSTEMS: Mapping[str, str] = MappingProxyType(
    {
        "P494": "ICD-10",
        "P7807": "ICD-11",
        "P1692": "ICD-9-CM",
        "P5806": "SNOMED-CT",
        "P4338": "LOINC",
        "P267": "ATC",
        "P2892": "UMLS",
        "P486": "MESH",
        "P1550": "ORPHACODE",
    }
)
"""Wikidata identifier properties (as CKAN writes coding systems) mapped to R8 coding-system codes.

Wikidata properties without an R8 counterpart (``P4229`` ICD-10-CM, ``P1690`` ICD-10-PCS) are kept as read.
"""

_WIKIDATA = re.compile(
    r"^https?://(?:www\.)?wikidata\.org/(?:entity|wiki|prop/direct|wiki/Property:)/?(P\d+)$"
)
_DPV_PD_2 = "https://w3id.org/dpv/pd#"


def normalise_predicate(iri: str) -> str:
    """Return the R8 spelling of a predicate IRI (HealthDCAT namespace and case variants)."""
    for namespace in HEALTH_NAMESPACES:
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            iri = HEALTH + _BY_LOWER.get(local.lower(), local)
            break
    return _PREDICATE_ALIASES.get(iri, iri)


def normalise_iri(iri: str) -> str:
    """Return the R8 form of a vocabulary value IRI (host, Wikidata and DPV-PD variants); others unchanged."""
    if iri.startswith(_DPV_PD_2):
        return NS["dpvpd"] + iri[len(_DPV_PD_2) :]
    match = _NAL_PATH.match(iri)
    if match is not None:
        folder = _NAL_FOLDERS.get(match.group(1).lower())
        if folder is not None:
            code = match.group(2)
            return f"{NAL_BASE}{folder}/{code.upper() if folder in _UPPER_FOLDERS else code}"
    wikidata = _WIKIDATA.match(iri)
    if wikidata is not None and wikidata.group(1) in WIKIDATA_CODING_SYSTEMS:
        return f"{NAL_BASE}coding-system/{WIKIDATA_CODING_SYSTEMS[wikidata.group(1)]}"
    return iri


def normalise_graph(graph: rdflib.Graph) -> rdflib.Graph:
    """Return a new graph with predicates and IRI objects in their R8 form."""
    import rdflib

    out = rdflib.Graph()
    for subject, predicate, obj in graph:
        new_predicate = rdflib.URIRef(normalise_predicate(str(predicate)))
        if isinstance(obj, rdflib.URIRef):
            obj = rdflib.URIRef(normalise_iri(str(obj)))
        out.add((subject, new_predicate, obj))
    return out
