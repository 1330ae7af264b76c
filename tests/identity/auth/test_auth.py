from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from d4h_sdk._http import AuthBase, HttpClient
from d4h_sdk.errors import AuthenticationError, BadRequestError, ConfigurationError, ResponseValidationError
from d4h_sdk.identity.auth import ApiKeyAuth, BearerTokenAuth, ClientCredentialsAuth

from ._server import TokenServer, token_server

SECRET = "s3cr3t-client-secret"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[TokenServer]:
    with token_server() as state:
        yield state


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(max_retries=0, timeout=5) as client:
        yield client


def cc(
    server: TokenServer, http: HttpClient, clock: Clock | None = None, **kwargs: Any
) -> ClientCredentialsAuth:
    return ClientCredentialsAuth(
        server.token_url, "hospital-a", SECRET, http=http, clock=clock or Clock(), **kwargs
    )


# --- ApiKeyAuth / BearerTokenAuth ------------------------------------------------------------------------


def test_api_key_header_on_the_wire(server: TokenServer, http: HttpClient) -> None:
    auth = ApiKeyAuth("key-123")
    assert isinstance(auth, AuthBase)
    http.get(server.resource_url, auth=auth)
    http.get(server.resource_url, auth=ApiKeyAuth(lambda: "rotated", header="X-Other"))
    assert server.resource_headers[0]["X-Api-Key"] == "key-123"
    assert server.resource_headers[1]["X-Other"] == "rotated"


def test_api_key_repr_hides_key() -> None:
    assert "key-123" not in repr(ApiKeyAuth("key-123"))
    assert repr(ApiKeyAuth("key-123")) == "ApiKeyAuth(header='X-Api-Key', key=***)"


def test_api_key_validation() -> None:
    with pytest.raises(ConfigurationError, match="empty"):
        ApiKeyAuth("")
    with pytest.raises(ConfigurationError, match="line break"):
        ApiKeyAuth("a\r\nX-Injected: 1")
    with pytest.raises(ConfigurationError, match="empty"):
        ApiKeyAuth(lambda: "")(_Req())


class _Req:
    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


def test_bearer_token(server: TokenServer, http: HttpClient) -> None:
    tokens = iter(["t1", "t2"])
    auth = BearerTokenAuth(lambda: next(tokens))
    http.get(server.resource_url, auth=auth)
    http.get(server.resource_url, auth=auth)
    http.get(server.resource_url, auth=BearerTokenAuth("fixed"))
    assert [h["Authorization"] for h in server.resource_headers] == ["Bearer t1", "Bearer t2", "Bearer fixed"]
    assert "fixed" not in repr(BearerTokenAuth("fixed"))
    with pytest.raises(ConfigurationError):
        BearerTokenAuth("")


# --- ClientCredentialsAuth -------------------------------------------------------------------------------


def test_token_request_form_and_use(server: TokenServer, http: HttpClient) -> None:
    auth = cc(
        server, http, scope=["read", "write"], audience="did:web:verifier", extra={"bearer_access_scope": "x"}
    )
    http.get(server.resource_url, auth=auth)
    assert server.resource_headers[0]["Authorization"] == "Bearer tok-1"
    (request,) = server.token_requests
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["authorization"] is None
    assert request["form"] == {
        "grant_type": "client_credentials",
        "client_id": "hospital-a",
        "client_secret": SECRET,
        "scope": "read write",
        "audience": "did:web:verifier",
        "bearer_access_scope": "x",
    }


def test_token_cached_and_refreshed_before_expiry(server: TokenServer, http: HttpClient) -> None:
    server.body = {"access_token": "tok-N", "token_type": "bearer", "expires_in": 300}
    clock = Clock()
    auth = cc(server, http, clock)
    assert auth.token() == "tok-1"
    clock.now += 269.9
    assert auth.token() == "tok-1"
    assert len(server.token_requests) == 1
    clock.now += 0.1  # 300 - 30 s skew reached
    assert auth.token() == "tok-2"
    assert len(server.token_requests) == 2
    auth.invalidate()
    assert auth.token() == "tok-3"


def test_short_lived_token_refreshes_at_half_life(server: TokenServer, http: HttpClient) -> None:
    server.body = {"access_token": "tok-N", "expires_in": "10"}  # string expires_in, no token_type
    clock = Clock()
    auth = cc(server, http, clock)
    assert auth.token() == "tok-1"
    clock.now += 4.9
    assert auth.token() == "tok-1"
    clock.now += 0.1
    assert auth.token() == "tok-2"


def test_missing_expires_in_uses_default_lifetime(server: TokenServer, http: HttpClient) -> None:
    server.body = {"access_token": "tok-N", "token_type": "Bearer"}
    clock = Clock()
    auth = cc(server, http, clock, refresh_skew_s=0)
    auth.token()
    clock.now += 59
    auth.token()
    clock.now += 1
    auth.token()
    assert len(server.token_requests) == 2


def test_twenty_threads_one_token_request(server: TokenServer, http: HttpClient) -> None:
    server.delay = 0.2
    auth = cc(server, http)
    barrier = threading.Barrier(20)
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        value = auth.token()
        with lock:
            results.append(value)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == ["tok-1"] * 20
    assert len(server.token_requests) == 1


def test_401_from_token_endpoint(server: TokenServer, http: HttpClient) -> None:
    server.status = 401
    server.body = {
        "error": "invalid_client",
        "error_description": "Invalid client or Invalid client credentials",
    }
    with pytest.raises(AuthenticationError) as info:
        cc(server, http).token()
    message = str(info.value)
    assert "HTTP 401" in message and "'hospital-a'" in message and "invalid_client" in message
    assert "check client_id and client_secret" in message
    assert SECRET not in message and info.value.status_code == 401


def test_400_invalid_client_is_authentication_error(server: TokenServer, http: HttpClient) -> None:
    server.status = 400
    server.body = [{"error": "invalid_client", "error_description": f"bad secret {SECRET}"}]
    with pytest.raises(AuthenticationError) as info:
        cc(server, http).token()
    assert SECRET not in str(info.value)


def test_400_other_error_keeps_its_class(server: TokenServer, http: HttpClient) -> None:
    server.status = 400
    server.body = {"error": "invalid_scope"}
    with pytest.raises(BadRequestError, match="invalid_scope") as info:
        cc(server, http).token()
    assert not isinstance(info.value, AuthenticationError)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ([1], "not a JSON object"),
        ({"token_type": "Bearer"}, "access_token"),
        ({"access_token": "t", "token_type": "DPoP"}, "not Bearer"),
        ({"access_token": "t", "expires_in": "soon"}, "expires_in"),
        ({"access_token": "t", "expires_in": -5}, "positive"),
    ],
)
def test_bad_token_responses(server: TokenServer, http: HttpClient, body: object, match: str) -> None:
    server.body = body
    with pytest.raises(ResponseValidationError, match=match):
        cc(server, http).token()


def test_secret_not_in_repr_and_callable_secret(server: TokenServer, http: HttpClient) -> None:
    auth = ClientCredentialsAuth(server.token_url, "hospital-a", lambda: "from-vault", http=http)
    assert "from-vault" not in repr(auth) and SECRET not in repr(cc(server, http))
    assert "client_id='hospital-a'" in repr(auth)
    auth.token()
    assert server.token_requests[0]["form"]["client_secret"] == "from-vault"


def test_token_request_through_itself_is_refused(server: TokenServer) -> None:
    holder: list[ClientCredentialsAuth] = []

    class Delegate(AuthBase):
        def __call__(self, r):  # type: ignore[no-untyped-def]
            return holder[0](r)

    # the misconfiguration: the token client's default auth is the ClientCredentialsAuth itself
    with HttpClient(auth=Delegate(), max_retries=0) as looping:
        auth = ClientCredentialsAuth(server.token_url, "hospital-a", SECRET, http=looping)
        holder.append(auth)
        with pytest.raises(ConfigurationError, match="went through ClientCredentialsAuth itself"):
            auth.token()
    assert server.token_requests == []


def test_own_http_client_and_close(server: TokenServer) -> None:
    with ClientCredentialsAuth(server.token_url, "hospital-a", SECRET) as auth:
        assert auth.token() == "tok-1"


def test_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="absolute"):
        ClientCredentialsAuth("/token", "id", "secret")
    with pytest.raises(ConfigurationError, match="client_id"):
        ClientCredentialsAuth("https://idp.example/token", "", "secret")
    with pytest.raises(ConfigurationError, match="refresh_skew_s"):
        ClientCredentialsAuth("https://idp.example/token", "id", "secret", refresh_skew_s=-1)
