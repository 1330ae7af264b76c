"""Build the R8 model from a normalised rdflib graph (the second half of the tolerant reader)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from d4h_sdk.errors import DecodeError
from d4h_sdk.health.healthdcat._model import (
    Activity,
    Agent,
    Column,
    ContactPoint,
    Distribution,
    HealthDataset,
    Kind,
    LegalBasis,
    PeriodOfTime,
    Purpose,
    QualityAnnotation,
    Table,
    TableGroup,
)
from d4h_sdk.health.healthdcat._normalise import normalise_iri
from d4h_sdk.health.healthdcat._vocab import NS
from d4h_sdk.models import LangString

if TYPE_CHECKING:
    import rdflib

__all__ = ["extract_dataset"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"


def _p(name: str) -> str:
    prefix, _, local = name.partition(":")
    return NS[prefix] + local


class _Reader:
    """Typed accessors over one graph."""

    def __init__(self, graph: rdflib.Graph) -> None:
        import rdflib

        self.g = graph
        self.rdflib = rdflib

    def objs(self, node: Any, name: str) -> list[Any]:
        iri = name if "://" in name else _p(name)
        return sorted(self.g.objects(node, self.rdflib.URIRef(iri)), key=str)

    def one(self, node: Any, name: str) -> Any | None:
        values = self.objs(node, name)
        return values[0] if values else None

    @staticmethod
    def node_id(node: Any) -> str | None:
        import rdflib

        return str(node) if isinstance(node, rdflib.URIRef) else None

    def iris(self, node: Any, name: str) -> tuple[str, ...]:
        out: list[str] = []
        for value in self.objs(node, name):
            iri = self.as_iri(value)
            if iri is not None:
                out.append(iri)
        return tuple(out)

    def iri(self, node: Any, name: str) -> str | None:
        values = self.iris(node, name)
        return values[0] if values else None

    def as_iri(self, value: Any) -> str | None:
        if isinstance(value, self.rdflib.URIRef):
            return str(value)
        if isinstance(value, self.rdflib.Literal) and str(value).startswith(("http://", "https://", "urn:")):
            return normalise_iri(str(value))  # an IRI written as a string (JSON-LD without @id coercion)
        if isinstance(value, self.rdflib.BNode):
            # a blank skos:Concept that names its concept through skos:inScheme (CKAN dct:type)
            scheme = self.one(value, _SKOS + "inScheme")
            return str(scheme) if scheme is not None else None
        return None

    def texts(self, node: Any, name: str) -> tuple[LangString, ...]:
        out = []
        for value in self.objs(node, name):
            if isinstance(value, self.rdflib.Literal):
                out.append(LangString(value=str(value), language=value.language or None))
        return tuple(out)

    def literal(self, node: Any, name: str) -> str | None:
        value = self.one(node, name)
        return None if value is None else str(value)

    def count(self, node: Any, name: str) -> int | None:
        value = self.one(node, name)
        try:
            number = int(str(value).strip()) if value is not None else None
        except ValueError:
            return None
        return number if number is not None and number >= 0 else None

    def boolean(self, node: Any, name: str) -> bool | None:
        value = self.one(node, name)
        if value is None:
            return None
        text = str(value).strip().lower()
        return True if text in ("true", "1") else False if text in ("false", "0") else None

    def when(self, node: Any, name: str) -> date | datetime | None:
        value = self.one(node, name)
        if value is None:
            return None
        python = value.toPython() if isinstance(value, self.rdflib.Literal) else None
        if isinstance(python, (date, datetime)):
            return python
        text = str(value).strip()
        try:
            return (
                datetime.fromisoformat(text.replace("Z", "+00:00"))
                if "T" in text
                else date.fromisoformat(text)
            )
        except ValueError:
            return None

    # -- nodes --------------------------------------------------------------------------------------------

    def contact_point(self, node: Any) -> ContactPoint:
        email = self.literal(node, "cv:email") or self.iri(node, "vcard:hasEmail")
        return ContactPoint(
            id=self.node_id(node),
            email=_strip_mailto(email),
            contact_page=self.iri(node, "cv:contactPage") or self.iri(node, "vcard:hasURL"),
            telephone=self.literal(node, "cv:telephone"),
        )

    def agent(self, node: Any | None) -> Agent | None:
        if node is None:
            return None
        cp_node = self.one(node, "cv:contactPoint")
        contact = self.contact_point(cp_node) if cp_node is not None else None
        if contact is None:
            # CKAN / pre-R8: an organisation with foaf:mbox / foaf:homepage instead of a cv:ContactPoint
            mbox = self.iri(node, "foaf:mbox") or self.literal(node, "foaf:mbox")
            homepage = self.iri(node, "foaf:homepage")
            if mbox or homepage:
                contact = ContactPoint(email=_strip_mailto(mbox), contact_page=homepage)
        return Agent(
            id=self.node_id(node),
            name=self.texts(node, "foaf:name"),
            type=self.iri(node, "dct:type"),
            description=self.texts(node, "dct:description"),
            contact_point=contact,
        )

    def kind(self, node: Any) -> Kind:
        return Kind(
            id=self.node_id(node),
            name=self.literal(node, "vcard:fn"),
            email=_strip_mailto(self.iri(node, "vcard:hasEmail") or self.literal(node, "vcard:hasEmail")),
            url=self.iri(node, "vcard:hasURL"),
        )

    def period(self, node: Any | None) -> PeriodOfTime | None:
        if node is None:
            return None
        return PeriodOfTime(
            id=self.node_id(node),
            start=self.when(node, "dcat:startDate"),
            end=self.when(node, "dcat:endDate"),
        )

    def purpose(self, node: Any) -> Purpose:
        return Purpose(id=self.node_id(node), description=self.texts(node, "dct:description"))

    def legal_basis(self, node: Any) -> LegalBasis:
        return LegalBasis(
            id=self.node_id(node),
            description=self.texts(node, "dct:description"),
            sources=self.iris(node, "dct:source"),
        )

    def quality(self, node: Any) -> QualityAnnotation:
        return QualityAnnotation(
            id=self.node_id(node),
            body=self.iri(node, "oa:hasBody"),
            target=self.iri(node, "oa:hasTarget"),
            motivated_by=self.iri(node, "oa:motivatedBy"),
        )

    def column(self, node: Any) -> Column:
        return Column(
            id=self.node_id(node),
            name=self.literal(node, "csvw:name"),
            title=self.texts(node, "csvw:title"),
            description=self.texts(node, "dct:description"),
            datatype=self.literal(node, "csvw:datatype") or self.iri(node, "csvw:datatype"),
            property_url=self.iri(node, "csvw:propertyUrl"),
        )

    def table(self, node: Any) -> Table:
        return Table(
            id=self.node_id(node),
            title=self.texts(node, "dct:title"),
            url=self.iri(node, "csvw:url"),
            keywords=self.texts(node, "dcat:keyword"),
            columns=tuple(self.column(item) for item in self.objs(node, "csvw:column")),
        )

    def table_group(self, node: Any) -> TableGroup:
        return TableGroup(
            id=self.node_id(node),
            title=self.texts(node, "dct:title"),
            tables=tuple(self.table(item) for item in self.objs(node, "csvw:table")),
        )

    def distribution(self, node: Any) -> Distribution:
        return Distribution(
            id=self.node_id(node),
            title=self.texts(node, "dct:title"),
            description=self.texts(node, "dct:description"),
            access_url=self.iri(node, "dcat:accessURL"),
            download_url=self.iri(node, "dcat:downloadURL"),
            format=self.iri(node, "dct:format"),
            media_type=self.iri(node, "dcat:mediaType"),
            applicable_legislation=self.iris(node, "dcatap:applicableLegislation"),
            license=self.iri(node, "dct:license"),
            byte_size=self.count(node, "dcat:byteSize"),
        )

    def activity(self, node: Any) -> Activity:
        return Activity(
            id=self.node_id(node), label=self.texts(node, "rdfs:label"), type=self.iri(node, "dct:type")
        )

    def provenance(self, node: Any) -> tuple[LangString, ...]:
        out: list[LangString] = []
        for value in self.objs(node, "dct:provenance"):
            if isinstance(value, self.rdflib.Literal):
                out.append(LangString(value=str(value), language=value.language or None))
            else:
                out.extend(self.texts(value, "rdfs:label") or self.texts(value, "dct:description"))
        return tuple(out)

    def code_values(self, node: Any) -> tuple[str, ...]:
        out: list[str] = []
        for value in self.objs(node, "healthdcatap:hasCodeValues"):
            notation = (
                None if isinstance(value, self.rdflib.Literal) else self.literal(value, "skos:notation")
            )
            out.append(notation if notation is not None else str(value))
        return tuple(out)


def _strip_mailto(value: str | None) -> str | None:
    if value is None:
        return None
    return value[len("mailto:") :] if value.lower().startswith("mailto:") else value


def extract_dataset(graph: rdflib.Graph, node: Any) -> HealthDataset:
    """Build a :class:`HealthDataset` from the normalised ``graph`` for the dataset ``node``.

    Raises:
        DecodeError: A value does not fit the model.
    """
    r = _Reader(graph)
    publisher = r.agent(r.one(node, "dct:publisher"))
    note = r.texts(node, "healthdcatap:publisherNote")
    publisher_type = r.iri(node, "healthdcatap:publisherType")
    if publisher is not None and (note or publisher_type):
        # pre-R8: the publisher note and type were dataset properties
        publisher = publisher.model_copy(
            update={"description": publisher.description or note, "type": publisher.type or publisher_type}
        )
    trusted = r.boolean(node, "healthdcatap:trustedDataHolder")
    if trusted is None and r.one(node, "dct:publisher") is not None:
        trusted = r.boolean(r.one(node, "dct:publisher"), "healthdcatap:trustedDataHolder")
    data: dict[str, Any] = {
        "id": r.node_id(node),
        "title": r.texts(node, "dct:title"),
        "description": r.texts(node, "dct:description"),
        "identifier": tuple(str(v) for v in r.objs(node, "dct:identifier")),
        "keywords": r.texts(node, "dcat:keyword"),
        "themes": r.iris(node, "dcat:theme"),
        "types": r.iris(node, "dct:type"),
        "access_rights": r.iri(node, "dct:accessRights"),
        "applicable_legislation": r.iris(node, "dcatap:applicableLegislation"),
        "provenance": r.provenance(node),
        "publisher": publisher,
        "contact_points": tuple(r.kind(item) for item in r.objs(node, "dcat:contactPoint")),
        "hdab": r.agent(r.one(node, "healthdcatap:hdab")),
        "hdab_coordinator": r.agent(r.one(node, "healthdcatap:hdabCoordinator")),
        "custodian": r.agent(r.one(node, "geodcatap:custodian")),
        "trusted_data_holder": trusted,
        "health_categories": r.iris(node, "healthdcatap:healthCategory"),
        "health_themes": r.iris(node, "healthdcatap:healthTheme"),
        "coding_systems": r.iris(node, "healthdcatap:hasCodingSystem"),
        "code_values": r.code_values(node),
        "conforms_to": r.iris(node, "dct:conformsTo"),
        "population_coverage": r.texts(node, "healthdcatap:populationCoverage"),
        "number_of_records": r.count(node, "healthdcatap:numberOfRecords"),
        "number_of_unique_individuals": r.count(node, "healthdcatap:numberOfUniqueIndividuals"),
        "min_typical_age": r.count(node, "healthdcatap:minTypicalAge"),
        "max_typical_age": r.count(node, "healthdcatap:maxTypicalAge"),
        "retention_period": r.period(r.one(node, "healthdcatap:retentionPeriod")),
        "purposes": tuple(r.purpose(item) for item in r.objs(node, "dpv:hasPurpose")),
        "legal_bases": tuple(r.legal_basis(item) for item in r.objs(node, "dpv:hasLegalBasis")),
        "personal_data": r.iris(node, "dpv:hasPersonalData"),
        "temporal": tuple(p for p in (r.period(item) for item in r.objs(node, "dct:temporal")) if p),
        "spatial": r.iris(node, "dct:spatial"),
        "language": r.iris(node, "dct:language"),
        "issued": r.when(node, "dct:issued"),
        "modified": r.when(node, "dct:modified"),
        "landing_page": r.iri(node, "dcat:landingPage"),
        "version": r.literal(node, "dcat:version"),
        "quality_annotations": tuple(r.quality(item) for item in r.objs(node, "dqv:hasQualityAnnotation")),
        "has_structured_data": r.boolean(node, "healthdcatap:hasStructuredData"),
        "variables": tuple(r.table_group(item) for item in r.objs(node, "healthdcatap:hasVariables")),
        "distributions": tuple(r.distribution(item) for item in r.objs(node, "dcat:distribution")),
        "analytics": tuple(r.distribution(item) for item in r.objs(node, "healthdcatap:analytics")),
        "samples": tuple(r.distribution(item) for item in r.objs(node, "adms:sample")),
        "generated_by": tuple(r.activity(item) for item in r.objs(node, "prov:wasGeneratedBy")),
    }
    try:
        return HealthDataset.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)[:5]
        )
        raise DecodeError(f"the HealthDCAT-AP description does not fit the R8 model: {problems}") from exc
