from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk import JsonLdError
from d4h_sdk.jsonld import BUNDLED_CONTEXTS, DocumentLoader, cache_file_name, expand, fast_expand

CTX = {"@context": {"ex": "http://example.test/ns#", "name": "ex:name"}}


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            hits.append(self.path)
            if self.path == "/big":
                body = b"{" + b" " * (3 * 1024 * 1024) + b"}"
            elif self.path == "/ctx":
                body = json.dumps(CTX).encode()
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def test_unknown_url_is_refused_without_network(no_network: list[object]) -> None:
    url = "https://contexts.example/unknown.jsonld"
    with pytest.raises(JsonLdError, match="is not bundled and not allowed; pass allow="):
        DocumentLoader().load(url)
    for operation in (expand, fast_expand):
        with pytest.raises(JsonLdError, match="not bundled and not allowed"):
            operation({"@context": url, "name": "x"})
    assert no_network == []


def test_bundled_contexts_resolve_offline_with_variants(no_network: list[object]) -> None:
    loader = DocumentLoader()
    for url in BUNDLED_CONTEXTS:
        assert "@context" in loader.load(url)
    odrl = loader.load("http://www.w3.org/ns/odrl.jsonld")
    assert loader.load("https://www.w3.org/ns/odrl.jsonld") == odrl
    assert loader.load("https://w3id.org/edc/connector/management/v2/") == loader.load(
        "http://w3id.org/edc/connector/management/v2"
    )
    assert no_network == []


def test_returned_documents_are_copies() -> None:
    loader = DocumentLoader()
    doc = loader.load("https://www.w3.org/ns/did/v1")
    doc["@context"].clear()
    assert loader.load("https://www.w3.org/ns/did/v1")["@context"]
    given = {"@context": {"a": "http://a/"}}
    explicit = DocumentLoader(documents={"urn:ctx": given})
    given["@context"]["a"] = "http://changed/"
    assert explicit.load("urn:ctx") == {"@context": {"a": "http://a/"}}


def test_explicit_documents_win_over_bundled() -> None:
    url = "https://www.w3.org/ns/did/v1"
    loader = DocumentLoader(documents={url: {"@context": {"id": "@id"}}})
    assert loader.load(url) == {"@context": {"id": "@id"}}
    remote = loader(url, {})
    assert remote == {"contextUrl": None, "documentUrl": url, "document": {"@context": {"id": "@id"}}}


def test_allow_list_downloads_and_fills_cache(server: tuple[str, list[str]], tmp_path: Path) -> None:
    base, hits = server
    url = base + "/ctx"
    loader = DocumentLoader(allow=[url], cache_dir=tmp_path / "cache")
    doc = {"@context": url, "name": "Alice"}
    assert expand(doc, loader=loader) == [{"http://example.test/ns#name": [{"@value": "Alice"}]}]
    assert hits == ["/ctx"]
    cached = tmp_path / "cache" / cache_file_name(url)
    assert json.loads(cached.read_bytes()) == CTX
    assert cache_file_name(url) == hashlib.sha256(url.encode()).hexdigest() + ".jsonld"


def test_http_needs_an_exact_allow_entry(server: tuple[str, list[str]]) -> None:
    base, hits = server
    with pytest.raises(JsonLdError, match="not allowed"):
        DocumentLoader(allow=[base + "/other"]).load(base + "/ctx")
    assert hits == []


def test_download_errors(server: tuple[str, list[str]]) -> None:
    base, _ = server
    with pytest.raises(JsonLdError, match="HTTP 404"):
        DocumentLoader(allow=[base + "/missing"]).load(base + "/missing")
    with pytest.raises(JsonLdError, match="larger than"):
        DocumentLoader(allow=[base + "/big"]).load(base + "/big")


def test_cached_file_is_used_without_network(tmp_path: Path, no_network: list[object]) -> None:
    url = "https://contexts.example/cached.jsonld"
    (tmp_path / cache_file_name(url)).write_text(json.dumps(CTX), encoding="utf-8")
    loader = DocumentLoader(cache_dir=tmp_path)
    doc = {"@context": url, "name": "Bob"}
    assert fast_expand(doc, loader=loader) == [{"http://example.test/ns#name": [{"@value": "Bob"}]}]
    assert expand(doc, loader=loader) == fast_expand(doc, loader=loader)
    assert no_network == []


def test_corrupt_cache_file_is_an_error(tmp_path: Path) -> None:
    url = "https://contexts.example/broken.jsonld"
    (tmp_path / cache_file_name(url)).write_text("{not json", encoding="utf-8")
    with pytest.raises(JsonLdError, match="not valid JSON"):
        DocumentLoader(cache_dir=tmp_path).load(url)
