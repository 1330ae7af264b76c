"""Write a :class:`HealthDataset` as JSON-LD (compact, R8 prefixes) or Turtle (rdflib, imported lazily)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

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
from d4h_sdk.health.healthdcat._vocab import NS
from d4h_sdk.models import LangString

__all__ = ["context", "to_jsonld", "to_turtle"]

Node = dict[str, Any]


def context() -> dict[str, str]:
    """Return the JSON-LD ``@context`` the SDK writes: the HealthDCAT-AP R8 prefixes (a fresh dict)."""
    return dict(NS)


class _Writer:
    """Builds JSON-LD node objects; ``term`` turns ``prefix:name`` into the key to write."""

    def __init__(self, term: Callable[[str], str]) -> None:
        self.term = term

    def put(self, node: Node, key: str, value: Any) -> None:
        if value is None or value == [] or value == ():
            return
        node[self.term(key)] = value

    @staticmethod
    def iri(value: str | None) -> Node | None:
        return None if value is None else {"@id": value}

    def iris(self, values: Iterable[str]) -> list[Node]:
        return [{"@id": value} for value in values]

    @staticmethod
    def texts(values: Iterable[LangString]) -> list[Any]:
        out: list[Any] = []
        for item in values:
            out.append({"@value": item.value, "@language": item.language} if item.language else item.value)
        return out

    def typed(self, value: Any, datatype: str) -> Node | None:
        if value is None:
            return None
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (date, datetime)):
            text = value.isoformat()
        else:
            text = str(value)
        return {"@value": text, "@type": self.term(f"xsd:{datatype}")}

    def when(self, value: date | datetime | None) -> Node | None:
        if value is None:
            return None
        return self.typed(value, "dateTime" if isinstance(value, datetime) else "date")

    def head(self, node_id: str | None, node_type: str) -> Node:
        node: Node = {}
        if node_id is not None:
            node["@id"] = node_id
        node["@type"] = self.term(node_type)
        return node

    # -- nested nodes -------------------------------------------------------------------------------------

    def contact_point(self, cp: ContactPoint) -> Node:
        node = self.head(cp.id, "cv:ContactPoint")
        self.put(node, "cv:email", cp.email)
        self.put(node, "cv:contactPage", self.iri(cp.contact_page))
        self.put(node, "cv:telephone", cp.telephone)
        return node

    def agent(self, agent: Agent | None) -> Node | None:
        if agent is None:
            return None
        node = self.head(agent.id, "foaf:Agent")
        self.put(node, "foaf:name", self.texts(agent.name))
        self.put(node, "dct:type", self.iri(agent.type))
        self.put(node, "dct:description", self.texts(agent.description))
        if agent.contact_point is not None:
            self.put(node, "cv:contactPoint", self.contact_point(agent.contact_point))
        return node

    def kind(self, kind: Kind) -> Node:
        node = self.head(kind.id, "vcard:Kind")
        self.put(node, "vcard:fn", kind.name)
        if kind.email:
            email = kind.email if kind.email.startswith("mailto:") else f"mailto:{kind.email}"
            self.put(node, "vcard:hasEmail", self.iri(email))
        self.put(node, "vcard:hasURL", self.iri(kind.url))
        return node

    def period(self, period: PeriodOfTime | None) -> Node | None:
        if period is None:
            return None
        node = self.head(period.id, "dct:PeriodOfTime")
        self.put(node, "dcat:startDate", self.when(period.start))
        self.put(node, "dcat:endDate", self.when(period.end))
        return node

    def purpose(self, purpose: Purpose) -> Node:
        node = self.head(purpose.id, "dpv:Purpose")
        self.put(node, "dct:description", self.texts(purpose.description))
        return node

    def legal_basis(self, basis: LegalBasis) -> Node:
        node = self.head(basis.id, "dpv:LegalBasis")
        self.put(node, "dct:description", self.texts(basis.description))
        self.put(node, "dct:source", self.iris(basis.sources))
        return node

    def quality(self, annotation: QualityAnnotation) -> Node:
        node = self.head(annotation.id, "dqv:QualityCertificate")
        self.put(node, "oa:hasBody", self.iri(annotation.body))
        self.put(node, "oa:hasTarget", self.iri(annotation.target))
        self.put(node, "oa:motivatedBy", self.iri(annotation.motivated_by))
        return node

    def column(self, column: Column) -> Node:
        node = self.head(column.id, "csvw:Column")
        self.put(node, "csvw:name", column.name)
        self.put(node, "csvw:title", self.texts(column.title))
        self.put(node, "dct:description", self.texts(column.description))
        self.put(node, "csvw:datatype", column.datatype)
        self.put(node, "csvw:propertyUrl", self.iri(column.property_url))
        return node

    def table(self, table: Table) -> Node:
        node = self.head(table.id, "csvw:Table")
        self.put(node, "dct:title", self.texts(table.title))
        self.put(node, "csvw:url", self.iri(table.url))
        self.put(node, "dcat:keyword", self.texts(table.keywords))
        self.put(node, "csvw:column", [self.column(column) for column in table.columns])
        return node

    def table_group(self, group: TableGroup) -> Node:
        node = self.head(group.id, "csvw:TableGroup")
        self.put(node, "dct:title", self.texts(group.title))
        self.put(node, "csvw:table", [self.table(table) for table in group.tables])
        return node

    def distribution(self, dist: Distribution) -> Node:
        node = self.head(dist.id, "dcat:Distribution")
        self.put(node, "dct:title", self.texts(dist.title))
        self.put(node, "dct:description", self.texts(dist.description))
        self.put(node, "dcatap:applicableLegislation", self.iris(dist.applicable_legislation))
        self.put(node, "dcat:accessURL", self.iri(dist.access_url))
        self.put(node, "dcat:downloadURL", self.iri(dist.download_url))
        self.put(node, "dct:format", self.iri(dist.format))
        self.put(node, "dcat:mediaType", self.iri(dist.media_type))
        self.put(node, "dct:license", self.iri(dist.license))
        self.put(node, "dcat:byteSize", self.typed(dist.byte_size, "nonNegativeInteger"))
        return node

    def activity(self, activity: Activity) -> Node:
        node = self.head(activity.id, "prov:Activity")
        self.put(node, "rdfs:label", self.texts(activity.label))
        self.put(node, "dct:type", self.iri(activity.type))
        return node

    # -- the dataset --------------------------------------------------------------------------------------

    def dataset(self, ds: HealthDataset) -> Node:
        node = self.head(ds.id, "dcat:Dataset")
        put = self.put
        put(node, "dct:title", self.texts(ds.title))
        put(node, "dct:description", self.texts(ds.description))
        put(node, "dct:identifier", list(ds.identifier))
        put(node, "dcat:keyword", self.texts(ds.keywords))
        put(node, "dcat:theme", self.iris(ds.themes))
        put(node, "dct:type", self.iris(ds.types))
        put(node, "dct:accessRights", self.iri(ds.access_rights))
        put(node, "dcatap:applicableLegislation", self.iris(ds.applicable_legislation))
        put(node, "dct:provenance", [self._provenance(text) for text in ds.provenance])
        put(node, "dct:publisher", self.agent(ds.publisher))
        put(node, "dcat:contactPoint", [self.kind(kind) for kind in ds.contact_points])
        put(node, "healthdcatap:hdab", self.agent(ds.hdab))
        put(node, "healthdcatap:hdabCoordinator", self.agent(ds.hdab_coordinator))
        put(node, "geodcatap:custodian", self.agent(ds.custodian))
        put(node, "healthdcatap:trustedDataHolder", self.typed(ds.trusted_data_holder, "boolean"))
        put(node, "healthdcatap:healthCategory", self.iris(ds.health_categories))
        put(node, "healthdcatap:healthTheme", self.iris(ds.health_themes))
        put(node, "healthdcatap:hasCodingSystem", self.iris(ds.coding_systems))
        put(node, "healthdcatap:hasCodeValues", list(ds.code_values))
        put(node, "dct:conformsTo", self.iris(ds.conforms_to))
        put(node, "healthdcatap:populationCoverage", self.texts(ds.population_coverage))
        for key, count in (
            ("healthdcatap:numberOfRecords", ds.number_of_records),
            ("healthdcatap:numberOfUniqueIndividuals", ds.number_of_unique_individuals),
            ("healthdcatap:minTypicalAge", ds.min_typical_age),
            ("healthdcatap:maxTypicalAge", ds.max_typical_age),
        ):
            put(node, key, self.typed(count, "nonNegativeInteger"))
        put(node, "healthdcatap:retentionPeriod", self.period(ds.retention_period))
        put(node, "dpv:hasPurpose", [self.purpose(item) for item in ds.purposes])
        put(node, "dpv:hasLegalBasis", [self.legal_basis(item) for item in ds.legal_bases])
        put(node, "dpv:hasPersonalData", self.iris(ds.personal_data))
        put(node, "dct:temporal", [self.period(item) for item in ds.temporal])
        put(node, "dct:spatial", self.iris(ds.spatial))
        put(node, "dct:language", self.iris(ds.language))
        put(node, "dct:issued", self.when(ds.issued))
        put(node, "dct:modified", self.when(ds.modified))
        put(node, "dcat:landingPage", self.iri(ds.landing_page))
        put(node, "dcat:version", ds.version)
        put(node, "dqv:hasQualityAnnotation", [self.quality(item) for item in ds.quality_annotations])
        put(node, "healthdcatap:hasStructuredData", self.typed(ds.has_structured_data, "boolean"))
        put(node, "healthdcatap:hasVariables", [self.table_group(item) for item in ds.variables])
        put(node, "dcat:distribution", [self.distribution(item) for item in ds.distributions])
        put(node, "healthdcatap:analytics", [self.distribution(item) for item in ds.analytics])
        put(node, "adms:sample", [self.distribution(item) for item in ds.samples])
        put(node, "prov:wasGeneratedBy", [self.activity(item) for item in ds.generated_by])
        return node

    def _provenance(self, text: LangString) -> Node:
        node = self.head(None, "dct:ProvenanceStatement")
        self.put(node, "rdfs:label", self.texts((text,)))
        return node


def _prefixed(name: str) -> str:
    return name


def _absolute(name: str) -> str:
    prefix, _, local = name.partition(":")
    return NS[prefix] + local


def dataset_node(dataset: HealthDataset, *, absolute: bool = False) -> dict[str, Any]:
    """Return the dataset as a JSON-LD node object without ``@context``.

    Args:
        dataset: The dataset.
        absolute: Write absolute IRIs as keys (context-free) instead of ``prefix:name`` terms.
    """
    return _Writer(_absolute if absolute else _prefixed).dataset(dataset)


def to_jsonld(dataset: HealthDataset) -> dict[str, Any]:
    """Write ``dataset`` as compact JSON-LD with the R8 prefixes in an inline ``@context``.

    The document needs no remote context: keys are ``prefix:name`` terms (``dct:title``,
    ``healthdcatap:healthCategory``), vocabulary values are absolute IRIs.

    Args:
        dataset: The dataset to write.

    Returns:
        A JSON-serialisable dict.
    """
    return {"@context": context(), **dataset_node(dataset)}


def to_turtle(dataset: HealthDataset) -> str:
    """Write ``dataset`` as Turtle with the R8 prefixes (needs rdflib, imported on first use).

    Args:
        dataset: The dataset to write.

    Returns:
        The Turtle text.

    Raises:
        JsonLdError: The JSON-LD to RDF conversion failed.
    """
    import rdflib

    from d4h_sdk.jsonld import to_graph

    xsd_string = rdflib.URIRef(NS["xsd"] + "string")
    graph = rdflib.Graph()
    for s, p, o in to_graph(to_jsonld(dataset)):
        if isinstance(o, rdflib.Literal) and o.datatype == xsd_string:
            o = rdflib.Literal(str(o))  # a plain literal: RDF 1.1 gives it xsd:string anyway
        graph.add((s, p, o))
    for prefix, namespace in NS.items():
        graph.bind(prefix, namespace, override=True)
    text: str = graph.serialize(format="turtle")
    return text
