"""did:web <-> URL mapping: the official vectors plus the SDK's own negative cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.identity.did import DidWebParts, did_web_to_url, parse_did_web, url_to_did_web


def _vectors(shared: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared / "didweb" / "did-web-url-vectors.json").read_text())
    return data


def test_every_valid_vector_maps_both_ways(shared_fixtures: Path) -> None:
    valid = _vectors(shared_fixtures)["valid"]
    assert len(valid) == 7
    for vector in valid:
        assert did_web_to_url(vector["did"]) == vector["url"], vector["source"]
        assert url_to_did_web(vector["url"]) == vector["did"], vector["source"]


def test_every_invalid_vector_is_rejected(shared_fixtures: Path) -> None:
    invalid = _vectors(shared_fixtures)["invalid"]
    assert len(invalid) == 5
    for vector in invalid:
        with pytest.raises(ConfigurationError, match="not a valid did:web DID"):
            did_web_to_url(vector["did"])


@pytest.mark.parametrize(
    ("did", "why"),
    [
        ("did:web:example.com#key-1", "fragment"),
        ("did:web:example.com?versionId=1", "query"),
        ("did:web:example.com/path", "path"),
        ("did:web:", "empty segment"),
        ("did:web:example.com::alice", "empty segment"),
        ("did:web:10.0.0.1%3A8443", "IP address"),
        ("did:web:example.com%3A0", "port"),
        ("did:web:example.com%3A70000", "port"),
        ("did:web:example.com%3Aabc", "port"),
        ("did:web:exa_mple.com", "domain name"),
        ("did:web:-example.com", "domain name"),
        ("did:web:example.com:a%3Fb", "decodes to"),
        ("did:web:example.com:a%23b", "decodes to"),
        ("did:web:example.com:a%5Cb", "decodes to"),
        ("did:web:example.com:a%0Ab", "decodes to"),
        ("did:web:example.com:a%FFb", "UTF-8"),
        ("did:web:example.com:a%2", "characters outside"),
        ("did:web:example.com:a+b", "characters outside"),
        ("did:web:example.com:a b", "characters outside"),
        ("did:web:example.com:..", "'..'"),
        ("did:key:z6Mkf5rGMoatrSj1f4CyvuHBeXJELe9RPdzo2PKGNCKVtZxP", "did:web:"),
    ],
)
def test_sdk_rejections(did: str, why: str) -> None:
    with pytest.raises(ConfigurationError, match=why):
        did_web_to_url(did)


def test_configuration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        did_web_to_url("did:web:192.168.0.1")


def test_parts_and_http_scheme_for_tests() -> None:
    parts = parse_did_web("did:web:Localhost%3A8443:user:alice")
    assert parts == DidWebParts(host="Localhost", port=8443, path=("user", "alice"))
    assert parts.authority == "localhost:8443"
    assert parts.url("http") == "http://Localhost:8443/user/alice/did.json"
    with pytest.raises(ConfigurationError, match="scheme"):
        parts.url("ftp")


def test_decoded_segments_are_re_encoded_in_the_url() -> None:
    assert (
        did_web_to_url("did:web:example.com:caf%C3%A9:a%20b")
        == "https://example.com/caf%C3%A9/a%20b/did.json"
    )


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://example.com", "did:web:example.com"),
        ("https://example.com/", "did:web:example.com"),
        ("https://example.com/.well-known", "did:web:example.com"),
        ("https://Example.COM/.well-known/did.json", "did:web:example.com"),
        ("https://example.com/user/alice", "did:web:example.com:user:alice"),
        ("https://example.com/user/alice/", "did:web:example.com:user:alice"),
        ("http://localhost:8080/a:b/did.json", "did:web:localhost%3A8080:a%3Ab"),
        ("https://example.com/caf%C3%A9", "did:web:example.com:caf%C3%A9"),
    ],
)
def test_url_to_did_web(url: str, did: str) -> None:
    assert url_to_did_web(url) == did


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/did.json", "https"),
        ("https://example.com/did.json?x=1", "query or fragment"),
        ("https://example.com/did.json#x", "query or fragment"),
        ("https://user:pw@example.com/did.json", "credentials"),
        ("https:///did.json", "no host"),
        ("https://example.com//a/did.json", "empty path segment"),
        ("https://192.168.0.1/did.json", "IP address"),
        ("https://[::1]:8443/did.json", "not a valid did:web DID"),
        ("https://example.com:99999/", "not a valid URL"),
        ("https://example.com/a%2Fb/did.json", "decodes to"),
    ],
)
def test_url_to_did_web_rejects(url: str, why: str) -> None:
    with pytest.raises(ConfigurationError, match=why):
        url_to_did_web(url)


_label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/?#\\%"),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in {".", ".."})


@given(
    host=st.lists(_label, min_size=2, max_size=4)
    .map(".".join)
    .filter(lambda h: not h.replace(".", "").isdigit()),
    port=st.none() | st.integers(1, 65535),
    path=st.lists(_segment, max_size=4),
)
def test_mapping_round_trips(host: str, port: int | None, path: list[str]) -> None:
    from urllib.parse import quote

    authority = host if port is None else f"{host}:{port}"
    url = f"https://{authority}" + "".join("/" + quote(s, safe="") for s in path) + "/did.json"
    did = url_to_did_web(url)
    assert parse_did_web(did) == DidWebParts(host=host, port=port, path=tuple(path))
    assert url_to_did_web(did_web_to_url(did)) == did
