"""The tolerant HealthDCAT-AP reader: Turtle or JSON-LD of any release, normalised to the R8 model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import DecodeError
from d4h_sdk.health.healthdcat._extract import extract_dataset
from d4h_sdk.health.healthdcat._model import HealthDataset
from d4h_sdk.health.healthdcat._normalise import HEALTH, HEALTH_TERMS, normalise_graph
from d4h_sdk.health.healthdcat._vocab import NS

if TYPE_CHECKING:
    import rdflib

__all__ = ["fallback_context", "graph_from_jsonld", "parse_graph", "read_healthdcat"]

_JSONLD = frozenset({"json-ld", "jsonld", "application/ld+json", "json"})
_TURTLE = frozenset({"turtle", "ttl", "text/turtle"})
_DCAT = NS["dcat"]
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def fallback_context() -> dict[str, Any]:
    """The context put *before* a JSON-LD document's own: R8 prefixes, a few common aliases and bare terms.

    A document that uses ``dct:title`` or ``healthCategory`` without defining them still reads; a document
    that defines a term itself keeps its own meaning (later contexts win).
    """
    ctx: dict[str, Any] = dict(NS)
    ctx.update({"dcterms": NS["dct"], "dpv-pd": NS["dpvpd"], "healthdcat": HEALTH, "health": HEALTH})
    for term in HEALTH_TERMS:
        ctx[term] = HEALTH + term
    ctx.update({"Dataset": _DCAT + "Dataset", "Distribution": _DCAT + "Distribution"})
    return ctx


def graph_from_jsonld(doc: Any) -> rdflib.Graph:
    """Convert a JSON-LD document to an rdflib graph offline, with :func:`fallback_context` underneath.

    Raises:
        DecodeError: The document is not JSON-LD the offline loader can process.
    """
    from d4h_sdk.errors import JsonLdError
    from d4h_sdk.jsonld import to_graph

    if isinstance(doc, Mapping):
        own = doc.get("@context")
        contexts = own if isinstance(own, list) else ([own] if own is not None else [])
        wrapped: Any = {**doc, "@context": [fallback_context(), *contexts]}
    elif isinstance(doc, list):
        wrapped = {"@context": fallback_context(), "@graph": doc}
    else:
        raise DecodeError(
            f"a JSON-LD HealthDCAT-AP document must be an object or an array, not {type(doc).__name__}"
        )
    try:
        return to_graph(wrapped)
    except JsonLdError as exc:
        raise DecodeError(f"cannot read the JSON-LD HealthDCAT-AP description: {exc}") from exc


def _detect(text: str) -> str:
    return "json-ld" if text.lstrip().startswith(("{", "[")) else "turtle"


def parse_graph(source: str | bytes | Mapping[str, Any], *, format: str | None = None) -> rdflib.Graph:
    """Parse Turtle or JSON-LD (or another rdflib format) into an rdflib graph, without normalising it.

    Args:
        source: Turtle or JSON-LD text / bytes, or a parsed JSON-LD object.
        format: ``"turtle"``, ``"json-ld"`` or any rdflib parser name; detected when ``None``.

    Raises:
        DecodeError: The source is not valid in the given / detected format.
    """
    import rdflib

    if isinstance(source, Mapping):
        return graph_from_jsonld(source)
    if isinstance(source, (bytes, bytearray)):
        try:
            text = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"the HealthDCAT-AP description is not UTF-8: {exc.reason}") from exc
    elif isinstance(source, str):
        text = source
    else:
        raise DecodeError(f"cannot read a HealthDCAT-AP description from {type(source).__name__}")
    fmt = (format or _detect(text)).lower()
    if fmt in _JSONLD:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DecodeError(f"the HealthDCAT-AP description is not valid JSON: {exc}") from exc
        return graph_from_jsonld(doc)
    graph = rdflib.Graph()
    try:
        graph.parse(data=text, format="turtle" if fmt in _TURTLE else fmt)
    except Exception as exc:  # rdflib raises BadSyntax (a SyntaxError) and plugin errors of many kinds
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()][:2]
        detail = " ".join(lines) if lines else type(exc).__name__
        raise DecodeError(f"the HealthDCAT-AP description is not valid {fmt}: {detail}") from exc
    return graph


def read_healthdcat(
    source: str | bytes | Mapping[str, Any],
    *,
    format: str | None = None,
    subject: str | None = None,
) -> HealthDataset:
    """Read a HealthDCAT-AP dataset description of any release into the R8 model.

    Older releases and other vocabulary hosts are normalised to R8 (see
    :mod:`d4h_sdk.health.healthdcat._normalise`): development and acceptance hosts, Wikidata coding systems,
    ``trusteddataholder``, pre-R8 ``publisherNote`` / ``publisherType``, DPV-PD 2, an HDAB given as a
    ``foaf:Organization`` with ``foaf:mbox``. The dataset is the ``dcat:Dataset`` of the document, or the
    one node that carries HealthDCAT-AP or DPV properties when no node is typed.

    Args:
        source: Turtle or JSON-LD text or bytes, or a parsed JSON-LD object (contexts resolved offline).
        format: ``"turtle"`` or ``"json-ld"`` (or another rdflib format); detected when ``None``.
        subject: The dataset IRI, when the document describes several datasets.

    Returns:
        The dataset.

    Raises:
        DecodeError: The source cannot be parsed, or holds no dataset / several datasets and no ``subject``.
    """
    graph = normalise_graph(parse_graph(source, format=format))
    node = _find_dataset(graph, subject)
    return extract_dataset(graph, node)


def _find_dataset(graph: rdflib.Graph, subject: str | None) -> rdflib.term.Node:
    import rdflib

    if subject is not None:
        node = rdflib.URIRef(subject)
        if (node, None, None) not in graph:
            raise DecodeError(f"the description says nothing about the dataset {subject!r}")
        return node
    typed = set(graph.subjects(rdflib.URIRef(_RDF_TYPE), rdflib.URIRef(_DCAT + "Dataset")))
    candidates = typed or {s for s, p, _ in graph if str(p).startswith((HEALTH, NS["dpv"]))}
    if not candidates:
        raise DecodeError("no dataset found: no dcat:Dataset and no node with HealthDCAT-AP properties")
    if len(candidates) > 1:
        # Nodes reached from another candidate (e.g. a nested description) are not the top dataset.
        referenced = {o for s in candidates for _, o in graph.predicate_objects(s)}
        top = candidates - referenced
        if len(top) == 1:
            candidates = top
    if len(candidates) > 1:
        names = sorted(str(c) for c in candidates)[:5]
        raise DecodeError(f"several datasets found ({', '.join(names)}); pass subject= to choose one")
    return next(iter(candidates))
