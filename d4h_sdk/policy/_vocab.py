"""Policy vocabularies: EHDS purposes (Art 53 / Art 54), GA4GH DUO codes and the DS4H left operands.

Sources (see ``docs/guides/purpose-and-policy.md`` for the decisions taken):

* EHDS = Regulation (EU) 2025/327. Art 53(1)(a)-(f) purposes use the IRIs of the DPV extension ``eu-ehds``
  (``https://w3id.org/dpv/legal/eu/ehds#``, DPV 2.3 ``purposes.csv``). DPV defines no prohibited purposes,
  so the five Art 54(a)-(e) purposes get SDK IRIs under :data:`D4H_EHDS`.
* DUO codes: ``http://purl.obolibrary.org/obo/DUO_XXXXXXX`` with their GA4GH abbreviations.
* DS4H operands: the ten left operands of the DS4H EDC policy vocabulary (EDC namespace).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

__all__ = [
    "D4H_EHDS",
    "D4H_ODRL",
    "DUO",
    "EDC",
    "EHDS",
    "ODRL",
    "DataFormat",
    "DataProtectionRole",
    "DuoCode",
    "DuoCodes",
    "EhdsPurposes",
    "EuEeaStatus",
    "MembershipStatus",
    "Operand",
    "Operands",
    "OrganizationOwnershipType",
    "OrganizationType",
    "Purpose",
    "duo",
    "expand_iri",
    "operands",
    "purposes",
]

EHDS = "https://w3id.org/dpv/legal/eu/ehds#"
"""The DPV ``eu-ehds`` namespace (one IRI per Art 53(1) purpose)."""
D4H_EHDS = "urn:d4h:ehds:"
"""The SDK's own namespace for EHDS terms that have no public IRI (the Art 54 prohibited purposes)."""
D4H_ODRL = "urn:d4h:odrl:"
"""The SDK's own namespace for left operands no vocabulary defines (``dataFormat`` and others)."""
EDC = "https://w3id.org/edc/v0.0.1/ns/"
"""The EDC namespace, home of the DS4H left operands."""
ODRL = "http://www.w3.org/ns/odrl/2/"
"""The ODRL 2.2 namespace."""
DUO = "http://purl.obolibrary.org/obo/DUO_"
"""Prefix of GA4GH Data Use Ontology IRIs (``DUO_0000042``)."""

_PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        "eu-ehds": EHDS,
        "edc": EDC,
        "odrl": ODRL,
        "obo": "http://purl.obolibrary.org/obo/",
        "DUO": DUO,
        "d4h": "urn:d4h:",
    }
)


def expand_iri(value: str) -> str:
    """Expand a compact IRI (``eu-ehds:HealthcareScientificResearch``, ``DUO:0000042``) to a full IRI.

    Full IRIs, URNs and unknown prefixes are returned unchanged.
    """
    prefix, sep, local = value.partition(":")
    if sep and not local.startswith("//"):
        namespace = _PREFIXES.get(prefix)
        if namespace is not None:
            return namespace + local
    return value


@dataclass(frozen=True)
class Purpose:
    """A purpose of processing: an EHDS Art 53(1) purpose, an Art 54 prohibited one, or a DUO code.

    Attributes:
        iri: The full IRI (what goes on the wire as ``{"@id": iri}``).
        label: A short English label.
        article: The legal reference, e.g. ``"Art 53(1)(e)(ii)"`` ('' for DUO codes).
        parent: The IRI of the broader purpose, if any (a sub-purpose satisfies its parent).
        public_sector_only: Art 53(2): reserved to public sector bodies and Union institutions.
        prohibited: An Art 54 purpose: never permitted.
    """

    iri: str
    label: str
    article: str = ""
    parent: str | None = None
    public_sector_only: bool = False
    prohibited: bool = False

    def __str__(self) -> str:
        return self.iri


def _ehds(name: str, label: str, letter: str, parent: str | None = None) -> Purpose:
    return Purpose(EHDS + name, label, f"Art 53(1)({letter})", parent, public_sector_only=letter[0] in "abc")


def _art54(name: str, label: str, letter: str) -> Purpose:
    return Purpose(f"{D4H_EHDS}art54:{name}", label, f"Art 54({letter})", prohibited=True)


_PUBLIC_INTEREST = EHDS + "PublicInterestRelatedToHealth"
_RESEARCH = EHDS + "HealthcareScientificResearch"
_ALGORITHMS = EHDS + "TrainTestAndEvaluateHealthAlgorithms"


class EhdsPurposes:
    """The EHDS purposes as typed constants: ``purposes.SCIENTIFIC_RESEARCH``, ``purposes.ADVERTISING``.

    Sub-purposes name their parent (Art 53(1)(a) detail under ``PUBLIC_INTEREST_HEALTH``; (e)(i) and (e)(ii)
    under ``SCIENTIFIC_RESEARCH``; the three algorithm kinds under ``ALGORITHM_TRAINING``). The hierarchy
    follows the article's lettering: DPV 2.3 declares no broader/narrower links between these concepts.
    """

    # Art 53(1)(a): public interest in public or occupational health
    PUBLIC_INTEREST_HEALTH = _ehds("PublicInterestRelatedToHealth", "Public interest related to health", "a")
    CROSS_BORDER_THREATS = _ehds(
        "ProtectAgainstCrossBorderThreatsToHealth",
        "Protect against cross-border threats to health",
        "a",
        _PUBLIC_INTEREST,
    )
    PUBLIC_HEALTH_SURVEILLANCE = _ehds(
        "PublicHealthSurveillance", "Public health surveillance", "a", _PUBLIC_INTEREST
    )
    QUALITY_SAFETY_HEALTHCARE = _ehds(
        "EnsureQualitySafetyHealthcare", "Ensure quality and safety of healthcare", "a", _PUBLIC_INTEREST
    )
    QUALITY_SAFETY_MEDICINAL_PRODUCTS = _ehds(
        "EnsureQualitySafetyMedicinalProducts",
        "Ensure quality and safety of medicinal products",
        "a",
        _PUBLIC_INTEREST,
    )
    QUALITY_SAFETY_MEDICAL_DEVICES = _ehds(
        "EnsureQualitySafetyMedicalDevices",
        "Ensure quality and safety of medical devices",
        "a",
        _PUBLIC_INTEREST,
    )
    # Art 53(1)(b): policy making and regulatory activities
    PUBLIC_POLICY_MAKING = _ehds("PublicPolicyMaking", "Public policy making", "b")
    REGULATORY_ACTIVITIES = _ehds(
        "SupportAuthoritiesRegulatoryActivities", "Support authorities in regulatory activities", "b"
    )
    # Art 53(1)(c): official statistics
    OFFICIAL_STATISTICS = _ehds(
        "ProvideHealthcareOfficialStatistics", "Provide healthcare official statistics", "c"
    )
    # Art 53(1)(d): education or teaching
    EDUCATION = _ehds("ImproveHealthcareEducation", "Improve healthcare education", "d")
    # Art 53(1)(e): scientific research, (e)(i) development and innovation, (e)(ii) algorithms
    SCIENTIFIC_RESEARCH = _ehds("HealthcareScientificResearch", "Healthcare scientific research", "e")
    PRODUCT_DEVELOPMENT = _ehds(
        "DevelopPublicHealthProductsAndServices",
        "Develop public health products and services",
        "e)(i",
        _RESEARCH,
    )
    ALGORITHM_TRAINING = _ehds(
        "TrainTestAndEvaluateHealthAlgorithms",
        "Train, test and evaluate health-related algorithms",
        "e)(ii",
        _RESEARCH,
    )
    AI_TRAINING = _ehds(
        "TrainTestAndEvaluateAISystemsAlgorithms",
        "Train, test and evaluate AI systems algorithms",
        "e)(ii",
        _ALGORITHMS,
    )
    HEALTH_APPS_ALGORITHMS = _ehds(
        "TrainTestAndEvaluateHealthAppsAlgorithms",
        "Train, test and evaluate health apps algorithms",
        "e)(ii",
        _ALGORITHMS,
    )
    MEDICAL_DEVICES_ALGORITHMS = _ehds(
        "TrainTestAndEvaluateMedicalDevicesAlgorithms",
        "Train, test and evaluate medical devices algorithms",
        "e)(ii",
        _ALGORITHMS,
    )
    # Art 53(1)(f): improvement of the delivery of care
    IMPROVE_HEALTHCARE = _ehds("ImproveHealthcare", "Improve healthcare", "f")
    # Art 54: prohibited purposes (SDK IRIs: no official ones exist)
    DETRIMENTAL_DECISIONS = _art54(
        "detrimental-decisions",
        "Decisions detrimental to a person or group (legal, social, economic effects)",
        "a",
    )
    DISCRIMINATORY_DECISIONS = _art54(
        "employment-insurance-credit-decisions",
        "Decisions on job offers, terms for goods or services, insurance or credit; other discrimination",
        "b",
    )
    ADVERTISING = _art54("advertising-marketing", "Advertising or marketing", "c")
    HARMFUL_PRODUCTS = _art54(
        "harmful-products-services",
        "Developing products or services that may harm individuals or society",
        "d",
    )
    ETHICS_CONFLICT = _art54(
        "national-ethics-conflict", "Activities conflicting with national ethical provisions", "e"
    )

    def __init__(self) -> None:
        self._by_iri: Mapping[str, Purpose] = MappingProxyType(
            {p.iri: p for p in vars(EhdsPurposes).values() if isinstance(p, Purpose)}
        )

    def __iter__(self) -> Iterator[Purpose]:
        return iter(self._by_iri.values())

    def __len__(self) -> int:
        return len(self._by_iri)

    @property
    def permitted(self) -> tuple[Purpose, ...]:
        """The Art 53(1) purposes."""
        return tuple(p for p in self if not p.prohibited)

    @property
    def prohibited(self) -> tuple[Purpose, ...]:
        """The Art 54 prohibited purposes."""
        return tuple(p for p in self if p.prohibited)

    def get(self, iri: str) -> Purpose | None:
        """Return the EHDS purpose with this IRI (compact ``eu-ehds:`` forms accepted), or ``None``."""
        return self._by_iri.get(expand_iri(iri))


purposes = EhdsPurposes()
"""The EHDS purposes (``d4h_sdk.policy.purposes.SCIENTIFIC_RESEARCH``)."""


@dataclass(frozen=True)
class DuoCode:
    """A GA4GH Data Use Ontology term.

    Attributes:
        code: The CURIE, e.g. ``"DUO:0000042"``.
        abbreviation: The GA4GH short name, e.g. ``"GRU"``.
        label: The label.
        kind: ``"permission"`` (a data use permission) or ``"modifier"``.
        parent: The IRI of the broader DUO permission, if any (``DS`` -> ``HMB`` -> ``GRU``).
    """

    code: str
    abbreviation: str
    label: str
    kind: str
    parent: str | None = None

    @property
    def iri(self) -> str:
        """The OBO IRI, e.g. ``http://purl.obolibrary.org/obo/DUO_0000042``."""
        return DUO + self.code.partition(":")[2]

    def __str__(self) -> str:
        return self.iri


def _duo(
    num: str, abbreviation: str, label: str, kind: str = "modifier", parent: str | None = None
) -> DuoCode:
    return DuoCode(f"DUO:{num}", abbreviation, label, kind, DUO + parent if parent else None)


class DuoCodes:
    """GA4GH DUO codes as constants: ``duo.GRU``, ``duo.HMB``, ``duo.NCU``..."""

    NRES = _duo("0000004", "NRES", "no restriction", "permission")
    GRU = _duo("0000042", "GRU", "general research use", "permission")
    HMB = _duo("0000006", "HMB", "health or medical or biomedical research", "permission", "0000042")
    DS = _duo("0000007", "DS", "disease specific research", "permission", "0000006")
    POA = _duo("0000011", "POA", "population origins or ancestry research only", "permission", "0000042")
    CC = _duo("0000043", "CC", "clinical care use")
    IRB = _duo("0000021", "IRB", "ethics approval required")
    PUB = _duo("0000019", "PUB", "publication required")
    COL = _duo("0000020", "COL", "collaboration required")
    GS = _duo("0000022", "GS", "geographical restriction")
    TS = _duo("0000025", "TS", "time limit on use")
    US = _duo("0000026", "US", "user specific restriction")
    PS = _duo("0000027", "PS", "project specific restriction")
    IS = _duo("0000028", "IS", "institution specific restriction")
    RTN = _duo("0000029", "RTN", "return to database or resource")
    NPU = _duo("0000045", "NPU", "not-for-profit organisation use only")
    NCU = _duo("0000046", "NCU", "non-commercial use only")
    NPUNCU = _duo("0000018", "NPUNCU", "not-for-profit, non-commercial use only")
    NPOA = _duo("0000044", "NPOA", "population origins or ancestry research prohibited")
    NMDS = _duo("0000015", "NMDS", "no general methods research")
    GSO = _duo("0000016", "GSO", "genetic studies only")
    MOR = _duo("0000024", "MOR", "publication moratorium")
    RS = _duo("0000012", "RS", "research specific restrictions")

    def __init__(self) -> None:
        self._by_iri: Mapping[str, DuoCode] = MappingProxyType(
            {d.iri: d for d in vars(DuoCodes).values() if isinstance(d, DuoCode)}
        )

    def __iter__(self) -> Iterator[DuoCode]:
        return iter(self._by_iri.values())

    def __len__(self) -> int:
        return len(self._by_iri)

    def get(self, iri: str) -> DuoCode | None:
        """Return the DUO code with this IRI (``DUO:0000042``, ``obo:DUO_0000042`` accepted) or ``None``."""
        return self._by_iri.get(expand_iri(iri))


duo = DuoCodes()
"""The GA4GH DUO codes (``d4h_sdk.policy.duo.GRU``)."""


class MembershipStatus(str, Enum):
    """Values of ``membershipStatus`` seen in DS4H."""

    ACTIVE = "active"


class EuEeaStatus(str, Enum):
    """Values of ``euEeaStatus`` seen in DS4H."""

    EU_MEMBER_STATE = "eu-member-state"
    THIRD_COUNTRY = "third-country"


class OrganizationType(str, Enum):
    """Values of ``organizationType`` seen in DS4H (an organisation kind, not a commercial flag)."""

    RESEARCH_ORGANIZATION = "research-organization"


class OrganizationOwnershipType(str, Enum):
    """Values of ``organizationOwnershipType``."""

    PUBLIC = "public"
    PRIVATE = "private"


class DataProtectionRole(str, Enum):
    """Values of ``dataProtectionRole`` (GDPR roles; DS4H uses ``controller``)."""

    CONTROLLER = "controller"
    PROCESSOR = "processor"


class DataFormat(str, Enum):
    """Values of the SDK operand ``dataFormat`` (the access form of EHDS Art 66 / 69)."""

    ANONYMISED = "anonymised"
    PSEUDONYMISED = "pseudonymised"
    STATISTICAL = "statistical"


@dataclass(frozen=True)
class Operand:
    """A left operand the SDK knows.

    Attributes:
        name: The local name (``membershipStatus``), also the key of a requester's claim.
        iri: The full IRI (written as ``leftOperand``).
        values: The known right-operand values ('' entries never; empty when the value set is open).
        closed: Whether a value outside ``values`` is an error (booleans) rather than a warning.
        kind: ``"string"``, ``"boolean"``, ``"country"``, ``"iri"`` or ``"dateTime"``.
        enforced: ``False`` for operands no connector enforces at run time (declarative only).
    """

    name: str
    iri: str
    values: tuple[str, ...] = ()
    closed: bool = False
    kind: str = "string"
    enforced: bool = True

    @property
    def wire(self) -> str:
        """The ``leftOperand`` as the canonical (2025-1) form writes it (``odrl:purpose`` or a full IRI)."""
        return "odrl:" + self.iri[len(ODRL) :] if self.iri.startswith(ODRL) else self.iri

    def __str__(self) -> str:
        return self.iri


def _vals(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in enum)


class Operands:
    """Left operands: the ten DS4H ones (EDC namespace), ODRL ``purpose`` / ``dateTime``, and two SDK ones."""

    MEMBERSHIP_STATUS = Operand("membershipStatus", EDC + "membershipStatus", _vals(MembershipStatus))
    EU_EEA_STATUS = Operand("euEeaStatus", EDC + "euEeaStatus", _vals(EuEeaStatus))
    ORGANIZATION_TYPE = Operand("organizationType", EDC + "organizationType", _vals(OrganizationType))
    JURISDICTION_COUNTRY = Operand("jurisdictionCountry", EDC + "jurisdictionCountry", kind="country")
    ORGANIZATION_OWNERSHIP_TYPE = Operand(
        "organizationOwnershipType", EDC + "organizationOwnershipType", _vals(OrganizationOwnershipType), True
    )
    ORGANIZATION_ROLES = Operand("organizationRoles", EDC + "organizationRoles", ("health-data-applicant",))
    DATA_PROTECTION_ROLE = Operand(
        "dataProtectionRole", EDC + "dataProtectionRole", _vals(DataProtectionRole)
    )
    SUPPORTED_PROTOCOLS = Operand(
        "supportedProtocols",
        EDC + "supportedProtocols",
        ("dataspace-protocol-http:2025-1", "dataspace-protocol-http"),
    )
    DAC_APPROVAL = Operand("dacApproval", EDC + "dacApproval", ("true", "false"), True, "boolean")
    PERMIT_ISSUED = Operand("permitIssued", EDC + "permitIssued", ("true", "false"), True, "boolean")
    PURPOSE = Operand("purpose", ODRL + "purpose", kind="iri")
    DATE_TIME = Operand("dateTime", ODRL + "dateTime", kind="dateTime")
    DATA_FORMAT = Operand("dataFormat", D4H_ODRL + "dataFormat", _vals(DataFormat), True, enforced=False)
    PROCESSING_ENVIRONMENT = Operand(
        "processingEnvironment", D4H_ODRL + "processingEnvironment", ("spe",), enforced=False
    )

    def __init__(self) -> None:
        known = [o for o in vars(Operands).values() if isinstance(o, Operand)]
        self._all = tuple(known)
        aliases: dict[str, Operand] = {}
        for operand in known:
            for alias in (
                operand.iri,
                operand.name,
                operand.wire,
                f"edc:{operand.name}",
                f"d4h:odrl:{operand.name}",
            ):
                aliases.setdefault(alias, operand)
        self._aliases: Mapping[str, Operand] = MappingProxyType(aliases)

    def __iter__(self) -> Iterator[Operand]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    @property
    def ds4h(self) -> tuple[Operand, ...]:
        """The ten DS4H operands."""
        return tuple(o for o in self._all if o.iri.startswith(EDC))

    def get(self, name: str) -> Operand | None:
        """Find an operand by IRI, compact IRI (``edc:x``, ``odrl:purpose``) or local name, else ``None``."""
        return self._aliases.get(name)


operands = Operands()
"""The known left operands (``d4h_sdk.policy.operands.MEMBERSHIP_STATUS``)."""
