from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from d4h_sdk import JsonLdError
from d4h_sdk.jsonld import CatalogGraph, compact, expand, to_graph

from ._examples import load_json

DSP25 = "https://w3id.org/dspace/2025/1/context.jsonld"


def test_compact_round_trip(shared_fixtures: Path) -> None:
    doc = load_json(shared_fixtures / "dsp/2025-1/examples/negotiation/contract-negotiation.json")
    compacted = compact(expand(doc), [DSP25])
    assert compacted == {**doc, "@context": DSP25}  # pyld writes a one-element context as a string


def test_compact_accepts_a_context_document() -> None:
    doc = {"@context": {"ex": "http://ex.org/"}, "ex:p": "v"}
    assert compact(doc, {"@context": {"p": "http://ex.org/p"}}) == {
        "@context": {"p": "http://ex.org/p"},
        "p": "v",
    }


def test_pyld_errors_become_jsonld_errors() -> None:
    with pytest.raises(JsonLdError, match="expansion failed") as info:
        expand({"@context": {"@vocab": 5}, "a": 1})
    assert info.value.__cause__ is not None


def test_to_graph_and_catalog_graph(shared_fixtures: Path) -> None:
    doc = load_json(shared_fixtures / "dsp/2025-1/examples/catalog/catalog.json")
    graph = to_graph(doc)
    assert len(graph) > 5
    view = CatalogGraph(doc)
    assert "not built" in repr(view)
    rows = view.query(
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?d WHERE { ?c a dcat:Catalog ; dcat:dataset ?d }"
    )
    assert [str(row[0]) for row in rows] == ["urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88"]
    assert "built" in repr(view)
    assert view.query("ASK { ?s ?p ?o }") == [(True,)]
    with pytest.raises(JsonLdError, match="SPARQL query failed"):
        view.query("SELECT nonsense")


def test_import_d4h_sdk_does_not_load_pyld_or_rdflib() -> None:
    code = (
        "import sys, d4h_sdk, d4h_sdk.jsonld; "
        "print(any(m in sys.modules for m in ('pyld', 'rdflib', 'requests')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
