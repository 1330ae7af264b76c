"""Validation against the official HealthDCAT-AP R8 SHACL shapes with pySHACL (extra ``[shacl]``).

The SDK does not ship the official shapes: the caller passes them (a path or the Turtle bytes), and they are
read in place. Two known properties of the official R8 non-public shapes are handled in memory, without
changing the caller's file:

* they ``owl:imports`` the DCAT-AP 3.0.0 shapes from the network: imports are never followed (offline);
* the "hasStructuredData true => hasVariables" rule is an ``sh:or`` inside an ``sh:property`` that has no
  ``sh:path``, which is not a well-formed property shape (pySHACL 0.40 refuses the whole shapes graph). Such
  a path-less property is turned into a node shape with the same target class, which is what it means.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import ConfigurationError, DecodeError
from d4h_sdk.health.healthdcat._model import HealthDataset
from d4h_sdk.health.healthdcat._report import Finding, Severity, ValidationReport
from d4h_sdk.health.healthdcat._vocab import NS, AccessRights

if TYPE_CHECKING:
    import rdflib

__all__ = ["load_shapes", "validate_shacl"]

_SH = "http://www.w3.org/ns/shacl#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _import_pyshacl() -> Any:
    try:
        import pyshacl
    except ImportError as exc:
        raise ConfigurationError("SHACL validation needs pyshacl: pip install 'd4h-sdk[shacl]'") from exc
    return pyshacl


def load_shapes(shapes: str | Path | bytes) -> rdflib.Graph:
    """Load a SHACL shapes graph (a file path, or Turtle bytes) and repair path-less property shapes.

    Args:
        shapes: A path (``str`` or ``Path``) to a Turtle file, or the Turtle content as bytes.

    Returns:
        The shapes graph, ready for pySHACL.

    Raises:
        ConfigurationError: The file does not exist or is not valid Turtle.
    """
    import rdflib

    graph = rdflib.Graph()
    try:
        if isinstance(shapes, bytes):
            graph.parse(data=shapes.decode("utf-8"), format="turtle")
        else:
            path = Path(shapes)
            if not path.is_file():
                raise ConfigurationError(f"SHACL shapes file not found: {path}")
            graph.parse(path, format="turtle")
    except ConfigurationError:
        raise
    except Exception as exc:  # rdflib parse errors have no common base class
        raise ConfigurationError(f"the SHACL shapes are not valid Turtle: {str(exc).strip()[:200]}") from exc
    _repair_pathless_properties(graph)
    return graph


def _repair_pathless_properties(graph: rdflib.Graph) -> None:
    import rdflib

    sh = rdflib.Namespace(_SH)
    for owner, prop in list(graph.subject_objects(sh.property)):
        if (prop, sh.path, None) in graph:
            continue
        graph.remove((owner, sh.property, prop))
        graph.add((prop, rdflib.URIRef(_RDF_TYPE), sh.NodeShape))
        for target in graph.objects(owner, sh.targetClass):
            graph.add((prop, sh.targetClass, target))


def _data_graph(dataset: HealthDataset | rdflib.Graph | str | bytes) -> rdflib.Graph:
    import rdflib

    if isinstance(dataset, rdflib.Graph):
        return dataset
    if isinstance(dataset, HealthDataset):
        from d4h_sdk.health.healthdcat._jsonld import to_jsonld
        from d4h_sdk.jsonld import to_graph

        return to_graph(to_jsonld(dataset))
    from d4h_sdk.health.healthdcat._reader import parse_graph

    return parse_graph(dataset)


def validate_shacl(
    dataset: HealthDataset | rdflib.Graph | str | bytes,
    *,
    shapes: str | Path | bytes,
    access_level: AccessRights | None = None,
) -> ValidationReport:
    """Validate a dataset with pySHACL against SHACL shapes, e.g. the official R8 ``non-public-shapes.ttl``.

    Args:
        dataset: The model, an rdflib graph, or Turtle / JSON-LD text or bytes (validated as written, not
            normalised).
        shapes: The shapes: a path to the Turtle file (read in place), or its content as bytes.
        access_level: Recorded in the report (the shapes file decides which level is checked).

    Returns:
        A report whose findings come from the SHACL results (``source="shacl"``): ``sh:Violation`` is an
        error, ``sh:Warning`` / ``sh:Info`` a warning.

    Raises:
        ConfigurationError: pyshacl is not installed, or the shapes cannot be read.
        DecodeError: The dataset text cannot be parsed.
    """
    pyshacl = _import_pyshacl()
    shapes_graph = load_shapes(shapes)
    data = _data_graph(dataset)
    try:
        _conforms, results, _text = pyshacl.validate(
            data, shacl_graph=shapes_graph, inference="none", do_owl_imports=False, allow_warnings=True
        )
    except Exception as exc:  # pySHACL raises its own error types for malformed shapes
        raise DecodeError(f"SHACL validation could not run: {str(exc).strip()[:300]}") from exc
    return ValidationReport(access_level=access_level, findings=tuple(_findings(results)))


def _short(iri: str) -> str:
    for prefix, namespace in NS.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _findings(results: rdflib.Graph) -> list[Finding]:
    import rdflib

    sh = rdflib.Namespace(_SH)
    out: list[Finding] = []
    for result in results.subjects(rdflib.URIRef(_RDF_TYPE), sh.ValidationResult):
        severity = results.value(result, sh.resultSeverity)
        focus = results.value(result, sh.focusNode)
        path = results.value(result, sh.resultPath)
        message = results.value(result, sh.resultMessage)
        value = results.value(result, sh.value)
        text = str(message) if message is not None else "constraint not met"
        if value is not None and value != focus:
            text = f"{text} (value: {value})"
        out.append(
            Finding(
                severity=Severity.ERROR if severity == sh.Violation else Severity.WARNING,
                path=str(focus) if isinstance(focus, rdflib.URIRef) else "(blank node)",
                property=_short(str(path)) if isinstance(path, rdflib.URIRef) else "",
                message=text,
                source="shacl",
            )
        )
    out.sort(key=lambda f: (f.severity.value, f.path, f.property, f.message))
    return out
