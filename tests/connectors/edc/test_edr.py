"""EDRs: EDC's v3 EDR cache (also the only EDR API an EDC 0.17/0.18 with Management API v4 serves)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import responses
from responses import matchers

from d4h_sdk import NotFoundError, UnsupportedOperationError, models
from d4h_sdk.connectors._edc import EdcConnector

from .conftest import EDC_NS, MGMT, PROVIDER, V3_RESPONSE_CONTEXT, id_response, response_doc

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjb25zdW1lciJ9.c2lnbmF0dXJl"


def _data_address(**extra: Any) -> dict[str, Any]:
    return {
        "@context": {**V3_RESPONSE_CONTEXT, "tx-auth": "https://w3id.org/tractusx/auth/"},
        "@type": "DataAddress",
        "type": "https://w3id.org/idsa/v4.1/HTTP",
        "endpoint": "http://provider.test/public",
        "authType": "bearer",
        "endpointType": "https://w3id.org/idsa/v4.1/HTTP",
        "authorization": TOKEN,
        **extra,
    }


def _start(mock: responses.RequestsMock, edc: EdcConnector, version: str) -> None:
    mock.post(f"{MGMT}/{version}/transferprocesses", json=id_response(version, "tp-1"))
    edc.start_transfer(PROVIDER, "agr-1")


def test_get_edr_reads_the_cached_data_address(
    mock: responses.RequestsMock, edc: EdcConnector, version: str
) -> None:
    _start(mock, edc, version)
    mock.get(f"{MGMT}/v3/edrs/tp-1/dataaddress", json=_data_address())
    edr = edc.get_edr("tp-1")
    assert isinstance(edr, models.EndpointDataReference)
    # EDC's data plane takes the bare token although the EDR says bearer: by default it is sent as it is.
    assert (edr.endpoint, edr.authorization, edr.auth_type) == ("http://provider.test/public", TOKEN, None)
    assert (edr.transfer_id, edr.agreement_id, edr.expires_at) == ("tp-1", "agr-1", None)
    edc.raw_edr_token = False
    assert edc.get_edr("tp-1").auth_type == "bearer"
    assert TOKEN not in repr(edr)
    assert len(mock.calls) == 3  # the agreement id was known from start_transfer: no extra request


def test_get_edr_looks_up_the_agreement_and_reads_expires_in(mock: responses.RequestsMock) -> None:
    edc = EdcConnector(MGMT, api_version="v3")
    mock.get(f"{MGMT}/v3/edrs/tp-9/dataaddress", json=_data_address(**{"tx-auth:expiresIn": "300"}))
    record = {"@type": "TransferProcess", "@id": "tp-9", "state": "STARTED", "contractId": "agr-9"}
    mock.get(f"{MGMT}/v3/transferprocesses/tp-9", json=response_doc("v3", record))
    before = time.time()
    edr = edc.get_edr("tp-9")
    assert edr.agreement_id == "agr-9"
    assert edr.expires_at is not None and before + 299 <= edr.expires_at <= time.time() + 301


def test_refresh_uses_the_explicit_refresh_call(mock: responses.RequestsMock) -> None:
    edc = EdcConnector(MGMT, api_version="v3")
    mock.post(f"{MGMT}/v3/transferprocesses", json=id_response("v3", "tp-1"))
    edc.start_transfer(PROVIDER, "agr-1")
    mock.post(f"{MGMT}/v3/edrs/tp-1/refresh", json=_data_address(authorization="eyJuZXc.eyJuZXc.c2ln"))
    assert edc.get_edr("tp-1", refresh=True).authorization == "eyJuZXc.eyJuZXc.c2ln"


def test_missing_route_is_unsupported_but_a_missing_entry_is_not_found(mock: responses.RequestsMock) -> None:
    edc = EdcConnector(MGMT, api_version="v4")
    mock.get(f"{MGMT}/v3/edrs/tp-1/dataaddress", status=404, body="")
    with pytest.raises(UnsupportedOperationError, match="EDR cache API"):
        edc.get_edr("tp-1")
    mock.post(f"{MGMT}/v3/edrs/tp-1/refresh", status=405, body="")
    with pytest.raises(UnsupportedOperationError, match="refresh"):
        edc.get_edr("tp-1", refresh=True)
    not_found = [
        {
            "message": "Object of type EndpointDataReferenceEntry with ID=tp-2 was not found",
            "type": "ObjectNotFound",
            "path": None,
            "invalidValue": None,
        }
    ]
    mock.get(f"{MGMT}/v3/edrs/tp-2/dataaddress", status=404, json=not_found)
    with pytest.raises(NotFoundError, match="EndpointDataReferenceEntry with ID=tp-2 was not found"):
        edc.get_edr("tp-2")


def test_list_edrs(mock: responses.RequestsMock, edc: EdcConnector) -> None:
    body = {"@context": {"@vocab": EDC_NS}, "@type": "QuerySpec", "offset": 0, "limit": 5}
    entry = {
        "@context": V3_RESPONSE_CONTEXT,
        "@type": "EndpointDataReferenceEntry",
        "@id": "tp-1",
        "transferProcessId": "tp-1",
        "agreementId": "agr-1",
        "assetId": "asset-1",
        "providerId": "did:web:provider.test",
        "contractNegotiationId": "neg-1",
        "createdAt": 1,
    }
    mock.post(f"{MGMT}/v3/edrs/request", json=[entry], match=[matchers.json_params_matcher(body)])
    (found,) = edc.list_edrs(models.QuerySpec(limit=5))
    assert (found.transfer_process_id, found.agreement_id, found.contract_negotiation_id) == (
        "tp-1",
        "agr-1",
        "neg-1",
    )
