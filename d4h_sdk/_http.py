"""The HTTP core of ``d4h_sdk``: the only module that imports ``requests``.

:class:`HttpClient` wraps one ``requests.Session`` and adds what every call in the SDK needs:

* a timeout on every request (connect 5 s, read 30 s by default, overridable per call);
* retries (tenacity) of idempotent methods only, on connection errors, timeouts and 408/429/502/503/504,
  honouring ``Retry-After`` up to a cap, else exponential backoff with jitter; a POST or PATCH is never
  replayed;
* status codes mapped to the :mod:`d4h_sdk.errors` tree, with correlation id, parsed body and DSP error;
* redirects followed by the client itself (at most 10): a hop to another origin (scheme, host, port) drops
  Authorization, X-Api-Key, Cookie, Proxy-Authorization and every header the auth object added, and the
  auth object is not applied again for the rest of the chain;
* a cap on buffered response bodies, and :meth:`HttpClient.stream` for large downloads;
* secrets redacted from DEBUG logs (logger ``d4h_sdk.http``), reprs and exception texts;
* ``event_hooks`` for tracing.

Credentials are attached only through ``requests.auth.AuthBase`` objects (``auth=``). The session's
``.netrc`` lookup is never used, so a ``~/.netrc`` entry cannot replace or add credentials; a ``session.auth``
set on a user-supplied session is used when no ``auth=`` is given. Requests go straight to the session's
transport adapter (``Session.send`` would read a redirect's body without any cap); the session's headers,
cookies, proxies, ``verify``, ``cert`` and adapters still apply.
"""

from __future__ import annotations

import contextlib
import datetime
import json as jsonlib
import logging
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.auth
import requests.cookies

from d4h_sdk._http_errors import connection_error
from d4h_sdk._http_retry import RetryPolicy, Timeout
from d4h_sdk._redact import (
    CREDENTIAL_HEADERS,
    Headers,
    HttpResponse,
    RequestInfo,
    ResponseInfo,
    correlation_id,
    is_sensitive_header,
    redact_headers,
    redact_url,
    status_error,
    url_without_query,
)
from d4h_sdk.config import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, MAX_RETRY_AFTER
from d4h_sdk.errors import (
    APIError,
    ConfigurationError,
    EncodeError,
    ResponseTooLargeError,
)

__all__ = [
    "AuthBase",
    "Headers",
    "HttpClient",
    "HttpResponse",
    "MAX_REDIRECTS",
    "RequestInfo",
    "ResponseInfo",
    "StreamingResponse",
    "Timeout",
    "redact_headers",
    "redact_url",
]

logger = logging.getLogger("d4h_sdk.http")

AuthBase = requests.auth.AuthBase
"""The base class of every credential the SDK attaches (re-exported so no other module imports requests)."""

MAX_REDIRECTS = 10
"""Most redirects followed for one request."""

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ERROR_BODY_CAP = 1024 * 1024
_CHUNK = 64 * 1024
_HOOK_EVENTS = frozenset({"request", "response"})


class _NoAuth(requests.auth.AuthBase):
    """Placeholder auth so that ``Session.prepare_request`` never looks up ``.netrc``."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r


@dataclass
class _Call:
    """One logical request: what stays the same across retries and redirect hops."""

    method: str
    prepared: requests.PreparedRequest
    auth: requests.auth.AuthBase | None
    timeout: Timeout
    allow_status: frozenset[int]
    stream: bool
    max_bytes: int
    safe_url: str
    auth_added: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)


@dataclass
class _Exchange:
    """The outcome of one attempt: the final response head plus its body or its open stream."""

    method: str
    status_code: int
    reason: str
    headers: Headers
    url: str
    content: bytes
    elapsed: float
    raw: requests.Response | None = None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or default


def _read_body(resp: requests.Response, call: _Call, *, cap: int, truncate: bool) -> bytes:
    """Read and close ``resp``; beyond ``cap`` bytes either cut (error bodies) or raise."""
    try:
        length = resp.headers.get("Content-Length", "")
        if not truncate and length.isdigit() and int(length) > cap:
            raise _too_large(call, cap)
        chunks: list[bytes] = []
        total = 0
        for chunk in resp.iter_content(_CHUNK):
            total += len(chunk)
            if total > cap:
                if not truncate:
                    raise _too_large(call, cap)
                chunks.append(chunk[: len(chunk) - (total - cap)])
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except requests.RequestException as exc:
        raise connection_error(exc, call.method, call.safe_url, call.timeout) from exc
    finally:
        resp.close()


def _too_large(call: _Call, cap: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{call.method} {call.safe_url}: response body exceeds the limit of {cap} bytes; "
        "raise max_response_bytes or use stream()",
        request_method=call.method,
        url=call.safe_url,
    )


class StreamingResponse:
    """An open response whose body is read on demand, from :meth:`HttpClient.stream`.

    Attributes:
        method: The method of the final request.
        status_code: The HTTP status.
        headers: Response headers, case-insensitive.
        url: The final URL (after redirects).
        max_bytes: The body size limit, or ``None`` for none.
    """

    def __init__(self, exchange: _Exchange, call: _Call, max_bytes: int | None) -> None:
        assert exchange.raw is not None
        self._raw = exchange.raw
        self._call = call
        self.method = exchange.method
        self.status_code = exchange.status_code
        self.headers = exchange.headers
        self.url = exchange.url
        self.max_bytes = max_bytes

    @property
    def correlation_id(self) -> str | None:
        """The first of X-Request-Id, X-Correlation-Id, Request-Id, traceparent the server sent."""
        return correlation_id(self.headers)

    def iter_bytes(self, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        """Yield the body in chunks (decoded from gzip/deflate if the server compressed it).

        Args:
            chunk_size: Largest chunk, in bytes.

        Yields:
            Body chunks.

        Raises:
            ResponseTooLargeError: More than ``max_bytes`` arrived.
            APITimeoutError: The peer stalled longer than the read timeout.
            APIConnectionError: The connection broke.
        """
        total = 0
        try:
            for chunk in self._raw.iter_content(chunk_size):
                total += len(chunk)
                if self.max_bytes is not None and total > self.max_bytes:
                    self.close()
                    raise _too_large(self._call, self.max_bytes)
                yield chunk
        except requests.RequestException as exc:
            raise connection_error(exc, self._call.method, self._call.safe_url, self._call.timeout) from exc

    def close(self) -> None:
        """Release the connection (idempotent)."""
        self._raw.close()

    def __repr__(self) -> str:
        return f"<StreamingResponse {self.method} {redact_url(self.url)} {self.status_code}>"


class HttpClient:
    """Sends HTTP requests for the SDK: timeouts, safe retries, redirects, size caps, redaction, hooks.

    Credentials go through ``auth`` (a ``requests.auth.AuthBase``); ``.netrc`` is never consulted, so it
    cannot override them. Event hooks run synchronously for every request sent (retries and redirect hops
    included); an exception raised by a hook is not caught and aborts the request.

    Args:
        session: A ``requests.Session`` to use (proxies, mTLS, CA bundles); the client does not close it. By
            default the client creates and owns one.
        auth: Default credentials for every request.
        timeout: Default timeout: a :class:`Timeout`, one number, or ``(connect, read)``.
        max_retries: Retries of an idempotent request after the first attempt.
        max_response_bytes: Cap on a buffered body; :meth:`stream` is not capped by it.
        max_retry_after: Longest ``Retry-After`` (seconds) waited for; a longer one raises at once.
        event_hooks: ``{"request": [f(RequestInfo)], "response": [f(RequestInfo, ResponseInfo)]}``.
        error_decoder: Turns a parsed DSP error body into a model (connectors pass ``d4h_sdk.wire.decode``);
            if it raises a :class:`~d4h_sdk.errors.D4HError`, ``dsp_error`` stays ``None``.
        user_agent: The User-Agent header (default ``d4h-sdk/<version>``).
        sleep: Sleep function used between retries.
        verify: TLS verification: ``True`` (the session's setting, on by default), ``False``, or a CA bundle.

    Raises:
        ConfigurationError: An option is out of range.
    """

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        auth: requests.auth.AuthBase | None = None,
        timeout: Timeout | float | tuple[float, float] | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_retry_after: float = MAX_RETRY_AFTER,
        event_hooks: Mapping[str, Sequence[Callable[..., None]]] | None = None,
        error_decoder: Callable[[object], object] | None = None,
        user_agent: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        verify: bool | str = True,
    ) -> None:
        if max_retries < 0:
            raise ConfigurationError(f"max_retries must be 0 or more, got {max_retries}")
        if max_response_bytes <= 0:
            raise ConfigurationError(f"max_response_bytes must be positive, got {max_response_bytes}")
        if max_retry_after < 0:
            raise ConfigurationError(f"max_retry_after must be 0 or more, got {max_retry_after}")
        unknown = set(event_hooks or {}) - _HOOK_EVENTS
        if unknown:
            raise ConfigurationError(
                f"unknown event hook kinds {sorted(unknown)}; use 'request' and 'response'"
            )
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._auth = auth
        self._timeout = Timeout.coerce(timeout)
        self._max_response_bytes = max_response_bytes
        self._retry = RetryPolicy(max_retries=max_retries, max_retry_after=max_retry_after, sleep=sleep)
        self._request_hooks = tuple((event_hooks or {}).get("request", ()))
        self._response_hooks = tuple((event_hooks or {}).get("response", ()))
        self._error_decoder = error_decoder
        self._user_agent = user_agent or _default_user_agent()
        self._verify = verify

    # -- public API ---------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        json: object = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | float | tuple[float, float] | None = None,
        auth: requests.auth.AuthBase | None = None,
        allow_status: Collection[int] = (),
    ) -> HttpResponse:
        """Send a request and read the whole response (up to ``max_response_bytes``).

        Args:
            method: The HTTP method.
            url: The absolute URL.
            json: A JSON-serialisable body (sent compact, UTF-8, ``Content-Type: application/json``).
            data: A raw body (give ``Content-Type`` in ``headers``); not together with ``json``.
            params: Query parameters added to the URL.
            headers: Extra request headers.
            timeout: Overrides the client's timeout for this call.
            auth: Overrides the client's credentials for this call.
            allow_status: Error statuses returned as responses instead of raised (and not retried).

        Returns:
            The response.

        Raises:
            APIStatusError: The final status is 400 or more and not in ``allow_status`` (subclass per status).
            APITimeoutError: The peer did not answer in time (after retries, for idempotent methods).
            APIConnectionError: The peer could not be reached.
            ResponseTooLargeError: The body exceeds ``max_response_bytes``.
            APIError: Too many redirects or a redirect to a non-HTTP URL.
            EncodeError: ``json`` is not JSON-serialisable.
            ConfigurationError: Invalid arguments or URL.
        """
        call = self._build_call(method, url, json, data, params, headers, timeout, auth, allow_status, False)
        exchange = self._run(call)
        return HttpResponse(
            method=exchange.method,
            status_code=exchange.status_code,
            headers=exchange.headers,
            content=exchange.content,
            url=exchange.url,
            elapsed=exchange.elapsed,
        )

    def get(self, url: str, **kwargs: Any) -> HttpResponse:
        """Send a GET request; keyword arguments as for :meth:`request`."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> HttpResponse:
        """Send a POST request (never retried); keyword arguments as for :meth:`request`."""
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> HttpResponse:
        """Send a PUT request; keyword arguments as for :meth:`request`."""
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> HttpResponse:
        """Send a DELETE request; keyword arguments as for :meth:`request`."""
        return self.request("DELETE", url, **kwargs)

    @contextlib.contextmanager
    def stream(
        self,
        method: str,
        url: str,
        *,
        json: object = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | float | tuple[float, float] | None = None,
        auth: requests.auth.AuthBase | None = None,
        allow_status: Collection[int] = (),
        max_bytes: int | None = None,
    ) -> Iterator[StreamingResponse]:
        """Send a request and yield the open response, its body unread; the connection closes on exit.

        Same arguments, retries, redirects and errors as :meth:`request` (error bodies are read for the
        exception), except that the body is not capped by ``max_response_bytes``.

        Args:
            method: The HTTP method.
            url: The absolute URL.
            json: A JSON-serialisable body.
            data: A raw body.
            params: Query parameters.
            headers: Extra request headers.
            timeout: Overrides the client's timeout; the read timeout applies between chunks.
            auth: Overrides the client's credentials.
            allow_status: Error statuses yielded instead of raised.
            max_bytes: Optional cap on the body; :meth:`StreamingResponse.iter_bytes` raises beyond it.

        Yields:
            The streaming response.
        """
        call = self._build_call(method, url, json, data, params, headers, timeout, auth, allow_status, True)
        response = StreamingResponse(self._run(call), call, max_bytes)
        try:
            yield response
        finally:
            response.close()

    def close(self) -> None:
        """Close the session if the client created it; a user-supplied session stays open."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        auth = type(self._auth).__name__ if self._auth is not None else None
        return (
            f"HttpClient(timeout={self._timeout!r}, max_retries={self._retry.max_retries}, "
            f"max_response_bytes={self._max_response_bytes}, auth={auth}, owns_session={self._owns_session})"
        )

    # -- one logical request ------------------------------------------------------------------------------

    def _build_call(
        self,
        method: str,
        url: str,
        json: object,
        data: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        timeout: Timeout | float | tuple[float, float] | None,
        auth: requests.auth.AuthBase | None,
        allow_status: Collection[int],
        stream: bool,
    ) -> _Call:
        method = method.upper()
        if json is not None and data is not None:
            raise ConfigurationError("pass either json= or data=, not both")
        all_headers = {"User-Agent": self._user_agent, **(headers or {})}
        body = data
        if json is not None:
            try:
                body = jsonlib.dumps(
                    json, ensure_ascii=False, separators=(",", ":"), allow_nan=False
                ).encode()
            except (TypeError, ValueError) as exc:
                raise EncodeError(f"{method} request body is not JSON-serialisable: {exc}") from exc
            all_headers.setdefault("Content-Type", "application/json")
        request = requests.Request(method, url, headers=all_headers, data=body, params=dict(params or {}))
        request.auth = _NoAuth()
        try:
            prepared = self._session.prepare_request(request)
        except requests.RequestException as exc:
            raise ConfigurationError(
                f"{method} {redact_url(url)}: invalid URL ({type(exc).__name__})"
            ) from exc
        effective_auth = auth or self._auth or _session_auth(self._session)
        return _Call(
            method=method,
            prepared=prepared,
            auth=effective_auth,
            timeout=Timeout.coerce(timeout, self._timeout),
            allow_status=frozenset(allow_status),
            stream=stream,
            max_bytes=self._max_response_bytes,
            safe_url=url_without_query(str(prepared.url)),
        )

    def _run(self, call: _Call) -> _Exchange:
        safe_url = redact_url(str(call.prepared.url))
        exchange = self._retry.run(
            call.method, safe_url, lambda: self._attempt(call), allow_status=call.allow_status
        )
        if exchange.status_code >= 400 and exchange.status_code not in call.allow_status:
            raise status_error(
                exchange.method,
                exchange.url,
                exchange.status_code,
                exchange.reason,
                exchange.headers,
                exchange.content,
                secrets=call.secrets,
                decoder=self._error_decoder,
            )
        return exchange

    def _attempt(self, call: _Call) -> _Exchange:
        """Send the request and follow redirects; read error bodies, and success bodies unless streaming."""
        started = time.monotonic()
        prepared = call.prepared.copy()
        origin = _origin(str(prepared.url))
        trusted = True
        for hop in range(MAX_REDIRECTS + 1):
            resp = self._send(self._authorize(prepared, call) if trusted else prepared, call)
            location = resp.headers.get("Location")
            if resp.status_code not in _REDIRECT_STATUSES or location is None:
                return self._finish(resp, call, started)
            resp.close()
            if hop == MAX_REDIRECTS:
                raise APIError(
                    f"{call.method} {call.safe_url}: more than {MAX_REDIRECTS} redirects",
                    request_method=call.method,
                    url=call.safe_url,
                )
            try:
                target = urljoin(str(resp.url), location)
                target_origin = _origin(target)
                if target_origin[0] not in {"http", "https"} or not target_origin[1]:
                    raise ValueError("not an HTTP URL")
                prepared = _redirected(prepared, resp.status_code, target)
            except (ValueError, requests.RequestException) as exc:
                raise APIError(
                    f"{call.method} {call.safe_url}: redirect to an invalid or non-HTTP URL refused",
                    request_method=call.method,
                    url=call.safe_url,
                ) from exc
            if trusted and target_origin != origin:
                trusted = False
                logger.debug("redirect to another origin %s: credentials dropped", redact_url(target))
            if not trusted:
                for name in list(prepared.headers):
                    if name.lower() in CREDENTIAL_HEADERS or name.lower() in call.auth_added:
                        del prepared.headers[name]
        raise AssertionError("unreachable")  # pragma: no cover

    def _authorize(self, prepared: requests.PreparedRequest, call: _Call) -> requests.PreparedRequest:
        """Apply the auth object to a copy; remember which headers it added and their values."""
        if call.auth is None:
            authorized = prepared
        else:
            before = dict(prepared.headers)
            authorized = call.auth(prepared.copy())
            for name, value in authorized.headers.items():
                if before.get(name) != value:
                    call.auth_added.add(name.lower())
        for name, value in authorized.headers.items():
            if name.lower() in call.auth_added or is_sensitive_header(name):
                call.secrets.add(value)
                call.secrets.add(value.partition(" ")[2])
        return authorized

    def _send(self, prepared: requests.PreparedRequest, call: _Call) -> requests.Response:
        url = str(prepared.url)
        info = RequestInfo(
            method=str(prepared.method),
            url=redact_url(url),
            headers=Headers(redact_headers(prepared.headers, extra=call.auth_added)),
        )
        logger.debug("sending %s %s headers=%s", info.method, info.url, dict(info.headers))
        for hook in self._request_hooks:
            hook(info)
        env = self._session.merge_environment_settings(
            url, {}, True, None if self._verify is True else self._verify, None
        )
        verify = env["verify"] if env["verify"] is not None else True
        timeout = (call.timeout.connect, call.timeout.read)
        try:
            # The adapter is called directly: Session.send would read a redirect's body without any cap.
            started = time.monotonic()
            resp = self._session.get_adapter(url).send(
                prepared,
                stream=True,
                timeout=timeout,
                verify=verify,
                cert=env["cert"],
                proxies=env["proxies"],
            )
            resp.elapsed = datetime.timedelta(seconds=time.monotonic() - started)
            for session_hook in prepared.hooks.get("response", []):  # e.g. HTTPDigestAuth's 401 handler
                resp = (
                    session_hook(
                        resp,
                        stream=True,
                        timeout=timeout,
                        verify=verify,
                        cert=env["cert"],
                        proxies=env["proxies"],
                    )
                    or resp
                )
            requests.cookies.extract_cookies_to_jar(  # type: ignore[no-untyped-call]
                self._session.cookies, prepared, resp.raw
            )
        except requests.RequestException as exc:
            error = connection_error(exc, info.method, url_without_query(url), call.timeout)
            logger.debug("%s %s failed: %s", info.method, info.url, error)
            raise error from exc
        answer = ResponseInfo(
            status_code=resp.status_code,
            elapsed=resp.elapsed.total_seconds(),
            url=info.url,
            headers=Headers(redact_headers(resp.headers)),
            correlation_id=correlation_id(resp.headers),
        )
        logger.debug(
            "received %d for %s %s in %.3f s", answer.status_code, info.method, info.url, answer.elapsed
        )
        try:
            for response_hook in self._response_hooks:
                response_hook(info, answer)
        except BaseException:
            resp.close()
            raise
        return resp

    def _finish(self, resp: requests.Response, call: _Call, started: float) -> _Exchange:
        status = resp.status_code
        failing = status >= 400 and status not in call.allow_status
        if failing:
            content = _read_body(resp, call, cap=min(_ERROR_BODY_CAP, call.max_bytes), truncate=True)
        elif call.stream:
            content = b""
        else:
            content = _read_body(resp, call, cap=call.max_bytes, truncate=False)
        return _Exchange(
            method=str(resp.request.method),
            status_code=status,
            reason=resp.reason or "",
            headers=Headers(resp.headers),
            url=str(resp.url),
            content=content,
            elapsed=time.monotonic() - started,
            raw=resp if call.stream and not failing else None,
        )


def _redirected(prepared: requests.PreparedRequest, status: int, target: str) -> requests.PreparedRequest:
    """The next hop: 301/302/303 become GET without body (HEAD stays HEAD); 307/308 keep method and body."""
    nxt = prepared.copy()
    nxt.prepare_url(target, None)
    if status in {301, 302, 303} and nxt.method != "HEAD":
        nxt.method = "GET"
        nxt.body = None
        for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
            nxt.headers.pop(name, None)
    return nxt


def _session_auth(session: requests.Session) -> requests.auth.AuthBase | None:
    auth = session.auth
    if isinstance(auth, tuple):
        return requests.auth.HTTPBasicAuth(*auth)
    return auth if isinstance(auth, requests.auth.AuthBase) else None


def _default_user_agent() -> str:
    import d4h_sdk

    return f"d4h-sdk/{getattr(d4h_sdk, '__version__', 'unknown')}"
