"""Publishing: asset, ODRL policy definitions and contract definition bodies; unpublish; list."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from responses import matchers

from d4h_sdk import ConflictError, jsonld, models
from d4h_sdk.connectors import Publication, PublishedAsset
from d4h_sdk.connectors._edc import EdcConnector
from d4h_sdk.connectors._edc_api import PROFILES
from d4h_sdk.connectors._edc_provider import asset_body, contract_definition_body, policy_definition_body

from .conftest import EDC_NS, MGMT, V3_RESPONSE_CONTEXT, ctx, offer

ODRL = "http://www.w3.org/ns/odrl/2/"
RULES = [
    {
        "action": "use",
        "constraint": [
            {"leftOperand": "https://w3id.org/ds4h/purpose", "operator": "eq", "rightOperand": "research"}
        ],
    }
]


def _publication(**changes: Any) -> Publication:
    return Publication(
        asset_id="asset-1",
        properties={"name": "Diabetes cohort", "http://purl.org/dc/terms/title": "Diabetes cohort"},
        data_address={"type": "HttpData", "baseUrl": "http://fhir.test/export/1"},
        contract_policy=offer(),
        **changes,
    )


def _policy(version: str, policy_id: str) -> dict[str, Any]:
    policy: dict[str, Any] = {"@type": "Set", "permission": RULES}
    if version == "v3":
        policy = {"@context": "http://www.w3.org/ns/odrl.jsonld", **policy}
    return {"@context": ctx(version), "@type": "PolicyDefinition", "@id": policy_id, "policy": policy}


def _expect_post(mock: responses.RequestsMock, url: str, body: dict[str, Any], status: int = 200) -> None:
    mock.post(url, json={"@id": body["@id"]}, status=status, match=[matchers.json_params_matcher(body)])


def test_publish_writes_asset_policy_and_contract_definition(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    base = f"{MGMT}/{version}"
    asset = {
        "@context": ctx(version),
        "@type": "Asset",
        "@id": "asset-1",
        "properties": {"name": "Diabetes cohort", "http://purl.org/dc/terms/title": "Diabetes cohort"},
        "dataAddress": {"@type": "DataAddress", "type": "HttpData", "baseUrl": "http://fhir.test/export/1"},
    }
    contract = {
        "@context": ctx(version),
        "@type": "ContractDefinition",
        "@id": "asset-1-contract",
        "accessPolicyId": "asset-1-policy",
        "contractPolicyId": "asset-1-policy",
        "assetsSelector": [
            {"@type": "Criterion", "operandLeft": EDC_NS + "id", "operator": "=", "operandRight": "asset-1"}
        ],
    }
    _expect_post(mock, f"{base}/assets", asset)
    _expect_post(mock, f"{base}/policydefinitions", _policy(version, "asset-1-policy"))
    _expect_post(mock, f"{base}/contractdefinitions", contract)
    assert edc.publish(_publication()) == PublishedAsset(
        "asset-1", "asset-1-policy", "asset-1-policy", "asset-1-contract"
    )
    assert [call.request.method for call in mock.calls] == ["POST", "POST", "POST"]


def test_a_separate_access_policy_gets_its_own_definition(mock: responses.RequestsMock) -> None:
    edc = EdcConnector(MGMT, api_version="v3")
    public = models.Offer(permission=(models.Permission(action="use"),))
    mock.post(f"{MGMT}/v3/assets", json={"@id": "asset-1"})
    _expect_post(mock, f"{MGMT}/v3/policydefinitions", _policy("v3", "asset-1-policy"))
    access = {
        "@context": ctx("v3"),
        "@type": "PolicyDefinition",
        "@id": "asset-1-policy-access",
        "policy": {
            "@context": "http://www.w3.org/ns/odrl.jsonld",
            "@type": "Set",
            "permission": [{"action": "use"}],
        },
    }
    _expect_post(mock, f"{MGMT}/v3/policydefinitions", access)
    mock.post(f"{MGMT}/v3/contractdefinitions", json={"@id": "asset-1-contract"})
    published = edc.publish(_publication(access_policy=public))
    assert published.access_policy_id == "asset-1-policy-access"
    assert b'"accessPolicyId":"asset-1-policy-access"' in (mock.calls[-1].request.body or b"")


@pytest.mark.parametrize("version", ["v3", "v4"])
def test_bodies_mean_what_edc_expects_as_json_ld(version: str) -> None:
    profile = PROFILES[version]
    expanded = jsonld.expand(policy_definition_body(profile, "p-1", offer()))[0]
    assert expanded["@type"] == [EDC_NS + "PolicyDefinition"]
    policy = expanded[EDC_NS + "policy"][0]
    assert policy["@type"] == [ODRL + "Set"]
    permission = policy[ODRL + "permission"][0]
    assert permission[ODRL + "action"] == [{"@id": ODRL + "use"}]
    assert permission[ODRL + "constraint"][0][ODRL + "operator"] == [{"@id": ODRL + "eq"}]
    assert ODRL + "target" not in policy and ODRL + "assigner" not in policy
    asset = jsonld.expand(asset_body(profile, _publication()))[0]
    properties = asset[EDC_NS + "properties"][0]
    assert properties["http://purl.org/dc/terms/title"] == [{"@value": "Diabetes cohort"}]
    assert properties[EDC_NS + "name"] == [{"@value": "Diabetes cohort"}]
    address = asset[EDC_NS + "dataAddress"][0]
    assert address[EDC_NS + "type"] == [{"@value": "HttpData"}]
    assert address[EDC_NS + "baseUrl"] == [{"@value": "http://fhir.test/export/1"}]
    definition = jsonld.expand(contract_definition_body(profile, _publication()))[0]
    (selector,) = definition[EDC_NS + "assetsSelector"]
    assert selector[EDC_NS + "operandLeft"] == [{"@value": EDC_NS + "id"}]
    assert selector[EDC_NS + "operandRight"] == [{"@value": "asset-1"}]


def test_a_failed_step_deletes_what_was_created(mock: responses.RequestsMock) -> None:
    edc = EdcConnector(MGMT, api_version="v3")
    mock.post(f"{MGMT}/v3/assets", json={"@id": "asset-1"})
    mock.post(f"{MGMT}/v3/policydefinitions", json={"@id": "asset-1-policy"})
    conflict = [{"message": "ContractDefinition asset-1-contract already exists", "type": "ObjectConflict"}]
    mock.post(f"{MGMT}/v3/contractdefinitions", status=409, json=conflict)
    mock.delete(f"{MGMT}/v3/policydefinitions/asset-1-policy", status=204)
    mock.delete(f"{MGMT}/v3/assets/asset-1", status=204)
    with pytest.raises(ConflictError, match="already exists"):
        edc.publish(_publication())
    assert [call.request.method for call in mock.calls][-2:] == ["DELETE", "DELETE"]
    assert mock.calls[-1].request.url == f"{MGMT}/v3/assets/asset-1"


def _definitions() -> list[dict[str, Any]]:
    return [
        {
            "@context": V3_RESPONSE_CONTEXT,
            "@id": "asset-1-contract",
            "@type": "ContractDefinition",
            "accessPolicyId": "shared-access",
            "contractPolicyId": "asset-1-policy",
            "assetsSelector": {
                "@type": "Criterion",
                "operandLeft": EDC_NS + "id",
                "operator": "=",
                "operandRight": "asset-1",
            },
        },
        {
            "@context": V3_RESPONSE_CONTEXT,
            "@id": "asset-2-contract",
            "@type": "edc:ContractDefinition",
            "edc:accessPolicyId": "shared-access",
            "edc:contractPolicyId": "asset-2-policy",
            "edc:assetsSelector": [
                {"@type": "Criterion", "operandLeft": "id", "operator": "in", "operandRight": ["asset-2"]}
            ],
        },
        {
            "@context": V3_RESPONSE_CONTEXT,
            "@id": "all-assets",
            "accessPolicyId": "p",
            "contractPolicyId": "p",
        },
    ]


def _query(version: str) -> list[Any]:
    body = {"@context": ctx(version), "@type": "QuerySpec", "offset": 0, "limit": 100}
    return [matchers.json_params_matcher(body)]


def test_unpublish_deletes_definition_unshared_policies_and_asset(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    base = f"{MGMT}/{version}"
    mock.post(f"{base}/contractdefinitions/request", json=_definitions(), match=_query(version))
    mock.delete(f"{base}/contractdefinitions/asset-1-contract", status=204)
    mock.delete(f"{base}/policydefinitions/asset-1-policy", status=204)
    mock.delete(f"{base}/assets/asset-1", status=204)
    edc.unpublish("asset-1")
    deleted = [call.request.url for call in mock.calls if call.request.method == "DELETE"]
    assert f"{base}/policydefinitions/shared-access" not in deleted  # still used by asset-2's definition
    assert len(deleted) == 3


def test_list_published_pairs_definitions_with_existing_assets(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    base = f"{MGMT}/{version}"
    mock.post(f"{base}/assets/request", json=[{"@id": "asset-2"}, {"@id": "orphan"}], match=_query(version))
    mock.post(f"{base}/contractdefinitions/request", json=_definitions(), match=_query(version))
    assert edc.list_published() == [
        PublishedAsset("asset-2", "asset-2-policy", "shared-access", "asset-2-contract")
    ]


def test_listing_pages_past_100(mock: responses.RequestsMock) -> None:
    edc = EdcConnector(MGMT, api_version="v3")
    first = [{"@id": f"a-{i}"} for i in range(100)]
    mock.post(f"{MGMT}/v3/assets/request", json=first, match=_query("v3"))
    second = {"@context": ctx("v3"), "@type": "QuerySpec", "offset": 100, "limit": 100}
    mock.post(
        f"{MGMT}/v3/assets/request", json=[{"@id": "asset-1"}], match=[matchers.json_params_matcher(second)]
    )
    mock.post(f"{MGMT}/v3/contractdefinitions/request", json=_definitions()[:1], match=_query("v3"))
    assert [item.asset_id for item in edc.list_published()] == ["asset-1"]
