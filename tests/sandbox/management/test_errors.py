"""The facade's EDC error shapes: 401 without the API key, 400 validation lists, 404 ObjectNotFound."""

from __future__ import annotations

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.sandbox._sandbox import RESEARCH_LAB, Sandbox

from .conftest import Mgmt, catalog_request


@pytest.mark.parametrize("key", ["", "wrong-key"], ids=["missing", "wrong"])
@pytest.mark.parametrize("version", ["v3", "v4"])
def test_api_key_is_required(lab: Mgmt, sandbox: Sandbox, key: str, version: str) -> None:
    response = lab.call(
        "POST", "/catalog/request", catalog_request(sandbox, lab.context), key=key, version=version
    )
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Request could not be authenticated", "type": "AuthenticationFailed"}
    ]
    unknown = lab.call("GET", "/contractnegotiations/x", key=key, version=version)
    assert unknown.status_code == 401


def test_keys_are_per_participant(sandbox: Sandbox, http: HttpClient) -> None:
    keys = {name: sandbox.management_api_key(name) for name in ("hospital", "research-lab", "ad-company")}
    assert len(set(keys.values())) == 3
    hospital = Mgmt(http, sandbox.management_url("hospital"), keys["research-lab"])
    assert hospital.call("POST", "/assets/request", {}).status_code == 401
    assert sandbox.management_url(RESEARCH_LAB).endswith("/research-lab/api/management")


def test_unknown_ids_are_object_not_found(lab: Mgmt) -> None:
    for path in (
        "/contractnegotiations/urn:uuid:nope",
        "/contractnegotiations/urn:uuid:nope/state",
        "/contractagreements/nope",
        "/transferprocesses/nope",
        "/transferprocesses/nope/state",
        "/edrs/nope/dataaddress",
    ):
        response = lab.call("GET", path)
        assert response.status_code == 404, path
        (detail,) = response.json()
        assert detail["type"] == "ObjectNotFound" and "nope" in detail["message"]
    assert lab.call("POST", "/transferprocesses/nope/suspend", {}).status_code == 404
    assert lab.call("GET", "/no/such/resource").json()[0]["type"] == "ObjectNotFound"


def test_validation_failures_list_the_field(lab: Mgmt, sandbox: Sandbox) -> None:
    body = catalog_request(sandbox, lab.context)
    del body["counterPartyAddress"]
    response = lab.call("POST", "/catalog/request", body)
    assert response.status_code == 400
    (detail,) = response.json()
    assert detail["type"] == "ValidationFailure" and detail["path"] == "counterPartyAddress"

    bad_protocol = lab.call(
        "POST", "/catalog/request", {**catalog_request(sandbox, lab.context), "protocol": "ids"}
    )
    assert bad_protocol.status_code == 400 and bad_protocol.json()[0]["path"] == "protocol"

    bad_paging = lab.call("POST", "/catalog/request", catalog_request(sandbox, lab.context, offset=-1))
    assert bad_paging.status_code == 400 and bad_paging.json()[0]["path"] == "querySpec.offset"

    not_json = lab.http.request(
        "POST",
        f"{lab.base}/v3/contractnegotiations",
        data=b"{nope",
        headers={"X-Api-Key": lab.api_key, "Content-Type": "application/json"},
        allow_status=range(400, 600),
    )
    assert not_json.status_code == 400 and not_json.json()[0]["type"] == "InvalidRequest"

    no_target = {
        "@context": lab.context,
        "@type": "ContractRequest",
        "counterPartyAddress": sandbox.provider_url,
        "protocol": "dataspace-protocol-http:2025-1",
        "policy": {"@type": "Offer", "@id": "x", "assigner": sandbox.provider.did, "permission": []},
    }
    response = lab.call("POST", "/contractnegotiations", no_target)
    assert response.status_code == 400 and response.json()[0]["path"] == "policy.target"

    transfer = {
        "@context": lab.context,
        "@type": "TransferRequest",
        "counterPartyAddress": sandbox.provider_url,
        "protocol": "dataspace-protocol-http:2025-1",
        "contractId": "unknown-agreement",
        "transferType": "HttpData-PULL",
    }
    response = lab.call("POST", "/transferprocesses", transfer)
    assert response.status_code == 400 and response.json()[0]["path"] == "contractId"


def test_provider_facade_refuses_bad_resources(sandbox: Sandbox, http: HttpClient) -> None:
    hospital = Mgmt(http, sandbox.management_url("hospital"), sandbox.management_api_key("hospital"))
    ftp = {
        "@context": hospital.context,
        "@id": "ftp-asset",
        "properties": {},
        "dataAddress": {"type": "Ftp", "baseUrl": "ftp://x"},
    }
    response = hospital.call("POST", "/assets", ftp)
    assert response.status_code == 400 and response.json()[0]["path"] == "dataAddress"
    assert hospital.call("POST", "/assets", {"properties": {}}).json()[0]["path"] == "@id"
    missing = hospital.call("DELETE", "/assets/nope")
    assert missing.status_code == 404 and missing.json()[0]["type"] == "ObjectNotFound"
    no_policy = hospital.call("POST", "/contractdefinitions", {"@id": "cd", "accessPolicyId": "p"})
    assert no_policy.status_code == 400 and no_policy.json()[0]["path"] == "contractPolicyId"


def test_cli_description_lists_management_apis(sandbox: Sandbox) -> None:
    from d4h_sdk.cli._sandbox_cmd import describe

    text = describe(sandbox)
    for name in ("hospital", "research-lab", "ad-company"):
        assert sandbox.management_url(name) in text
        assert f"{sandbox.management_api_key(name)}  (sandbox-only)" in text
