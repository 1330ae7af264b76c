"""Version discovery through /.well-known/dspace-version, and catalog requests with pagination."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from d4h_sdk.connectors import DSP_2024_1, DSP_2025_1, Provider
from d4h_sdk.connectors._dsp import DspConnector
from d4h_sdk.errors import ConfigurationError, NotFoundError
from d4h_sdk.sandbox._http_server import LoopbackServer, Router, json_response
from d4h_sdk.sandbox._sandbox import Sandbox


@pytest.fixture
def versions_server() -> Iterator[tuple[LoopbackServer, dict[str, Any]]]:
    """Serves a configurable version document at <root>/connector/.well-known/dspace-version."""
    document: dict[str, Any] = {}
    router = Router()
    router.add(
        "GET", "/connector/.well-known/dspace-version", lambda request, params: json_response(document)
    )
    with LoopbackServer(router, name="versions") as server:
        yield server, document


def test_discovery_from_the_root_prefers_2025_1(sandbox: Sandbox, dsp: DspConnector) -> None:
    endpoint = dsp.endpoint(Provider(sandbox.connector.url, participant_id=sandbox.provider.did))
    assert endpoint.base == sandbox.connector.dsp_url("2025-1") and endpoint.dialect == "dsp-2025-1"


def test_protocol_and_preference_choose_the_version(sandbox: Sandbox) -> None:
    root = sandbox.connector.url
    with DspConnector(participant_id="did:web:x", token_source=None, versions=("2024/1",)) as dsp:
        assert dsp.endpoint(Provider(root)).version == "2024-1"
        assert dsp.endpoint(Provider(root, protocol=DSP_2025_1)).base == f"{root}/2025-1"
    with DspConnector(participant_id="did:web:x", token_source=None) as dsp:
        assert dsp.endpoint(Provider(root, protocol=DSP_2024_1)).base == f"{root}/2024-1"
        with pytest.raises(ConfigurationError, match="not DSP"):
            dsp.endpoint(Provider(root, protocol="edc-v3"))


def test_an_address_that_already_names_a_version(sandbox: Sandbox, dsp: DspConnector) -> None:
    for version in ("2025-1", "2024-1"):
        address = sandbox.connector.dsp_url(version)
        endpoint = dsp.endpoint(Provider(address, participant_id=sandbox.provider.did))
        assert endpoint.base == address and endpoint.version == version


@pytest.mark.parametrize(
    "document",
    [
        {"protocolVersions": [{"version": "2024/1", "path": "/2024/1", "binding": "HTTPS"}]},  # EDC
        {
            "@context": "https://w3id.org/dspace/2024/1/context.json",
            "protocolVersions": [{"version": "2024-1", "path": "/2024/1"}],
        },
    ],
)
def test_edc_spelling_and_the_2024_shape(
    versions_server: tuple[LoopbackServer, dict[str, Any]], document: dict[str, Any]
) -> None:
    server, served = versions_server
    served.update(document)
    with DspConnector(participant_id="did:web:x", token_source=None) as dsp:
        endpoint = dsp.endpoint(Provider(server.url + "/connector"))
    # the path is relative to where the document was found
    assert endpoint.base == server.url + "/connector/2024/1" and endpoint.dialect == "dsp-2024-1"


def test_no_common_version_or_no_document(versions_server: tuple[LoopbackServer, dict[str, Any]]) -> None:
    server, served = versions_server
    served["protocolVersions"] = [{"version": "0.8", "path": "/", "binding": "HTTPS"}]
    with DspConnector(participant_id="did:web:x", token_source=None) as dsp:
        with pytest.raises(ConfigurationError, match=r"serves DSP versions 0\.8"):
            dsp.endpoint(Provider(server.url + "/connector"))
        with pytest.raises(ConfigurationError, match="dspace-version"):
            dsp.endpoint(Provider(server.url + "/elsewhere"))
        # a versioned address is used as it is when nothing can be discovered
        assert (
            dsp.endpoint(Provider(server.url + "/elsewhere/2025-1")).base == server.url + "/elsewhere/2025-1"
        )


def test_catalog_pages_follow_the_link_header(
    sandbox: Sandbox, provider: Provider, dsp: DspConnector
) -> None:
    ids: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = dsp.request_catalog(provider, cursor=cursor)
        pages += 1
        assert len(page.catalog.datasets) <= 2
        ids += [d.id or "" for d in page.catalog.datasets]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages >= 2
    assert sorted(ids) == sorted({d.id for d in sandbox.datasets} & set(ids)) and len(ids) == len(set(ids))
    assert "diabetes-sample" in ids
    one = dsp.request_catalog(provider, page_size=1)
    assert len(one.catalog.datasets) == 1 and one.next_cursor is not None


def test_catalog_cursor_must_stay_on_the_provider(provider: Provider, dsp: DspConnector) -> None:
    with pytest.raises(ConfigurationError, match="another origin"):
        dsp.request_catalog(provider, cursor="http://evil.example/2025-1/catalog/request?offset=2")
    with pytest.raises(ConfigurationError, match="page_size"):
        dsp.request_catalog(provider, page_size=0)


@pytest.mark.parametrize("protocol", [DSP_2025_1, DSP_2024_1])
def test_get_dataset(sandbox: Sandbox, dsp: DspConnector, protocol: str) -> None:
    provider = Provider(sandbox.connector.url, participant_id=sandbox.provider.did, protocol=protocol)
    dataset = dsp.get_dataset(provider, "diabetes-sample")
    assert dataset.id == "diabetes-sample" and dataset.offers
    with pytest.raises(NotFoundError):
        dsp.get_dataset(provider, "no-such-dataset")
