"""Version detection, EDC error bodies, API key and OAuth2 credentials, secrets kept out of reprs and logs."""

from __future__ import annotations

import logging

import pytest
import responses
from responses import matchers

from d4h_sdk import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ServerError,
)
from d4h_sdk._http import HttpClient
from d4h_sdk.connectors._edc import EdcConnector
from d4h_sdk.identity.auth import ClientCredentialsAuth

from .conftest import API_KEY, MGMT, PROVIDER, V2_CONTEXT, catalog, offer, response_doc

PROBE = f"{MGMT}/v4/contractnegotiations/request"
PROBE_BODY = {"@context": [V2_CONTEXT], "@type": "QuerySpec", "offset": 0, "limit": 1}


@pytest.mark.parametrize(("status", "expected"), [(200, "v4"), (400, "v4"), (404, "v3"), (405, "v3")])
def test_detection_probes_v4_once(mock: responses.RequestsMock, status: int, expected: str) -> None:
    mock.post(PROBE, status=status, json=[], match=[matchers.json_params_matcher(PROBE_BODY)])
    edc = EdcConnector(MGMT + "/")
    assert repr(edc) == f"EdcConnector('{MGMT}', api_version='undetected', auth=None)"
    assert edc.api_version == expected
    assert edc.kind == f"edc-{expected}"
    assert len(mock.calls) == 1


def test_detected_version_is_used_for_the_calls(mock: responses.RequestsMock) -> None:
    mock.post(PROBE, status=404, body="")
    mock.post(f"{MGMT}/v3/catalog/request", json=catalog(1))
    page = EdcConnector(MGMT).request_catalog(PROVIDER)
    assert page.next_cursor is None and len(page.catalog.datasets) == 1


def test_detection_surfaces_bad_credentials(mock: responses.RequestsMock) -> None:
    mock.post(
        PROBE,
        status=401,
        json=[{"message": "Request could not be authenticated", "type": "AuthenticationFailed"}],
    )
    with pytest.raises(AuthenticationError, match="could not be authenticated"):
        _ = EdcConnector(MGMT, api_key="wrong-key-123").api_version


def test_edc_400_list_shows_message_type_and_path(mock: responses.RequestsMock) -> None:
    errors = [
        {
            "message": "mandatory value is missing or it is blank",
            "type": "ValidationFailure",
            "path": "https://w3id.org/edc/v0.0.1/ns/counterPartyAddress",
            "invalidValue": None,
        },
        {"message": "protocol is not supported", "type": "ValidationFailure", "path": "protocol"},
    ]
    mock.post(f"{MGMT}/v3/contractnegotiations", status=400, json=errors)
    edc = EdcConnector(MGMT, api_key=API_KEY, api_version="v3")
    with pytest.raises(BadRequestError) as caught:
        edc.start_negotiation(PROVIDER, offer())
    text = str(caught.value)
    assert "HTTP 400" in text and f"POST {MGMT}/v3/contractnegotiations" in text
    assert "mandatory value is missing or it is blank; protocol is not supported" in text
    assert (
        "(EDC errors: 1. ValidationFailure at https://w3id.org/edc/v0.0.1/ns/counterPartyAddress; "
        "2. ValidationFailure at protocol)"
    ) in text
    assert caught.value.status_code == 400 and caught.value.body == errors
    assert isinstance(caught.value.__cause__, BadRequestError)


def test_other_errors_keep_the_http_client_message(mock: responses.RequestsMock) -> None:
    mock.get(f"{MGMT}/v3/transferprocesses/tp-1", status=500, body="boom")
    edc = EdcConnector(MGMT, api_version="v3", http=HttpClient(max_retries=0))
    with pytest.raises(ServerError, match="boom"):
        edc.get_transfer("tp-1")


def test_api_key_is_sent_but_never_shown(
    mock: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    record = {"@type": "TransferProcess", "@id": "tp-1", "state": "STARTED", "type": "CONSUMER"}
    mock.get(f"{MGMT}/v3/transferprocesses/tp-1", json=response_doc("v3", record))
    mock.get(f"{MGMT}/v3/transferprocesses/tp-2", status=400, json=[{"message": f"bad key {API_KEY}"}])
    edc = EdcConnector(MGMT, api_key=API_KEY, api_version="v3")
    with caplog.at_level(logging.DEBUG, logger="d4h_sdk"):
        edc.get_transfer("tp-1")
        with pytest.raises(BadRequestError) as caught:
            edc.get_transfer("tp-2")
    assert mock.calls[0].request.headers["X-Api-Key"] == API_KEY
    assert "sending GET" in caplog.text  # the HTTP layer did log the requests
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(edc) and "ApiKeyAuth" in repr(edc)
    assert API_KEY not in str(caught.value)


def test_api_key_and_auth_are_exclusive() -> None:
    with pytest.raises(ConfigurationError, match="either"):
        EdcConnector(MGMT, api_key=API_KEY, auth=ClientCredentialsAuth("http://idp.test/token", "c", "s"))
    with pytest.raises(ConfigurationError, match="api_version"):
        EdcConnector(MGMT, api_version="v5")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="http"):
        EdcConnector("edc.test/management")


def test_oauth2_client_credentials_token_is_used(mock: responses.RequestsMock) -> None:
    mock.post(
        "http://idp.test/token",
        json={"access_token": "oauth-token-abc", "token_type": "Bearer", "expires_in": 300},
    )
    record = {"@type": "TransferProcess", "@id": "tp-1", "state": "COMPLETED", "type": "CONSUMER"}
    mock.get(f"{MGMT}/v4/transferprocesses/tp-1", json=response_doc("v4", record))
    auth = ClientCredentialsAuth("http://idp.test/token", "c", "s")
    with EdcConnector(MGMT, auth=auth, api_version="v4") as edc:
        assert edc.get_transfer("tp-1").raw_state == "COMPLETED"
    assert "grant_type=client_credentials" in str(mock.calls[0].request.body)
    assert mock.calls[-1].request.headers["Authorization"] == "Bearer oauth-token-abc"
    assert "X-Api-Key" not in mock.calls[-1].request.headers


def test_a_given_http_client_stays_open(mock: responses.RequestsMock) -> None:
    http = HttpClient()
    EdcConnector(MGMT, api_version="v3", http=http).close()
    mock.get("http://elsewhere.test/", body="still open")
    assert http.get("http://elsewhere.test/").text == "still open"
