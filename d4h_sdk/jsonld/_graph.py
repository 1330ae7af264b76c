"""RDF views of JSON-LD documents: an rdflib graph built through pyld's N-Quads (offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import JsonLdError
from d4h_sdk.jsonld._loader import DocumentLoader
from d4h_sdk.jsonld._ops import default_loader, fast_expand, run_pyld

if TYPE_CHECKING:
    import rdflib

__all__ = ["CatalogGraph", "to_graph"]


def to_graph(doc: Any, *, loader: DocumentLoader | None = None) -> rdflib.Graph:
    """Convert a JSON-LD document into an rdflib graph, resolving contexts offline.

    The document is expanded (fast path when possible) and converted to RDF by pyld; the triples are then
    added to an rdflib graph. rdflib's own JSON-LD parser is not used, because it would fetch contexts
    itself. Named graphs are merged into one graph.

    Args:
        doc: The JSON-LD document (parsed JSON).
        loader: Resolves context URLs; by default only the bundled contexts are available.

    Returns:
        A new ``rdflib.Graph``.

    Raises:
        JsonLdError: A context is not available or the document is not valid JSON-LD.
    """
    import rdflib  # noqa: PLC0415 - rdflib is imported on first use only

    active_loader = loader if loader is not None else default_loader()
    expanded = fast_expand(doc, loader=active_loader)
    options = {"documentLoader": active_loader}
    dataset: dict[str, list[dict[str, Any]]] = run_pyld(
        "RDF conversion", lambda jsonld: jsonld.to_rdf(expanded, options)
    )
    graph = rdflib.Graph()
    for triples in dataset.values():
        for triple in triples:
            graph.add((_term(triple["subject"]), _term(triple["predicate"]), _term(triple["object"])))
    return graph


def _term(node: dict[str, Any]) -> Any:
    """Convert one pyld RDF term (``{"type", "value", ...}``) into an rdflib term."""
    import rdflib  # noqa: PLC0415 - already loaded by to_graph

    kind = node["type"]
    if kind == "IRI":
        return rdflib.URIRef(node["value"])
    if kind == "blank node":
        return rdflib.BNode(node["value"][2:])
    if kind == "literal":
        if node.get("language"):
            return rdflib.Literal(node["value"], lang=node["language"])
        return rdflib.Literal(node["value"], datatype=rdflib.URIRef(node["datatype"]))
    raise JsonLdError(f"unexpected RDF term type {kind!r} in converted document")


class CatalogGraph:
    """A lazy RDF view of a JSON-LD document such as a DCAT catalog.

    Nothing is converted until :attr:`graph` is first read (or :meth:`query` first called).

    Args:
        doc: The JSON-LD document (parsed JSON).
        loader: Resolves context URLs; by default only the bundled contexts are available.
    """

    def __init__(self, doc: Any, *, loader: DocumentLoader | None = None) -> None:
        self._doc = doc
        self._loader = loader
        self._graph: rdflib.Graph | None = None

    def __repr__(self) -> str:
        state = "built" if self._graph is not None else "not built"
        return f"<CatalogGraph {state}>"

    @property
    def graph(self) -> rdflib.Graph:
        """The rdflib graph, built on first access."""
        if self._graph is None:
            self._graph = to_graph(self._doc, loader=self._loader)
        return self._graph

    def query(self, sparql: str) -> list[tuple[Any, ...]]:
        """Run a SPARQL SELECT or ASK query on the graph.

        Args:
            sparql: The query text (prefixes declared in the query).

        Returns:
            For SELECT, one tuple of rdflib terms per row (``None`` for unbound variables); for ASK, a single
            row holding the boolean answer.

        Raises:
            JsonLdError: The query is invalid or the graph cannot be built.
        """
        graph = self.graph
        try:
            result = graph.query(sparql)
            if result.type == "ASK":
                return [(bool(result.askAnswer),)]
            if result.type != "SELECT":
                raise JsonLdError(f"only SELECT and ASK queries are supported, not {result.type}")
            return [tuple(row) for row in result if isinstance(row, tuple)]
        except JsonLdError:
            raise
        except Exception as exc:  # rdflib's SPARQL parser raises pyparsing and assorted errors
            raise JsonLdError(f"SPARQL query failed: {type(exc).__name__}: {exc}") from exc
