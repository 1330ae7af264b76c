"""Vocabulary tables shared by the codecs: namespaces, the canonical terms and how their values look.

The canonical in-memory form of every message is the DSP 2025-1 compact form (plain terms, ``dct:`` /
``dcat:`` prefixes for descriptive properties). These tables say, per canonical term, which IRI it stands
for and what kind of value it carries, so that the 2024-1 codec and the JSON-LD fallback can map to and
from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "CONTEXT_2024_1",
    "CONTEXT_2025_1",
    "DCAT",
    "DCT",
    "DSPACE_NAMESPACES",
    "EDC",
    "EDC_DSPACE_CONTEXT",
    "EDC_MANAGEMENT_V1",
    "EDC_MANAGEMENT_V2",
    "ODRL",
    "ODRL_VALUE_TERMS",
    "PREFIXES_2024_1",
    "PREFIXES_2025_1",
    "TERM_KINDS",
    "TYPE_TERMS",
    "XSD",
    "iri_to_term",
    "vocab_literal",
    "vocab_value",
]

CONTEXT_2024_1 = "https://w3id.org/dspace/2024/1/context.json"
CONTEXT_2025_1 = "https://w3id.org/dspace/2025/1/context.jsonld"
EDC_DSPACE_CONTEXT = "https://w3id.org/edc/dspace/v0.0.1"
EDC_MANAGEMENT_V1 = "https://w3id.org/edc/connector/management/v0.0.1"
EDC_MANAGEMENT_V2 = "https://w3id.org/edc/connector/management/v2"

DSPACE_2025 = "https://w3id.org/dspace/2025/1/"
DSPACE_2024 = "https://w3id.org/dspace/2024/1/"
DSPACE_08 = "https://w3id.org/dspace/v0.8/"
DSPACE_NAMESPACES = (DSPACE_2025, DSPACE_2024, DSPACE_08)
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
ODRL = "http://www.w3.org/ns/odrl/2/"
XSD = "http://www.w3.org/2001/XMLSchema#"
EDC = "https://w3id.org/edc/v0.0.1/ns/"
DID = "https://www.w3.org/ns/did#"

PREFIXES_2025_1: Mapping[str, str] = MappingProxyType(
    {"xsd": XSD, "dct": DCT, "dcat": DCAT, "odrl": ODRL, "dspace": DSPACE_2025}
)
"""Prefixes the 2025-1 context defines (used to compact IRIs the models do not name)."""

PREFIXES_2024_1: Mapping[str, str] = MappingProxyType(
    {
        "odrl": ODRL,
        "xsd": XSD,
        "cred": "https://www.w3.org/2018/credentials#",
        "sec": "https://w3id.org/security#",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "cc": "http://creativecommons.org/ns#",
        "dct": DCT,
        "dcat": DCAT,
        "dspace": DSPACE_2024,
    }
)
"""Prefixes the 2024-1 context defines."""

# Value kinds of canonical terms:
#   node   one nested node            nodes  a set of nested nodes         ref    an IRI reference or a node
#   id     an IRI (kept as is)        vocab  an IRI written as a term      literal a plain value
#   literals  a set of plain values   lang   language-tagged strings       any    a value kept in JSON-LD form
_DSPACE_TERMS = {
    "consumerPid": "id",
    "providerPid": "id",
    "participantId": "id",
    "agreementId": "id",
    "callbackAddress": "literal",
    "offer": "node",
    "agreement": "node",
    "dataAddress": "node",
    "eventType": "vocab",
    "state": "vocab",
    "code": "literal",
    "reason": "literals",
    "endpointType": "vocab",
    "endpoint": "literal",
    "endpointProperties": "nodes",
    "name": "literal",
    "value": "literal",
    "filter": "values",
    "timestamp": "literal",
}
_ODRL_TERMS = {
    "hasPolicy": "nodes",
    "permission": "nodes",
    "prohibition": "nodes",
    "obligation": "nodes",
    "duty": "nodes",
    "constraint": "nodes",
    "and": "nodes",
    "or": "nodes",
    "xone": "nodes",
    "andSequence": "nodes",
    "action": "vocab",
    "leftOperand": "vocab",
    "operator": "vocab",
    "rightOperand": "any",
    "target": "id",
    "assigner": "id",
    "assignee": "id",
    "profile": "id",
}
_DCAT_TERMS = {
    "dataset": "nodes",
    "service": "nodes",
    "catalog": "nodes",
    "distribution": "nodes",
    "accessService": "ref",
    "endpointURL": "literal",
    "endpointDescription": "literal",
}
_DESCRIPTIVE = {
    "dct:title": "lang",
    "dct:description": "lang",
    "dcat:keyword": "literals",
    "dcat:theme": "literals",
    "dct:publisher": "literal",
    "dct:issued": "literal",
    "dct:modified": "literal",
    "dct:spatial": "literals",
    "dct:conformsTo": "literals",
}

TERM_KINDS: Mapping[str, str] = MappingProxyType(
    {
        **_DSPACE_TERMS,
        **_ODRL_TERMS,
        **_DCAT_TERMS,
        **_DESCRIPTIVE,
        "format": "vocab",
        "serviceEndpoint": "id",
    }
)
"""Canonical term -> kind of value."""

_IRI_TERMS: dict[str, str] = {}
for _ns in DSPACE_NAMESPACES:
    _IRI_TERMS.update({_ns + term: term for term in _DSPACE_TERMS})
    _IRI_TERMS[_ns + "dataset"] = "dataset"  # DatasetRequestMessage.dataset (an id, see DATASET_REQUEST)
    _IRI_TERMS[_ns + "catalog"] = "catalog"  # 2024-1 nested catalogs
_IRI_TERMS.update({ODRL + term: term for term in _ODRL_TERMS})
_IRI_TERMS.update({DCAT + term: term for term in _DCAT_TERMS})
_IRI_TERMS.update({DCT + "format": "format", DID + "serviceEndpoint": "serviceEndpoint"})
_IRI_TERMS.update({DCT + key[4:]: key for key in _DESCRIPTIVE if key.startswith("dct:")})
_IRI_TERMS.update({DCAT + key[5:]: key for key in _DESCRIPTIVE if key.startswith("dcat:")})
_IRI_TO_TERM: Mapping[str, str] = MappingProxyType(_IRI_TERMS)

_TYPE_NAMES = {
    DCAT: ("Catalog", "Dataset", "DataService", "Distribution"),
    ODRL: (
        "Offer",
        "Agreement",
        "Set",
        "Policy",
        "Permission",
        "Prohibition",
        "Duty",
        "Constraint",
        "LogicalConstraint",
    ),
}
_DSPACE_TYPES = (
    "CatalogRequestMessage",
    "DatasetRequestMessage",
    "CatalogError",
    "ContractRequestMessage",
    "ContractOfferMessage",
    "ContractAgreementMessage",
    "ContractAgreementVerificationMessage",
    "ContractNegotiationEventMessage",
    "ContractNegotiationTerminationMessage",
    "ContractNegotiation",
    "ContractNegotiationError",
    "TransferRequestMessage",
    "TransferStartMessage",
    "TransferCompletionMessage",
    "TransferTerminationMessage",
    "TransferSuspensionMessage",
    "TransferError",
    "DataAddress",
    "EndpointProperty",
    "TransferProcess",
    "VersionsError",
    "CatalogService",
    "DataService",
)
_TYPES: dict[str, str] = {}
for _ns, _names in _TYPE_NAMES.items():
    _TYPES.update({_ns + name: name for name in _names})
for _ns in DSPACE_NAMESPACES:
    _TYPES.update({_ns + name: name for name in _DSPACE_TYPES})
TYPE_TERMS: Mapping[str, str] = MappingProxyType(_TYPES)
"""Type IRI -> canonical type term (any DSP namespace version)."""

_STATE_VALUES = (
    "REQUESTED",
    "OFFERED",
    "ACCEPTED",
    "AGREED",
    "VERIFIED",
    "FINALIZED",
    "TERMINATED",
    "STARTED",
    "SUSPENDED",
    "COMPLETED",
)
ODRL_VALUE_TERMS: frozenset[str] = frozenset(
    {
        "use",
        "eq",
        "gt",
        "gteq",
        "lt",
        "lteq",
        "neq",
        "isA",
        "hasPart",
        "isPartOf",
        "isAllOf",
        "isAnyOf",
        "isNoneOf",
        "Offer",
        "Agreement",
        "Set",
        "Policy",
        "Permission",
        "Prohibition",
        "Duty",
        "Constraint",
    }
)
"""ODRL terms the 2025-1 ODRL profile defines: written bare in 2025-1, ``odrl:``-prefixed in 2024-1."""

_VOCAB: dict[str, str] = {ODRL + term: term for term in ODRL_VALUE_TERMS}
for _ns in DSPACE_NAMESPACES:
    _VOCAB.update({_ns + value: value for value in _STATE_VALUES})
_VOCAB_VALUES: Mapping[str, str] = MappingProxyType(_VOCAB)
STATE_VALUES = frozenset(_STATE_VALUES)


def iri_to_term(iri: str) -> str | None:
    """Return the canonical property term for a property IRI, or ``None`` if the models do not name it."""
    return _IRI_TO_TERM.get(iri)


def vocab_value(iri: str, prefixes: Mapping[str, str]) -> str:
    """Write an IRI value of a ``@vocab``-typed property the way the canonical form does."""
    term = _VOCAB_VALUES.get(iri)
    if term is not None:
        return term
    if prefixes is PREFIXES_2025_1 and iri.startswith((DCAT, DSPACE_2025)):
        type_term = TYPE_TERMS.get(iri)  # the 2025-1 context defines its type names as terms
        if type_term is not None:
            return type_term
    return compact_iri(iri, prefixes)


def vocab_literal(term: str, value: str) -> str:
    """Normalise a prefixed state/ODRL value written as a plain literal (2024-1 ``"dspace:ACCEPTED"``)."""
    prefix, _, name = value.partition(":")
    if prefix == "dspace" and term in ("state", "eventType") and name in STATE_VALUES:
        return name
    if prefix == "odrl" and name in ODRL_VALUE_TERMS:
        return name
    return value


def compact_iri(iri: str, prefixes: Mapping[str, str]) -> str:
    """Compact ``iri`` with the first matching prefix (``dct:title``); return it unchanged otherwise."""
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri
