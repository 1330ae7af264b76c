"""Consumer facade: catalog pagination, negotiation to FINALIZED, EDR download, transfer moves, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from d4h_sdk import wire
from d4h_sdk._http import HttpClient
from d4h_sdk.models import Catalog, EdcContractNegotiation, EdcTransferProcess, EndpointDataReference
from d4h_sdk.policy import purposes
from d4h_sdk.sandbox._sandbox import AD_COMPANY, Sandbox

from .conftest import (
    DSP_2025,
    Mgmt,
    catalog_request,
    contract_request,
    datasets_of,
    offers_of,
)

DATASET = "diabetes-sample"


def _offer(lab: Mgmt, sandbox: Sandbox, dataset_id: str = DATASET) -> dict[str, Any]:
    body = catalog_request(sandbox, lab.context, offset=0, limit=50)
    catalog = lab.ok("POST", "/catalog/request", body)
    dataset = next(d for d in datasets_of(catalog) if d["@id"] == dataset_id)
    return offers_of(dataset)[0]


def _negotiate(lab: Mgmt, sandbox: Sandbox, dataset_id: str = DATASET, **kwargs: Any) -> str:
    body = contract_request(sandbox, lab.context, _offer(lab, sandbox, dataset_id), dataset_id, **kwargs)
    created = lab.ok("POST", "/contractnegotiations", body)
    assert created["@type"] == "IdResponse" and isinstance(created["createdAt"], int)
    return str(created["@id"])


def _agreement(lab: Mgmt, sandbox: Sandbox) -> str:
    negotiation_id = _negotiate(lab, sandbox)
    assert lab.wait_state("contractnegotiations", negotiation_id, {"FINALIZED", "TERMINATED"}) == "FINALIZED"
    return str(lab.ok("GET", f"/contractnegotiations/{negotiation_id}")["contractAgreementId"])


def _transfer(lab: Mgmt, sandbox: Sandbox, agreement_id: str) -> str:
    body = {
        "@context": lab.context,
        "@type": "TransferRequest",
        "counterPartyAddress": sandbox.provider_url,
        "counterPartyId": sandbox.provider.did,
        "protocol": DSP_2025,
        "contractId": agreement_id,
        "transferType": "HttpData-PULL",
    }
    if lab.version == "v3":
        body["dataDestination"] = {"type": "HttpProxy"}
    transfer_id = str(lab.ok("POST", "/transferprocesses", body)["@id"])
    assert lab.wait_state("transferprocesses", transfer_id, {"STARTED", "TERMINATED"}) == "STARTED"
    return transfer_id


def test_catalog_pages_over_the_provider_pages(lab: Mgmt, sandbox: Sandbox) -> None:
    # the sandbox provider pages by 2: the facade walks the DSP pages to serve offset/limit
    everything = lab.ok("POST", "/catalog/request", catalog_request(sandbox, lab.context, offset=0, limit=50))
    ids = [d["@id"] for d in datasets_of(everything)]
    assert ids == ["diabetes-cohort", "oncology-cohort", "diabetes-sample", "benchmark-file"]
    assert everything["@context"] == {"@vocab": "https://w3id.org/edc/v0.0.1/ns/"}
    page = lab.ok("POST", "/catalog/request", catalog_request(sandbox, lab.context, offset=1, limit=2))
    assert [d["@id"] for d in datasets_of(page)] == ids[1:3]
    last = lab.ok("POST", "/catalog/request", catalog_request(sandbox, lab.context, offset=3, limit=2))
    assert [d["@id"] for d in datasets_of(last)] == ids[3:]
    no_query = lab.ok("POST", "/catalog/request", catalog_request(sandbox, lab.context))
    assert [d["@id"] for d in datasets_of(no_query)] == ids
    decoded = wire.decode(page, dialect="edc-v3")
    assert isinstance(decoded, Catalog) and decoded.participant_id == sandbox.provider.did
    assert decoded.datasets[0].health is not None


def test_dataset_request(lab: Mgmt, sandbox: Sandbox) -> None:
    body = {**catalog_request(sandbox, lab.context), "@type": "DatasetRequest", "@id": DATASET}
    dataset = lab.ok("POST", "/catalog/dataset/request", body)
    assert dataset["@id"] == DATASET and offers_of(dataset)
    missing = lab.call("POST", "/catalog/dataset/request", {**body, "@id": "no-such-dataset"})
    assert missing.status_code == 404 and missing.json()[0]["type"] == "ObjectNotFound"


def test_negotiation_to_finalized_then_edr_download(lab: Mgmt, sandbox: Sandbox, http: HttpClient) -> None:
    negotiation_id = _negotiate(lab, sandbox)
    assert lab.wait_state("contractnegotiations", negotiation_id, {"FINALIZED", "TERMINATED"}) == "FINALIZED"
    negotiation = wire.decode(lab.ok("GET", f"/contractnegotiations/{negotiation_id}"), dialect="edc-v3")
    assert isinstance(negotiation, EdcContractNegotiation)
    assert negotiation.role == "CONSUMER" and negotiation.counter_party_id == sandbox.provider.did
    assert negotiation.protocol == DSP_2025 and negotiation.contract_agreement_id
    agreement = lab.ok("GET", f"/contractagreements/{negotiation.contract_agreement_id}")
    assert agreement["assetId"] == DATASET and agreement["providerId"] == sandbox.provider.did
    assert agreement["consumerId"] == sandbox.participants["research-lab"].did
    by_negotiation = lab.ok("GET", f"/contractnegotiations/{negotiation_id}/agreement")
    assert by_negotiation["@id"] == negotiation.contract_agreement_id
    query = {
        "@type": "QuerySpec",
        "filterExpression": [{"operandLeft": "id", "operator": "=", "operandRight": negotiation_id}],
    }
    listed = lab.ok("POST", "/contractnegotiations/request", query)
    assert [n["@id"] for n in listed] == [negotiation_id]

    transfer_id = _transfer(lab, sandbox, negotiation.contract_agreement_id)
    process = wire.decode(lab.ok("GET", f"/transferprocesses/{transfer_id}"), dialect="edc-v3")
    assert isinstance(process, EdcTransferProcess)
    assert process.state == "STARTED" and process.contract_id == negotiation.contract_agreement_id
    edrs = lab.ok(
        "POST",
        "/edrs/request",
        {
            "@type": "QuerySpec",
            "filterExpression": [
                {"operandLeft": "transferProcessId", "operator": "=", "operandRight": transfer_id}
            ],
        },
    )
    assert [e["transferProcessId"] for e in edrs] == [transfer_id]
    assert edrs[0]["agreementId"] == negotiation.contract_agreement_id and edrs[0]["assetId"] == DATASET
    address = lab.ok("GET", f"/edrs/{transfer_id}/dataaddress")
    edr = wire.decode(address, dialect="edc-v3")
    assert isinstance(edr, EndpointDataReference) and edr.authorization and edr.endpoint
    body = http.get(edr.endpoint, headers={"Authorization": f"Bearer {edr.authorization}"}).content
    expected = next(d for d in sandbox.datasets if d.id == DATASET).payload().source()
    assert body == b"".join(expected)

    refresh = lab.call("POST", f"/edrs/{transfer_id}/refresh")
    assert refresh.status_code == 501
    assert refresh.json()[0]["type"] == "UnsupportedOperation" and "refresh" in refresh.json()[0]["message"]

    lab.ok("POST", f"/transferprocesses/{transfer_id}/complete")
    assert lab.wait_state("transferprocesses", transfer_id, {"COMPLETED"}) == "COMPLETED"
    assert lab.ok("POST", "/edrs/request", {}) == [] or all(
        e["transferProcessId"] != transfer_id for e in lab.ok("POST", "/edrs/request", {})
    )


def test_transfer_suspend_resume_terminate(lab: Mgmt, sandbox: Sandbox) -> None:
    transfer_id = _transfer(lab, sandbox, _agreement(lab, sandbox))
    lab.ok(
        "POST", f"/transferprocesses/{transfer_id}/suspend", {"@type": "SuspendTransfer", "reason": "pause"}
    )
    assert lab.wait_state("transferprocesses", transfer_id, {"SUSPENDED"}) == "SUSPENDED"
    lab.ok("POST", f"/transferprocesses/{transfer_id}/resume")
    assert lab.wait_state("transferprocesses", transfer_id, {"STARTED"}) == "STARTED"
    lab.ok(
        "POST",
        f"/transferprocesses/{transfer_id}/terminate",
        {"@type": "TerminateTransfer", "reason": "done"},
    )
    assert lab.wait_state("transferprocesses", transfer_id, {"TERMINATED"}) == "TERMINATED"
    again = lab.call("POST", f"/transferprocesses/{transfer_id}/resume")
    assert again.status_code == 409 and again.json()[0]["type"] == "ObjectConflict"
    listed = lab.ok(
        "POST",
        "/transferprocesses/request",
        {
            "@type": "QuerySpec",
            "filterExpression": [{"operandLeft": "state", "operator": "=", "operandRight": "TERMINATED"}],
        },
    )
    assert transfer_id in [t["@id"] for t in listed]


def test_prohibited_purpose_is_terminated_with_error_detail(lab: Mgmt, sandbox: Sandbox) -> None:
    negotiation_id = _negotiate(lab, sandbox, purpose=purposes.ADVERTISING.iri)
    assert lab.wait_state("contractnegotiations", negotiation_id, {"FINALIZED", "TERMINATED"}) == "TERMINATED"
    negotiation = lab.ok("GET", f"/contractnegotiations/{negotiation_id}")
    assert negotiation["state"] == "TERMINATED" and negotiation["errorDetail"]
    assert "contractAgreementId" not in negotiation


def test_refused_participant_sees_nothing_and_is_terminated(
    sandbox: Sandbox, http: HttpClient, lab: Mgmt
) -> None:
    ad = Mgmt(http, sandbox.management_url(AD_COMPANY), sandbox.management_api_key(AD_COMPANY))
    catalog = ad.ok("POST", "/catalog/request", catalog_request(sandbox, ad.context))
    assert datasets_of(catalog) == []
    # the offer seen by the lab, requested by the advertising company: the provider refuses it
    body = contract_request(sandbox, ad.context, _offer(lab, sandbox), DATASET)
    negotiation_id = ad.ok("POST", "/contractnegotiations", body)["@id"]
    assert ad.wait_state("contractnegotiations", negotiation_id, {"FINALIZED", "TERMINATED"}) == "TERMINATED"
    assert ad.ok("GET", f"/contractnegotiations/{negotiation_id}")["errorDetail"]


def test_terminate_negotiation(lab: Mgmt, sandbox: Sandbox) -> None:
    body = contract_request(sandbox, lab.context, _offer(lab, sandbox, "diabetes-cohort"), "diabetes-cohort")
    negotiation_id = lab.ok("POST", "/contractnegotiations", body)["@id"]
    response = lab.call(
        "POST",
        f"/contractnegotiations/{negotiation_id}/terminate",
        {"@type": "TerminateNegotiation", "reason": "no"},
    )
    state = lab.wait_state("contractnegotiations", negotiation_id, {"TERMINATED", "FINALIZED"})
    # a fast provider may finish first: then terminating a final negotiation is a conflict
    assert (response.status_code, state) in ((204, "TERMINATED"), (409, "FINALIZED"), (409, "TERMINATED"))


@pytest.mark.parametrize("version", ["v4"])
def test_v4_paths_full_flow(lab_v4: Mgmt, sandbox: Sandbox, http: HttpClient, version: str) -> None:
    catalog = lab_v4.ok(
        "POST", "/catalog/request", catalog_request(sandbox, lab_v4.context, offset=0, limit=2)
    )
    assert catalog["@context"] == ["https://w3id.org/dspace/2025/1/context.jsonld"]
    assert len(datasets_of(catalog)) == 2
    agreement_id = _agreement(lab_v4, sandbox)
    negotiations = lab_v4.ok(
        "POST", "/contractnegotiations/request", {"@context": lab_v4.context, "@type": "QuerySpec"}
    )
    assert all(n["@context"] == lab_v4.context for n in negotiations)
    transfer_id = _transfer(lab_v4, sandbox, agreement_id)
    # EDC 0.17/0.18 serve the EDR API only under /v3, next to /v4: so does the facade
    assert lab_v4.call("GET", f"/edrs/{transfer_id}/dataaddress").status_code == 404
    address = lab_v4.ok("GET", f"/edrs/{transfer_id}/dataaddress", version="v3")
    assert address["endpoint"].startswith("http://127.0.0.1:")
    state = lab_v4.ok("GET", f"/transferprocesses/{transfer_id}/state")
    assert state == {"@context": lab_v4.context, "@type": "TransferState", "state": "STARTED"}


def test_dsp_2024_1_counter_party(lab: Mgmt, sandbox: Sandbox) -> None:
    address = sandbox.connector.dsp_url("2024-1")
    body = {**catalog_request(sandbox, lab.context), "counterPartyAddress": address}
    body["protocol"] = "dataspace-protocol-http:2024/1"
    catalog = lab.ok("POST", "/catalog/request", body)
    offer = offers_of(next(d for d in datasets_of(catalog) if d["@id"] == DATASET))[0]
    request = contract_request(sandbox, lab.context, offer, DATASET)
    request.update(counterPartyAddress=address, protocol="dataspace-protocol-http")
    refused = lab.call("POST", "/contractnegotiations", request)
    assert refused.status_code == 400 and "DSP 0.8" in refused.json()[0]["message"]
    request["protocol"] = "dataspace-protocol-http:2024/1"
    negotiation_id = lab.ok("POST", "/contractnegotiations", request)["@id"]
    assert lab.wait_state("contractnegotiations", negotiation_id, {"FINALIZED", "TERMINATED"}) == "FINALIZED"
    assert lab.ok("GET", f"/contractnegotiations/{negotiation_id}")["protocol"] == request["protocol"]


def test_one_dataset_page_decodes_with_the_edc_v3_codec(lab: Mgmt, sandbox: Sandbox) -> None:
    page = lab.ok("POST", "/catalog/request", catalog_request(sandbox, lab.context, offset=0, limit=1))
    assert len(datasets_of(page)) == 1
    decoded = wire.decode(page, dialect="edc-v3")
    assert isinstance(decoded, Catalog) and len(decoded.datasets) == 1
