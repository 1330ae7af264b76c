"""Provider facade: publish an asset (v3 and v4 bodies), find it in the consumer's catalog, negotiate, download."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from d4h_sdk._http import HttpClient
from d4h_sdk.health import HealthDatasetBuilder, to_asset_properties
from d4h_sdk.health.healthdcat import AccessRights, HealthTheme
from d4h_sdk.models._base import canonical_dict
from d4h_sdk.policy import PolicyBuilder, operands, purposes
from d4h_sdk.sandbox._http_server import LoopbackServer, Request, Response, Router
from d4h_sdk.sandbox._sandbox import Sandbox

from .conftest import (
    DSP_2025,
    ODRL_CONTEXT,
    Mgmt,
    catalog_request,
    contract_request,
    datasets_of,
    offers_of,
)

CONTENT = b"patient,hba1c\n1,7.1\n2,6.4\n"


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackServer]:
    """The hospital's internal HTTP source the asset's data address points to."""
    router = Router()

    def serve(request: Request, params: Any) -> Response:
        return Response(CONTENT, content_type="text/csv")

    router.add("GET", "/exports/{name}", serve)
    with LoopbackServer(router, name="origin") as server:
        yield server


@pytest.fixture(scope="module")
def hospital(sandbox: Sandbox, http: HttpClient) -> Mgmt:
    return Mgmt(http, sandbox.management_url("hospital"), sandbox.management_api_key("hospital"))


def _policy(version: str) -> dict[str, Any]:
    offer = (
        PolicyBuilder()
        .require(operands.MEMBERSHIP_STATUS, "active")
        .purposes(purposes.SCIENTIFIC_RESEARCH)
        .offer("unused")
    )
    rules = {k: v for k, v in canonical_dict(offer).items() if k not in ("@id", "@type")}
    policy = {"@type": "Set", **rules}
    return {"@context": ODRL_CONTEXT, **policy} if version == "v3" else policy


def _publish(hospital: Mgmt, asset_id: str, properties: dict[str, Any], url: str) -> None:
    ctx = hospital.context
    hospital.ok(
        "POST",
        "/assets",
        {
            "@context": ctx,
            "@type": "Asset",
            "@id": asset_id,
            "properties": properties,
            "dataAddress": {"@type": "DataAddress", "type": "HttpData", "baseUrl": url},
        },
    )
    hospital.ok(
        "POST",
        "/policydefinitions",
        {
            "@context": ctx,
            "@type": "PolicyDefinition",
            "@id": f"{asset_id}-policy",
            "policy": _policy(hospital.version),
        },
    )
    hospital.ok(
        "POST",
        "/contractdefinitions",
        {
            "@context": ctx,
            "@type": "ContractDefinition",
            "@id": f"{asset_id}-contract",
            "accessPolicyId": f"{asset_id}-policy",
            "contractPolicyId": f"{asset_id}-policy",
            "assetsSelector": [
                {
                    "@type": "Criterion",
                    "operandLeft": "https://w3id.org/edc/v0.0.1/ns/id",
                    "operator": "=",
                    "operandRight": asset_id,
                }
            ],
        },
    )


def _find(lab: Mgmt, sandbox: Sandbox, asset_id: str) -> dict[str, Any] | None:
    catalog = lab.ok("POST", "/catalog/request", catalog_request(sandbox, lab.context, limit=100))
    return next((d for d in datasets_of(catalog) if d["@id"] == asset_id), None)


@pytest.mark.parametrize("version", ["v3", "v4"])
def test_publish_plain_asset_then_negotiate_and_download(
    hospital: Mgmt, lab: Mgmt, sandbox: Sandbox, origin: LoopbackServer, http: HttpClient, version: str
) -> None:
    asset_id = f"lab-results-{version}"
    hospital.version = version
    try:
        _publish(
            hospital,
            asset_id,
            {"name": "Lab results", "description": "HbA1c export", "contenttype": "text/csv"},
            f"{origin.url}/exports/{asset_id}.csv",
        )
    finally:
        hospital.version = "v3"
    assert hospital.ok("GET", f"/assets/{asset_id}")["properties"]["name"] == "Lab results"
    dataset = _find(lab, sandbox, asset_id)
    assert dataset is not None, "the published asset is missing from the consumer's catalog"
    (offer,) = offers_of(dataset)
    again = _find(lab, sandbox, asset_id)
    assert again is not None and offers_of(again)[0]["@id"] == offer["@id"]  # a stable offer id
    assert offer["@id"].count(":") == 2

    body = contract_request(sandbox, lab.context, offer, asset_id)
    negotiation_id = lab.ok("POST", "/contractnegotiations", body)["@id"]
    assert lab.wait_state("contractnegotiations", negotiation_id, {"FINALIZED", "TERMINATED"}) == "FINALIZED"
    agreement_id = lab.ok("GET", f"/contractnegotiations/{negotiation_id}")["contractAgreementId"]
    transfer_id = lab.ok(
        "POST",
        "/transferprocesses",
        {
            "@context": lab.context,
            "@type": "TransferRequest",
            "counterPartyAddress": sandbox.provider_url,
            "counterPartyId": sandbox.provider.did,
            "protocol": DSP_2025,
            "contractId": agreement_id,
            "transferType": "HttpData-PULL",
            "dataDestination": {"type": "HttpProxy"},
        },
    )["@id"]
    assert lab.wait_state("transferprocesses", transfer_id, {"STARTED", "TERMINATED"}) == "STARTED"
    address = lab.ok("GET", f"/edrs/{transfer_id}/dataaddress")
    download = http.get(address["endpoint"], headers={"Authorization": f"Bearer {address['authorization']}"})
    assert download.content == CONTENT
    assert download.headers["Content-Type"].startswith("text/csv")

    hospital.ok("DELETE", f"/contractdefinitions/{asset_id}-contract")
    assert _find(lab, sandbox, asset_id) is None
    assert asset_id not in [d.id for d in sandbox.connector.datasets]


def test_publish_health_asset_keeps_healthdcat(
    hospital: Mgmt, lab: Mgmt, sandbox: Sandbox, origin: LoopbackServer
) -> None:
    health = (
        HealthDatasetBuilder("urn:x:registry", title="Diabetes registry", description="Registry extract")
        .set(
            access_rights=AccessRights.PUBLIC,
            health_themes=(HealthTheme.NONCOMMUNICABLE_DISEASES,),
            number_of_records=42,
        )
        .add("keywords", "registry")
        .build()
    )
    _publish(hospital, "registry", to_asset_properties(health), f"{origin.url}/exports/registry.csv")
    dataset = _find(lab, sandbox, "registry")
    assert dataset is not None
    from d4h_sdk.models import Dataset

    view = Dataset.model_validate(dataset).health
    assert view is not None and view.number_of_records == 42
    assert [t.value for t in view.title] == ["Diabetes registry"]
    published = next(d for d in sandbox.connector.datasets if d.id == "registry")
    assert published.title == "Diabetes registry"

    # deleting the asset withdraws it too
    hospital.ok("DELETE", "/assets/registry")
    assert _find(lab, sandbox, "registry") is None


def test_provider_queries_and_conflicts(hospital: Mgmt, origin: LoopbackServer) -> None:
    asset = {
        "@context": hospital.context,
        "@id": "q-asset",
        "properties": {"name": "Q"},
        "dataAddress": {"type": "HttpData", "baseUrl": f"{origin.url}/exports/q"},
    }
    hospital.ok("POST", "/assets", asset)
    again = hospital.call("POST", "/assets", asset)
    assert again.status_code == 409 and again.json()[0]["type"] == "ObjectConflict"
    found = hospital.ok(
        "POST",
        "/assets/request",
        {
            "@type": "QuerySpec",
            "filterExpression": [{"operandLeft": "id", "operator": "=", "operandRight": "q-asset"}],
        },
    )
    assert [a["@id"] for a in found] == ["q-asset"]
    assert hospital.ok("POST", "/policydefinitions/request", {"limit": 1}) is not None
    hospital.ok("DELETE", "/assets/q-asset")
    assert hospital.call("GET", "/assets/q-asset").status_code == 404
