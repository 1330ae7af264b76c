"""Version endpoint and catalog of the sandbox provider, over real HTTP."""

from __future__ import annotations

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.models import Catalog, CatalogRequestMessage
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import Dsp, SchemaCheck

DIALECTS = ("dsp-2025-1", "dsp-2024-1")


def test_sandbox_starts_fast_and_publishes_its_endpoints(sandbox: Sandbox) -> None:
    assert sandbox.start_s < 2.0
    assert sorted(sandbox.participants) == ["ad-company", "hospital", "research-lab"]
    assert sandbox.provider_url.endswith("/2025-1")
    services = {s["type"]: s["serviceEndpoint"] for s in sandbox.provider.did_document["service"]}
    assert services["CatalogService"] == sandbox.provider_url + "/catalog"


def test_version_endpoint_is_unauthenticated_and_schema_valid(
    sandbox: Sandbox, http: HttpClient, schema: SchemaCheck
) -> None:
    response = http.get(sandbox.version_url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert schema("dsp-2025-1", "VersionResponse", body) == []
    assert {(v["version"], v["path"]) for v in body["protocolVersions"]} == {
        ("2025-1", "/2025-1"),
        ("2024-1", "/2024-1"),
    }
    assert all(v["auth"]["protocol"] == "DCP" for v in body["protocolVersions"])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_catalog_depends_on_the_requester(
    sandbox: Sandbox, http: HttpClient, schema: SchemaCheck, dialect: str
) -> None:
    lab = Dsp(sandbox, http, sandbox.participants["research-lab"], dialect)
    ad = Dsp(sandbox, http, sandbox.participants["ad-company"], dialect)
    seen = {}
    for name, client in (("lab", lab), ("ad", ad)):
        response = client.post("/catalog/request", CatalogRequestMessage())
        assert response.status_code == 200, response.text
        assert schema(dialect, "Catalog", response.json()) == []
        catalog = wire.decode(response.content)
        assert isinstance(catalog, Catalog)
        assert catalog.participant_id == sandbox.provider.did
        assert catalog.services[0].endpoint_url == client.base
        seen[name] = {d.id for d in catalog.datasets}
    assert {"diabetes-cohort", "diabetes-sample"} <= seen["lab"]
    assert seen["ad"] < seen["lab"]
    assert seen["ad"] == set()


def test_catalog_datasets_carry_health_metadata_and_distributions(sandbox: Sandbox, http: HttpClient) -> None:
    lab = Dsp(sandbox, http, sandbox.participants["research-lab"], "dsp-2025-1")
    catalog = wire.decode(lab.post("/catalog/request", CatalogRequestMessage()).content)
    assert isinstance(catalog, Catalog)
    dataset = next(d for d in catalog.datasets if d.id == "diabetes-sample")
    assert {d.format for d in dataset.distributions} == {"HttpData-PULL", "HttpData-PUSH"}
    assert [o.id for o in dataset.offers] == ["urn:d4h:sandbox:offer:diabetes-sample:open"]
    assert all(o.target is None and o.assigner == sandbox.provider.did for o in dataset.offers)
    health = dataset.health
    assert health is not None and health.number_of_unique_individuals is not None


@pytest.mark.parametrize("dialect", DIALECTS)
def test_catalog_without_token_is_401_with_a_catalog_error(
    sandbox: Sandbox, http: HttpClient, schema: SchemaCheck, dialect: str
) -> None:
    client = Dsp(sandbox, http, sandbox.participants["research-lab"], dialect)
    response = client.post("/catalog/request", CatalogRequestMessage(), token=False)
    assert response.status_code == 401
    assert schema(dialect, "CatalogError", response.json()) == []
    assert "Authorization" in response.text


def test_catalog_with_a_token_for_another_audience_is_401(sandbox: Sandbox, http: HttpClient) -> None:
    lab = sandbox.participants["research-lab"]
    token = lab.issue_token(sandbox.participants["ad-company"].did)
    response = http.post(
        sandbox.provider_url + "/catalog/request",
        json=wire.encode(CatalogRequestMessage(), dialect="dsp-2025-1"),
        headers={"Authorization": f"Bearer {token}"},
        allow_status=(401,),
    )
    assert response.status_code == 401


def test_catalog_filter_is_refused_with_400(sandbox: Sandbox, http: HttpClient, schema: SchemaCheck) -> None:
    client = Dsp(sandbox, http, sandbox.participants["research-lab"], "dsp-2025-1")
    response = client.post("/catalog/request", CatalogRequestMessage(filter=({"x": 1},)))
    assert response.status_code == 400
    assert schema("dsp-2025-1", "CatalogError", response.json()) == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_dataset_request(sandbox: Sandbox, http: HttpClient, schema: SchemaCheck, dialect: str) -> None:
    lab = Dsp(sandbox, http, sandbox.participants["research-lab"], dialect)
    ad = Dsp(sandbox, http, sandbox.participants["ad-company"], dialect)
    response = lab.get("/catalog/datasets/diabetes-sample")
    assert response.status_code == 200
    assert schema(dialect, "Dataset", response.json()) == []
    assert ad.get("/catalog/datasets/diabetes-sample").status_code == 404
    assert lab.get("/catalog/datasets/no-such-dataset").status_code == 404
    assert lab.get("/catalog/datasets/diabetes-sample", token=False).status_code == 401
