from __future__ import annotations

import logging

import pytest
import requests
import requests.auth
import responses

from d4h_sdk._http import HttpClient
from d4h_sdk.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    D4HError,
    DecodeError,
    EncodeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnprocessableEntityError,
)

URL = "https://peer.example/dsp/negotiations/42"
API_KEY = "sk-live-7f3a9c1e5b2d"
TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjb25zdW1lciJ9.c2lnbmF0dXJl"


class ApiKeyAuth(requests.auth.AuthBase):
    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["X-Api-Key"] = API_KEY
        return r


class BearerAuth(requests.auth.AuthBase):
    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {TOKEN}"
        return r


@pytest.fixture
def mocked() -> responses.RequestsMock:
    with responses.RequestsMock() as rsps:
        yield rsps


def no_sleep(_: float) -> None:
    pass


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (418, APIStatusError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_mapping(mocked: responses.RequestsMock, status: int, cls: type[APIStatusError]) -> None:
    mocked.put(URL + "?page=2&token=t0p", status=status, body=b"")
    with pytest.raises(cls) as info:
        HttpClient(max_retries=0).put(URL, params={"page": "2", "token": "t0p"})
    exc = info.value
    assert type(exc) is cls
    assert exc.status_code == status
    assert exc.request_method == "PUT"
    assert exc.url == URL
    assert exc.body is None
    assert "t0p" not in str(exc)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Request-Id": "a", "X-Correlation-Id": "b", "Request-Id": "c", "traceparent": "d"}, "a"),
        ({"X-Correlation-Id": "b", "Request-Id": "c"}, "b"),
        ({"Request-Id": "c", "traceparent": "d"}, "c"),
        ({"traceparent": "00-abc-def-01"}, "00-abc-def-01"),
        ({}, None),
    ],
)
def test_correlation_id(
    mocked: responses.RequestsMock, headers: dict[str, str], expected: str | None
) -> None:
    mocked.get(URL, status=404, headers=headers)
    with pytest.raises(NotFoundError) as info:
        HttpClient().get(URL)
    assert info.value.correlation_id == expected
    if expected:
        assert str(info.value).startswith(f"Request {expected}: HTTP 404: GET {URL}")


def test_json_body_and_edc_summary(mocked: responses.RequestsMock) -> None:
    body = [{"message": "mandatory value missing", "type": "ValidationFailure", "path": "x"}]
    mocked.post(URL, status=400, json=body)
    with pytest.raises(BadRequestError) as info:
        HttpClient().post(URL, json={"a": 1})
    assert info.value.body == body
    assert "mandatory value missing" in str(info.value)
    assert info.value.dsp_error is None


def test_text_body_truncated(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=500, body="boom " * 1000, content_type="text/plain")
    with pytest.raises(ServerError) as info:
        HttpClient(max_retries=0).get(URL)
    assert isinstance(info.value.body, str) and len(info.value.body) == 2000
    assert "boom boom" in str(info.value) and len(str(info.value)) < 400


def test_reason_phrase_when_body_empty_or_html(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=403, body="<html>denied</html>", content_type="text/html")
    with pytest.raises(PermissionDeniedError, match="Forbidden"):
        HttpClient().get(URL)


@pytest.mark.parametrize(
    "type_",
    ["ContractNegotiationError", "dspace:TransferError", "https://w3id.org/dspace/2025/1/CatalogError"],
)
def test_dsp_error_decoded(mocked: responses.RequestsMock, type_: str) -> None:
    body = {"@type": type_, "code": "400", "reason": ["invalid state transition"]}
    mocked.post(URL, status=400, json=body)
    seen: list[object] = []

    def decode(value: object) -> object:
        seen.append(value)
        return ("model", value)

    with pytest.raises(BadRequestError) as info:
        HttpClient(error_decoder=decode).post(URL, json={})
    assert info.value.dsp_error == ("model", body)
    assert seen == [body]
    assert "400: invalid state transition" in str(info.value)


def test_non_dsp_json_body_not_decoded(mocked: responses.RequestsMock) -> None:
    mocked.post(URL, status=400, json={"@type": "ContractNegotiation", "reason": "x"})
    calls: list[object] = []
    with pytest.raises(BadRequestError) as info:
        HttpClient(error_decoder=calls.append).post(URL, json={})
    assert info.value.dsp_error is None and calls == []


def test_decoder_d4h_error_is_ignored(
    mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.post(URL, status=409, json={"@type": "TransferError", "reason": "dup"})

    def decode(value: object) -> object:
        raise DecodeError("not a message")

    caplog.set_level(logging.DEBUG, logger="d4h_sdk.http")
    with pytest.raises(ConflictError) as info:
        HttpClient(error_decoder=decode).post(URL, json={})
    assert info.value.dsp_error is None
    assert "DSP error body not decoded: DecodeError" in caplog.text


def test_decoder_other_error_propagates(mocked: responses.RequestsMock) -> None:
    mocked.post(URL, status=409, json={"@type": "TransferError"})

    def decode(value: object) -> object:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        HttpClient(error_decoder=decode).post(URL, json={})


def test_echoed_credentials_never_in_exception_text(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=401, json={"message": f"key {API_KEY} is revoked"})
    mocked.get(URL, status=401, json={"message": f"token {TOKEN} expired"})
    with pytest.raises(AuthenticationError) as info:
        HttpClient(auth=ApiKeyAuth()).get(URL)
    assert API_KEY not in str(info.value) and "is revoked" in str(info.value)
    with pytest.raises(AuthenticationError) as info:
        HttpClient(auth=BearerAuth()).get(URL)
    assert TOKEN not in str(info.value) and "expired" in str(info.value)
    assert TOKEN not in repr(info.value)


def test_caller_header_credentials_redacted_from_message(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=403, body=f"bad key {API_KEY}")
    with pytest.raises(PermissionDeniedError) as info:
        HttpClient().get(URL, headers={"X-Api-Key": API_KEY})
    assert API_KEY not in str(info.value)


def test_connection_error_text_has_no_secret_and_keeps_cause(mocked: responses.RequestsMock) -> None:
    cause = requests.ConnectionError(
        f"HTTPSConnectionPool: Max retries exceeded with url: /x?token={API_KEY}"
    )
    mocked.post(URL, body=cause)
    with pytest.raises(APIConnectionError) as info:
        HttpClient(auth=ApiKeyAuth()).post(URL + f"?token={API_KEY}", json={})
    assert info.value.__cause__ is cause
    assert API_KEY not in str(info.value)
    assert info.value.url == URL and info.value.request_method == "POST"
    assert "connection failed (ConnectionError)" in str(info.value)


def test_ssl_error_hint(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, body=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(APIConnectionError, match="check verify="):
        HttpClient(max_retries=0).get(URL)


def test_invalid_json_response(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, body=b"{not json")
    resp = HttpClient().get(URL)
    with pytest.raises(ResponseValidationError) as info:
        resp.json()
    assert info.value.url == URL and info.value.request_method == "GET"
    assert info.value.errors[0]["type"] == "json_invalid"
    assert isinstance(info.value.__cause__, ValueError)


def test_too_deep_json_response(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, body=b"[" * 200_000)
    with pytest.raises(ResponseValidationError):
        HttpClient().get(URL).json()


def test_json_and_data_together_rejected() -> None:
    with pytest.raises(ConfigurationError):
        HttpClient().post(URL, json={}, data=b"x")


def test_unserialisable_json_rejected() -> None:
    with pytest.raises(EncodeError):
        HttpClient().post(URL, json={"x": object()})
    with pytest.raises(EncodeError):
        HttpClient().post(URL, json={"x": float("nan")})


@pytest.mark.parametrize("url", ["not a url", "ftp-less/path", "http://"])
def test_invalid_url_is_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        HttpClient().get(url)


def test_every_error_shares_the_root(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=404)
    with pytest.raises(D4HError):
        HttpClient().get(URL)
