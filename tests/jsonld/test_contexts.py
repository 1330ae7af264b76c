from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from d4h_sdk.jsonld import BUNDLED_CONTEXTS, DocumentLoader, expand, fast_expand

from ._examples import OFFICIAL, example_documents, load_json, official_loader, our_loader, uses

SEC = "https://w3id.org/security#"


def test_every_bundled_context_is_checked_or_handwritten() -> None:
    handwritten = {"https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"}
    assert set(BUNDLED_CONTEXTS) == set(OFFICIAL) | handwritten


def test_bundled_files_are_our_own_renditions(shared_fixtures: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "d4h_sdk" / "jsonld" / "contexts"
    official = {hashlib.sha256(p.read_bytes()).hexdigest() for p in shared_fixtures.rglob("*") if p.is_file()}
    for name in BUNDLED_CONTEXTS.values():
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() not in official, name


@pytest.mark.parametrize("url", sorted(OFFICIAL))
def test_examples_expand_identically_with_official_and_bundled_context(
    shared_fixtures: Path, url: str
) -> None:
    theirs, ours = official_loader(shared_fixtures), our_loader(shared_fixtures)
    docs = [(name, doc) for name, doc in example_documents(shared_fixtures) if uses(doc, url)]
    for name, doc in docs:
        assert expand(doc, loader=ours) == expand(doc, loader=theirs), name


def _terms(doc: dict[str, Any]) -> set[str]:
    ctx = doc["@context"]
    terms = {k for k in ctx if not k.startswith("@")}
    for value in ctx.values():  # scoped contexts: their terms too
        if isinstance(value, dict) and isinstance(value.get("@context"), dict):
            terms |= {k for k in value["@context"] if not k.startswith("@")}
    return terms


@pytest.mark.parametrize("url", sorted(OFFICIAL))
def test_every_official_term_expands_the_same(shared_fixtures: Path, url: str) -> None:
    # fast_expand (equal to pyld, see test_fast.py) keeps this quick: one context processing per loader.
    theirs, ours = official_loader(shared_fixtures), our_loader(shared_fixtures)
    terms = _terms(load_json(shared_fixtures / OFFICIAL[url]))
    assert terms
    for term in sorted(terms):
        for doc in ({"@context": url, term: "x"}, {"@context": url, "@id": "urn:n", "@type": term}):
            try:
                expected = fast_expand(doc, loader=theirs)
            except Exception as exc:  # noqa: BLE001 - then ours must fail too
                with pytest.raises(type(exc)):
                    fast_expand(doc, loader=ours)
                continue
            assert fast_expand(doc, loader=ours) == expected, (url, term)


def test_comparison_is_sensitive_to_a_changed_term(shared_fixtures: Path) -> None:
    url = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"
    changed = load_json(shared_fixtures / OFFICIAL[url])
    changed["@context"]["permission"]["@id"] = "odrl:duty"
    altered = DocumentLoader(documents={url: changed})
    doc = load_json(shared_fixtures / "dsp/2025-1/examples/negotiation/contract-request-message.json")
    assert expand(doc, loader=altered) != expand(doc)


def test_did_context_on_did_web_documents(shared_fixtures: Path) -> None:
    doc = load_json(shared_fixtures / "didweb/did-web-example-jwk.json")
    node = expand(doc)[0]
    assert node["@id"] == "did:web:example.com"
    assert node[SEC + "authenticationMethod"] == [
        {"@id": "did:web:example.com#key-0"},
        {"@id": "did:web:example.com#key-2"},
    ]
    assert node[SEC + "keyAgreementMethod"][0] == {"@id": "did:web:example.com#key-1"}
    method = node[SEC + "verificationMethod"][0]
    assert method["@type"] == [SEC + "JsonWebKey2020"]
    assert method[SEC + "controller"] == [{"@id": "did:web:example.com"}]
    assert method[SEC + "publicKeyJwk"][0]["@type"] == "@json"

    edc = expand(load_json(shared_fixtures / "didweb/edc-webdid-test-did.json"))[0]
    did = "did:web:github.com:Metaform:web-did-samples:edc:EiDfkaPHt8Yojnh15O7egrj5pA9tTefh_SYtbhF1-XyAeA"
    service = edc["https://www.w3.org/ns/did#service"][0]
    assert service["https://www.w3.org/ns/did#serviceEndpoint"] == [
        {"@id": "https://this.goes.nowhere/myservice-1"}
    ]
    assert edc[SEC + "authenticationMethod"] == [{"@id": did + "#my-key-1"}]


def test_multikey_context() -> None:
    doc = {
        "@context": "https://w3id.org/security/multikey/v1",
        "id": "did:example:123#key-1",
        "type": "Multikey",
        "controller": "did:example:123",
        "publicKeyMultibase": "z6Mkf5rGMoatrSj1f4CyvuHBeXJELe9RPdzo2PKGNCKVtZxP",
        "expires": "2030-01-01T00:00:00Z",
    }
    node = expand(doc)[0]
    assert node["@type"] == [SEC + "Multikey"]
    assert node[SEC + "controller"] == [{"@id": "did:example:123"}]
    assert node[SEC + "publicKeyMultibase"] == [
        {"@type": SEC + "multibase", "@value": doc["publicKeyMultibase"]}
    ]
    assert node[SEC + "expiration"][0]["@type"] == "http://www.w3.org/2001/XMLSchema#dateTime"


def test_multikey_agrees_with_the_ed25519_suite_terms(shared_fixtures: Path) -> None:
    suite = load_json(shared_fixtures / OFFICIAL["https://w3id.org/security/suites/ed25519-2020/v1"])
    official = suite["@context"]["Ed25519VerificationKey2020"]["@context"]["publicKeyMultibase"]
    ours = DocumentLoader().load("https://w3id.org/security/multikey/v1")["@context"]["Multikey"]["@context"]
    assert ours["publicKeyMultibase"]["@id"] == official
