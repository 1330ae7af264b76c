"""The typed HealthDCAT-AP Release 8 model: immutable pydantic classes, one per RDF class used.

The model holds what a description *says*; it does not refuse an incomplete description (a tolerant reader
must be able to load a single-property example). Whether a description is complete for an access level is
the job of :func:`~d4h_sdk.health.healthdcat.validate`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, NonNegativeInt

from d4h_sdk.models import LangString, text_of

__all__ = [
    "Activity",
    "Agent",
    "Column",
    "ContactPoint",
    "Distribution",
    "HealthDataset",
    "Kind",
    "LegalBasis",
    "PeriodOfTime",
    "Purpose",
    "QualityAnnotation",
    "Table",
    "TableGroup",
]


def _iri(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _iris(value: object) -> object:
    if value is None:
        return ()
    if isinstance(value, (str, Enum)):
        value = (value,)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_iri(item) for item in value]
        return tuple(sorted(items, key=str)) if isinstance(value, (set, frozenset)) else tuple(items)
    return value


def _texts(value: object) -> object:
    if value is None:
        return ()
    if isinstance(value, (str, LangString, dict)):
        return (value,)
    return value


def _many(value: object) -> object:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


Iri = Annotated[str, BeforeValidator(_iri)]
"""An IRI; a vocabulary enum member is accepted and stored as its IRI."""
Iris = Annotated[tuple[str, ...], BeforeValidator(_iris)]
"""A set of IRIs (a single IRI or enum member accepted)."""
Texts = Annotated[tuple[LangString, ...], BeforeValidator(_texts)]
"""A multilingual text: plain strings are untagged, ``LangString(value=..., language="en")`` tagged."""


def _date(value: object) -> object:
    if isinstance(value, str) and "T" not in value and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


DateLike = Annotated[date | datetime, BeforeValidator(_date)]
"""An ``xsd:date`` (``date``) or ``xsd:dateTime`` (``datetime``)."""
T = TypeVar("T")
Many = Annotated[tuple[T, ...], BeforeValidator(_many)]
"""A set of nested nodes (a single node accepted)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ContactPoint(_Model):
    """A ``cv:ContactPoint`` of an agent (HDAB, publisher, custodian): needs an email or a contact page."""

    id: str | None = None
    email: str | None = None
    contact_page: str | None = None
    telephone: str | None = None


class Agent(_Model):
    """A ``foaf:Agent``: publisher, HDAB, HDAB coordinator or custodian (health data holder)."""

    id: str | None = None
    name: Texts = ()
    type: Iri | None = None
    """The publisher type (``PublisherType`` NAL)."""
    description: Texts = ()
    """The former "publisher note" (at most one for a publisher)."""
    contact_point: ContactPoint | None = None

    def name_text(self, language: str | None = None) -> str | None:
        """The name in ``language`` (or the untagged / first one)."""
        return text_of(self.name, language)


class Kind(_Model):
    """A ``vcard:Kind``: the dataset's ``dcat:contactPoint`` (needs an email or a URL)."""

    id: str | None = None
    name: str | None = None
    email: str | None = None
    """A plain address (``someone@example.org``); written as a ``mailto:`` IRI."""
    url: str | None = None


class PeriodOfTime(_Model):
    """A ``dct:PeriodOfTime`` with ``dcat:startDate`` / ``dcat:endDate``."""

    id: str | None = None
    start: DateLike | None = None
    end: DateLike | None = None


class Purpose(_Model):
    """A ``dpv:Purpose``: an IRI (a DPV or eu-ehds purpose) and/or a free-text description."""

    id: str | None = None
    description: Texts = ()


class LegalBasis(_Model):
    """A ``dpv:LegalBasis``: an IRI (e.g. ``dpv:Consent``) and/or a description with sources."""

    id: str | None = None
    description: Texts = ()
    sources: Iris = ()


class QualityAnnotation(_Model):
    """A ``dqv:QualityCertificate`` (``oa:hasBody`` the certificate, ``oa:hasTarget`` the dataset)."""

    id: str | None = None
    body: str | None = None
    target: str | None = None
    motivated_by: str | None = None


class Column(_Model):
    """A ``csvw:Column``: one variable of the dataset."""

    id: str | None = None
    name: str | None = None
    title: Texts = ()
    description: Texts = ()
    datatype: str | None = None
    """A CSVW built-in datatype name, case-sensitive (``string``, ``integer``, ``dateTime``...)."""
    property_url: str | None = None


class Table(_Model):
    """A ``csvw:Table`` of variables."""

    id: str | None = None
    title: Texts = ()
    url: str | None = None
    keywords: Texts = ()
    columns: Many[Column] = ()


class TableGroup(_Model):
    """A ``csvw:TableGroup``: the variables of a dataset (``healthdcatap:hasVariables``)."""

    id: str | None = None
    title: Texts = ()
    tables: Many[Table] = ()


class Distribution(_Model):
    """A ``dcat:Distribution`` (a regular, ``analytics`` or ``adms:sample`` distribution)."""

    id: str | None = None
    title: Texts = ()
    description: Texts = ()
    access_url: str | None = None
    download_url: str | None = None
    format: Iri | None = None
    media_type: Iri | None = None
    applicable_legislation: Iris = ()
    license: str | None = None
    byte_size: NonNegativeInt | None = None


class Activity(_Model):
    """A ``prov:Activity`` that generated the dataset, typed from the health-activity NAL."""

    id: str | None = None
    label: Texts = ()
    type: Iri | None = None


class HealthDataset(_Model):
    """A HealthDCAT-AP Release 8 dataset description.

    Field names are snake_case; each field's docstring names the RDF property. Multi-valued fields are
    tuples (a single value is accepted). IRIs from the controlled vocabularies may be given as enum members
    of :mod:`d4h_sdk.health.healthdcat` (``HealthCategory.EHRS``); they are stored as IRI strings.
    """

    id: str | None = None
    """The dataset IRI (``@id``)."""
    title: Texts = ()
    """``dct:title`` (1..*)."""
    description: Texts = ()
    """``dct:description`` (1..*)."""
    identifier: Many[str] = ()
    """``dct:identifier`` literals (1..*)."""
    keywords: Texts = ()
    """``dcat:keyword`` (mandatory for NON_PUBLIC)."""
    themes: Iris = ()
    """``dcat:theme`` from the EU data-theme vocabulary (1..*; ``DataTheme.HEAL``)."""
    types: Iris = ()
    """``dct:type`` (mandatory for NON_PUBLIC), e.g. ``DatasetType.SYNTHETIC_DATA``."""
    access_rights: Iri | None = None
    """``dct:accessRights`` (1..1): an ``AccessRights`` member."""
    applicable_legislation: Iris = ()
    """``dcatap:applicableLegislation`` (1..*): the EHDS ELI :data:`EHDS_ELI`."""
    provenance: Texts = ()
    """``dct:provenance`` statements (mandatory for NON_PUBLIC)."""
    publisher: Agent | None = None
    """``dct:publisher`` (0..1) with exactly one contact point."""
    contact_points: Many[Kind] = ()
    """``dcat:contactPoint`` (mandatory for NON_PUBLIC)."""
    hdab: Agent | None = None
    """``healthdcatap:hdab`` (1..1): the Health Data Access Body, with one contact point."""
    hdab_coordinator: Agent | None = None
    """``healthdcatap:hdabCoordinator`` (0..1)."""
    custodian: Agent | None = None
    """``geodcatap:custodian`` (0..1): the health data holder."""
    trusted_data_holder: bool | None = None
    """``healthdcatap:trustedDataHolder`` (pre-R8 term, kept when read)."""
    health_categories: Iris = ()
    """``healthdcatap:healthCategory`` (1..*): ``HealthCategory`` members (EHDS Art 51)."""
    health_themes: Iris = ()
    """``healthdcatap:healthTheme`` (recommended): ``HealthTheme`` members."""
    coding_systems: Iris = ()
    """``healthdcatap:hasCodingSystem`` (recommended): ``CodingSystem`` members."""
    code_values: Many[str] = ()
    """``healthdcatap:hasCodeValues`` literals, e.g. ``"E11"``."""
    conforms_to: Iris = ()
    """``dct:conformsTo`` (``Standard`` members: FHIR, OMOP-CDM...)."""
    population_coverage: Texts = ()
    """``healthdcatap:populationCoverage``."""
    number_of_records: NonNegativeInt | None = None
    """``healthdcatap:numberOfRecords``."""
    number_of_unique_individuals: NonNegativeInt | None = None
    """``healthdcatap:numberOfUniqueIndividuals``."""
    min_typical_age: NonNegativeInt | None = None
    """``healthdcatap:minTypicalAge`` (approximate, to protect individuals)."""
    max_typical_age: NonNegativeInt | None = None
    """``healthdcatap:maxTypicalAge``."""
    retention_period: PeriodOfTime | None = None
    """``healthdcatap:retentionPeriod`` (0..1)."""
    purposes: Many[Purpose] = ()
    """``dpv:hasPurpose``."""
    legal_bases: Many[LegalBasis] = ()
    """``dpv:hasLegalBasis``."""
    personal_data: Iris = ()
    """``dpv:hasPersonalData`` (``PersonalData`` members)."""
    temporal: Many[PeriodOfTime] = ()
    """``dct:temporal`` coverage."""
    spatial: Iris = ()
    """``dct:spatial`` coverage (e.g. ``http://publications.europa.eu/resource/authority/country/LUX``)."""
    language: Iris = ()
    """``dct:language``."""
    issued: DateLike | None = None
    """``dct:issued``."""
    modified: DateLike | None = None
    """``dct:modified``."""
    landing_page: str | None = None
    """``dcat:landingPage``."""
    version: str | None = None
    """``dcat:version``."""
    quality_annotations: Many[QualityAnnotation] = ()
    """``dqv:hasQualityAnnotation``."""
    has_structured_data: bool | None = None
    """``healthdcatap:hasStructuredData`` (1..1 in R8); if true, ``variables`` is required."""
    variables: Many[TableGroup] = ()
    """``healthdcatap:hasVariables`` (CSVW table groups)."""
    distributions: Many[Distribution] = ()
    """``dcat:distribution`` (1..*)."""
    analytics: Many[Distribution] = ()
    """``healthdcatap:analytics`` distributions (aggregate reports, dashboards)."""
    samples: Many[Distribution] = ()
    """``adms:sample`` distributions (synthetic or anonymised samples)."""
    generated_by: Many[Activity] = ()
    """``prov:wasGeneratedBy``."""

    def title_text(self, language: str | None = None) -> str | None:
        """The title in ``language`` (or the untagged / first one)."""
        return text_of(self.title, language)

    def description_text(self, language: str | None = None) -> str | None:
        """The description in ``language`` (or the untagged / first one)."""
        return text_of(self.description, language)

    def all_distributions(self) -> tuple[Distribution, ...]:
        """Regular, analytics and sample distributions together."""
        return self.distributions + self.analytics + self.samples
