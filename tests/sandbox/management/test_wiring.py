"""Sandbox wiring: URLs, keys, the facade's own DspConnector, clean shutdown."""

from __future__ import annotations

import threading

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.connectors import Connector, Provider
from d4h_sdk.errors import APIConnectionError, ConfigurationError
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import Mgmt, catalog_request, datasets_of


def test_consumer_connector_is_the_facades_dsp_connector(sandbox: Sandbox) -> None:
    connector = sandbox.consumer_connector("research-lab")
    assert isinstance(connector, Connector) and connector.kind == "dsp"
    assert sandbox.consumer_connector("research-lab") is connector
    page = connector.request_catalog(Provider(sandbox.provider_url, participant_id=sandbox.provider.did))
    assert page.catalog.datasets
    with pytest.raises(ConfigurationError, match="hospital"):
        sandbox.consumer_connector("hospital")
    with pytest.raises(ConfigurationError, match="nobody"):
        sandbox.management_url("nobody")


def test_close_stops_the_facades_and_their_connectors() -> None:
    before = {t for t in threading.enumerate() if t.is_alive()}
    with Sandbox(seed=5, patients=5) as ds, HttpClient(timeout=(2, 10), max_retries=0) as http:
        lab = Mgmt(http, ds.management_url("research-lab"), ds.management_api_key("research-lab"))
        assert datasets_of(lab.ok("POST", "/catalog/request", catalog_request(ds, lab.context)))
        url = ds.management_url("research-lab")
    leaked = [
        t.name for t in set(threading.enumerate()) - before if t.is_alive() and t.name.startswith("d4h-")
    ]
    assert leaked == []
    with HttpClient(timeout=(1, 1), max_retries=0) as http, pytest.raises(APIConnectionError):
        http.post(f"{url}/v3/catalog/request", json={})
