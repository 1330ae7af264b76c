from __future__ import annotations

import email.utils
import logging
import time

import pytest
import requests
import responses

from d4h_sdk._http import HttpClient, Timeout
from d4h_sdk._http_retry import parse_retry_after
from d4h_sdk.config import INITIAL_RETRY_DELAY, MAX_RETRY_DELAY
from d4h_sdk.errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    RateLimitError,
    ServerError,
)

URL = "https://peer.example/api/items"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def mocked() -> responses.RequestsMock:
    with responses.RequestsMock() as rsps:
        yield rsps


def test_get_retried_on_503_with_backoff_then_succeeds(
    mocked: responses.RequestsMock, sleeps: Sleeps
) -> None:
    mocked.get(URL, status=503)
    mocked.get(URL, status=502)
    mocked.get(URL, json={"ok": True})
    client = HttpClient(sleep=sleeps)
    assert client.get(URL).json() == {"ok": True}
    assert len(mocked.calls) == 3
    assert len(sleeps) == 2
    assert INITIAL_RETRY_DELAY <= sleeps[0] <= 2 * INITIAL_RETRY_DELAY
    assert 2 * INITIAL_RETRY_DELAY <= sleeps[1] <= 3 * INITIAL_RETRY_DELAY


def test_backoff_is_capped(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    for _ in range(7):
        mocked.get(URL, status=504)
    with pytest.raises(ServerError) as info:
        HttpClient(sleep=sleeps, max_retries=6).get(URL)
    assert info.value.status_code == 504
    assert len(mocked.calls) == 7 and len(sleeps) == 6
    assert max(sleeps) <= MAX_RETRY_DELAY


def test_exhausted_retries_raise_mapped_error(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    for _ in range(3):
        mocked.get(URL, status=503, json={"message": "down"})
    with pytest.raises(ServerError, match="down"):
        HttpClient(sleep=sleeps).get(URL)
    assert len(mocked.calls) == 3


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_each_retry_status_is_retried(mocked: responses.RequestsMock, sleeps: Sleeps, status: int) -> None:
    mocked.get(URL, status=status)
    mocked.get(URL, body=b"fine")
    assert HttpClient(sleep=sleeps).get(URL).content == b"fine"
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [400, 404, 500, 501])
def test_other_statuses_not_retried(mocked: responses.RequestsMock, sleeps: Sleeps, status: int) -> None:
    mocked.get(URL, status=status)
    with pytest.raises(Exception):  # noqa: B017 - the class mapping is tested elsewhere
        HttpClient(sleep=sleeps).get(URL)
    assert len(mocked.calls) == 1 and sleeps == []


def test_retry_after_seconds_honoured(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "7"})
    mocked.get(URL, body=b"ok")
    HttpClient(sleep=sleeps).get(URL)
    assert sleeps == [7.0]


def test_retry_after_http_date_honoured(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    mocked.get(URL, status=503, headers={"Retry-After": when})
    mocked.get(URL, body=b"ok")
    HttpClient(sleep=sleeps).get(URL)
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31


def test_retry_after_above_cap_raises_without_waiting(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "121"})
    with pytest.raises(RateLimitError) as info:
        HttpClient(sleep=sleeps).get(URL)
    assert info.value.status_code == 429
    assert sleeps == [] and len(mocked.calls) == 1


def test_retry_after_cap_is_configurable(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "3"})
    with pytest.raises(RateLimitError):
        HttpClient(sleep=sleeps, max_retry_after=2).get(URL)
    assert sleeps == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_never_replayed_on_status(
    mocked: responses.RequestsMock, sleeps: Sleeps, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.assert_all_requests_are_fired = False  # the second answer must stay unused
    mocked.add(method, URL, status=503)
    mocked.add(method, URL, status=200)
    caplog.set_level(logging.DEBUG, logger="d4h_sdk.http")
    with pytest.raises(ServerError):
        HttpClient(sleep=sleeps, max_retries=5).request(method, URL, json={"a": 1})
    assert len(mocked.calls) == 1 and sleeps == []
    assert f"{method} is never replayed" in caplog.text


def test_post_never_replayed_on_connection_error(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    mocked.assert_all_requests_are_fired = False  # the second answer must stay unused
    mocked.post(URL, body=requests.ConnectionError("reset"))
    mocked.post(URL, status=200)
    with pytest.raises(APIConnectionError):
        HttpClient(sleep=sleeps).post(URL, json={})
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"])
def test_idempotent_methods_retried_on_connection_error(
    mocked: responses.RequestsMock, sleeps: Sleeps, method: str
) -> None:
    mocked.add(method, URL, body=requests.ConnectionError("refused"))
    mocked.add(method, URL, status=204)
    assert HttpClient(sleep=sleeps).request(method, URL).status_code == 204
    assert len(mocked.calls) == 2 and len(sleeps) == 1


def test_timeouts_retried_then_raised(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    for _ in range(3):
        mocked.get(URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as info:
        HttpClient(sleep=sleeps).get(URL)
    assert isinstance(info.value.__cause__, requests.ReadTimeout)
    assert isinstance(info.value, TimeoutError)
    assert len(mocked.calls) == 3


def test_max_retries_zero_means_one_attempt(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    mocked.get(URL, status=503)
    with pytest.raises(ServerError):
        HttpClient(sleep=sleeps, max_retries=0).get(URL)
    assert len(mocked.calls) == 1


def test_allowed_status_is_returned_not_retried(mocked: responses.RequestsMock, sleeps: Sleeps) -> None:
    mocked.get(URL, status=503, body=b"busy")
    resp = HttpClient(sleep=sleeps).get(URL, allow_status={503})
    assert resp.status_code == 503 and resp.content == b"busy"
    assert len(mocked.calls) == 1 and sleeps == []


def test_each_decision_logged_at_debug(
    mocked: responses.RequestsMock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.get(URL, status=503)
    mocked.get(URL, status=503)
    caplog.set_level(logging.DEBUG, logger="d4h_sdk.http")
    with pytest.raises(ServerError):
        HttpClient(sleep=sleeps, max_retries=1).get(URL)
    messages = [r.getMessage() for r in caplog.records if r.name == "d4h_sdk.http"]
    assert any(m.startswith("will retry GET") for m in messages)
    assert any(m.startswith("retrying GET") and "retry 1 of 1" in m for m in messages)
    assert any(m.startswith("giving up on GET") for m in messages)
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "d4h_sdk.http")


def test_retry_after_cap_decision_logged(
    mocked: responses.RequestsMock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.get(URL, status=503, headers={"Retry-After": "500"})
    caplog.set_level(logging.DEBUG, logger="d4h_sdk.http")
    with pytest.raises(ServerError):
        HttpClient(sleep=sleeps).get(URL)
    assert "exceeds the 120 s cap" in caplog.text


def test_default_and_per_call_timeouts_are_sent(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, body=b"")
    mocked.get(URL, body=b"")
    mocked.get(URL, body=b"")
    client = HttpClient()
    client.get(URL)
    client.get(URL, timeout=1.5)
    client.get(URL, timeout=Timeout(connect=2, read=60))
    sent = [call.request.req_kwargs["timeout"] for call in mocked.calls]
    assert sent == [(5.0, 30.0), (1.5, 1.5), (2, 60)]


def test_client_timeout_pair(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, body=b"")
    HttpClient(timeout=(1, 9)).get(URL)
    assert mocked.calls[0].request.req_kwargs["timeout"] == (1, 9)


@pytest.mark.parametrize("bad", [0, -1, (1, 0), "5", True, (1, 2, 3)])
def test_invalid_timeouts_rejected(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        HttpClient(timeout=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("12", 12.0),
        ("1.5", 1.5),
        ("-3", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_future_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412470.0) == 10.0
