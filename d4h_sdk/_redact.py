"""What the HTTP core shows: redaction for logs, reprs and errors; response and hook records; error texts.

Nothing here does I/O or imports ``requests``; :mod:`d4h_sdk._http` uses these helpers so that tokens,
API keys, cookies and signed-URL parameters never reach a log line, a ``repr`` or an exception message.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from d4h_sdk.errors import APIStatusError, D4HError, ResponseValidationError, status_error_class

__all__ = [
    "CREDENTIAL_HEADERS",
    "Headers",
    "HttpResponse",
    "REDACTED",
    "RequestInfo",
    "ResponseInfo",
    "correlation_id",
    "decode_text",
    "dsp_error_type",
    "is_sensitive_header",
    "parse_error_body",
    "redact_headers",
    "redact_text",
    "redact_url",
    "status_error",
    "summarize_body",
    "url_without_query",
]

logger = logging.getLogger("d4h_sdk.http")

REDACTED = "***"
"""The placeholder that replaces a secret."""

CREDENTIAL_HEADERS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "cookie"}
)
"""Headers (lower case) never forwarded to another origin on a redirect."""

_SENSITIVE_HEADER_PARTS = ("auth", "token", "secret", "api-key", "apikey", "password", "cookie", "signature")
_SECRET_QUERY_KEYS = frozenset(
    {"token", "access_token", "api_key", "apikey", "key", "secret", "password", "signature", "sig", "code"}
)
_SECRET_QUERY_PARTS = ("token", "secret", "password", "signature", "api_key", "apikey")
_CORRELATION_HEADERS = ("X-Request-Id", "X-Correlation-Id", "Request-Id", "traceparent")
_DSP_ERROR_TYPES = ("CatalogError", "ContractNegotiationError", "TransferError")

_BEARER_RE = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]+")
_JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_QUERY_SECRET_RE = re.compile(
    r"(?i)\b(access_token|api_key|apikey|token|secret|password|signature|sig|code|key)=[^&\s\"'<>]+"
)
_CHARSET_RE = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_MIN_SECRET_LENGTH = 4
_SUMMARY_LIMIT = 300
BODY_TEXT_LIMIT = 2000
"""Longest error-body text kept on an exception."""


def is_sensitive_header(name: str) -> bool:
    """Tell whether a header name looks like it carries a credential.

    Args:
        name: A header name, any case.

    Returns:
        True for Authorization, Proxy-Authorization, X-Api-Key, Cookie, Set-Cookie and any name containing
        ``auth``, ``token``, ``secret``, ``api-key``, ``password`` or ``signature``.
    """
    lowered = name.lower()
    return lowered in CREDENTIAL_HEADERS or any(part in lowered for part in _SENSITIVE_HEADER_PARTS)


def redact_headers(headers: Mapping[str, str] | None, *, extra: Iterable[str] = ()) -> dict[str, str]:
    """Return a copy of ``headers`` with credential values replaced by ``***``.

    For ``Authorization``-style values the scheme stays visible (``Bearer ***``).

    Args:
        headers: Request or response headers; ``None`` gives an empty dict.
        extra: More header names (any case) to redact, for example those an auth object added.

    Returns:
        A new plain dict with the same names.
    """
    extra_names = {name.lower() for name in extra}
    redacted: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if name.lower() in extra_names or is_sensitive_header(name):
            scheme, _, rest = str(value).partition(" ")
            keep_scheme = rest and scheme.lower() in {"bearer", "basic", "digest", "token"}
            redacted[name] = f"{scheme} {REDACTED}" if keep_scheme else REDACTED
        else:
            redacted[name] = value
    return redacted


def _secret_query_key(key: str) -> bool:
    lowered = unquote(key).lower()
    return lowered in _SECRET_QUERY_KEYS or any(part in lowered for part in _SECRET_QUERY_PARTS)


def redact_url(url: str) -> str:
    """Return ``url`` without user info and with the values of secret-looking query parameters replaced.

    Secret keys: ``token``, ``access_token``, ``api_key``, ``apikey``, ``key``, ``secret``, ``password``,
    ``signature``, ``sig``, ``code``, and any key containing ``token``, ``secret``, ``password`` or
    ``signature``. Other parameters are kept verbatim.

    Args:
        url: An absolute or relative URL.

    Returns:
        The redacted URL, or ``"<invalid URL>"`` if it cannot be parsed.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        pairs = []
        for pair in parts.query.split("&") if parts.query else []:
            key, sep, _value = pair.partition("=")
            pairs.append(f"{key}={REDACTED}" if sep and _secret_query_key(key) else pair)
        return urlunsplit((parts.scheme, netloc, parts.path, "&".join(pairs), parts.fragment))
    except ValueError:
        return "<invalid URL>"


def url_without_query(url: str) -> str:
    """Return ``url`` reduced to scheme, host, port and path (no user info, query or fragment).

    Args:
        url: An absolute URL.

    Returns:
        The reduced URL, or ``"<invalid URL>"`` if it cannot be parsed.
    """
    try:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    except ValueError:
        return "<invalid URL>"


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove secrets from free text (an error message or a summary of a response body).

    Args:
        text: The text to clean.
        secrets: Exact values to remove wherever they occur (the credentials the request carried); values
            shorter than 4 characters are ignored.

    Returns:
        The text with each secret, bearer/basic credential, JWT and ``token=...``-style pair replaced.
    """
    for secret in sorted({s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _BEARER_RE.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT_RE.sub(REDACTED, text)
    return _QUERY_SECRET_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def correlation_id(headers: Mapping[str, str]) -> str | None:
    """Return the first present of X-Request-Id, X-Correlation-Id, Request-Id and traceparent.

    Args:
        headers: Response headers (a case-insensitive mapping).

    Returns:
        The id, or ``None`` when the server sent none.
    """
    for name in _CORRELATION_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def parse_error_body(content: bytes) -> object:
    """Parse an error response body: JSON if it parses, else its text cut to 2000 characters.

    Args:
        content: The raw body (already capped by the caller).

    Returns:
        The JSON value, the text, or ``None`` for an empty body.
    """
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return content.decode("utf-8", errors="replace")[:BODY_TEXT_LIMIT]


def dsp_error_type(body: object) -> str | None:
    """Return the DSP error type if ``body`` is a CatalogError, ContractNegotiationError or TransferError.

    Any prefix is accepted (``dspace:TransferError``, a full IRI, or none).

    Args:
        body: A parsed error body.

    Returns:
        The matching ``@type`` value, or ``None``.
    """
    if not isinstance(body, dict):
        return None
    types = body.get("@type")
    for value in types if isinstance(types, list) else [types]:
        if isinstance(value, str) and value.endswith(_DSP_ERROR_TYPES):
            return value
    return None


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        inner = value.get("@value", value.get("message"))
        return [inner] if isinstance(inner, str) else []
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


def _first(body: Mapping[str, object], *keys: str) -> object:
    for key in keys:
        if key in body:
            return body[key]
    return None


def summarize_body(body: object) -> str:
    """Build a one-line summary of an error body, for an exception message (not yet redacted).

    Understands a DSP error (``code`` and ``reason``), an EDC error list (``[{"message": ...}]``), common
    ``message`` / ``error_description`` objects and plain text (HTML pages give no summary).

    Args:
        body: The parsed body, as returned by :func:`parse_error_body`.

    Returns:
        At most 300 characters, possibly empty.
    """
    parts: list[str] = []
    if isinstance(body, dict):
        code = _first(body, "code", "dspace:code")
        reasons = "; ".join(
            _texts(_first(body, "reason", "dspace:reason", "message", "error_description", "error"))
        )
        code_text = str(code) if isinstance(code, (str, int)) else ""
        parts = [f"{code_text}: {reasons}" if code_text and reasons else code_text or reasons]
    elif isinstance(body, list):
        parts = ["; ".join(_texts(body[:5]))]
    elif isinstance(body, str) and not body.lstrip().startswith("<"):
        parts = [body]
    summary = " ".join(" ".join(parts).split())
    return summary if len(summary) <= _SUMMARY_LIMIT else summary[: _SUMMARY_LIMIT - 3] + "..."


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive mapping of header names to values; its repr is redacted."""

    __slots__ = ("_items",)

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, tuple[str, str]] = {k.lower(): (k, v) for k, v in (headers or {}).items()}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __repr__(self) -> str:
        return f"Headers({redact_headers(self)!r})"


def decode_text(content: bytes, headers: Mapping[str, str]) -> str:
    """Decode a body with the charset of its ``Content-Type`` (UTF-8 if absent or unknown; errors replaced).

    Args:
        content: The body.
        headers: The response headers.

    Returns:
        The text.
    """
    match = _CHARSET_RE.search(headers.get("Content-Type", ""))
    try:
        return content.decode(match.group(1) if match else "utf-8", errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")


def status_error(
    method: str,
    url: str,
    status_code: int,
    reason: str,
    headers: Mapping[str, str],
    content: bytes,
    *,
    secrets: Iterable[str] = (),
    decoder: Callable[[object], object] | None = None,
) -> APIStatusError:
    """Build the exception for an HTTP error status, with a redacted message.

    Args:
        method: The request method.
        url: The final URL; the exception keeps it without query string.
        status_code: The HTTP status (400 or more).
        reason: The HTTP reason phrase, used when the body gives no summary.
        headers: The response headers (for the correlation id).
        content: The (capped) error body.
        secrets: Credential values the request carried, removed from the message.
        decoder: Turns a DSP error body into a model; a :class:`~d4h_sdk.errors.D4HError` it raises leaves
            ``dsp_error`` as ``None``, anything else propagates.

    Returns:
        The :func:`~d4h_sdk.errors.status_error_class` instance, not raised.
    """
    body = parse_error_body(content)
    summary = redact_text(summarize_body(body) or reason or "no details", secrets)
    dsp_error: object = None
    if decoder is not None and dsp_error_type(body) is not None:
        try:
            dsp_error = decoder(body)
        except D4HError as exc:
            logger.debug("DSP error body not decoded: %s", type(exc).__name__)
    safe_url = url_without_query(url)
    return status_error_class(status_code)(
        f"{method} {safe_url}: {summary}",
        status_code=status_code,
        correlation_id=correlation_id(headers),
        dsp_error=dsp_error,
        request_method=method,
        url=safe_url,
        body=body,
    )


@dataclass(frozen=True, repr=False)
class HttpResponse:
    """A fully read HTTP response.

    Attributes:
        method: The method of the final request (after redirects).
        status_code: The HTTP status.
        headers: Response headers, case-insensitive.
        content: The body.
        url: The final URL (after redirects).
        elapsed: Seconds from sending the first request to reading the last byte (redirects included).
    """

    method: str
    status_code: int
    headers: Headers
    content: bytes
    url: str
    elapsed: float

    @property
    def text(self) -> str:
        """The body decoded with the charset of ``Content-Type`` (UTF-8 by default, errors replaced)."""
        return decode_text(self.content, self.headers)

    @property
    def correlation_id(self) -> str | None:
        """The first of X-Request-Id, X-Correlation-Id, Request-Id, traceparent the server sent."""
        return correlation_id(self.headers)

    def json(self) -> Any:
        """Parse the body as JSON.

        Returns:
            The parsed value.

        Raises:
            ResponseValidationError: The body is not valid JSON.
        """
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError) as exc:
            detail = f"{exc.msg} at position {exc.pos}" if isinstance(exc, json.JSONDecodeError) else str(exc)
            safe_url = url_without_query(self.url)
            raise ResponseValidationError(
                f"{self.method} {safe_url}: response is not valid JSON ({detail})",
                errors=[{"loc": (), "msg": detail, "type": "json_invalid"}],
                request_method=self.method,
                url=safe_url,
            ) from exc

    def __repr__(self) -> str:
        size = len(self.content)
        return f"<HttpResponse {self.method} {redact_url(self.url)} {self.status_code} ({size} bytes)>"


@dataclass(frozen=True)
class RequestInfo:
    """What ``request`` event hooks receive: one request about to be sent, secrets redacted.

    Attributes:
        method: The HTTP method.
        url: The redacted URL.
        headers: The redacted request headers (auth applied).
    """

    method: str
    url: str
    headers: Headers


@dataclass(frozen=True)
class ResponseInfo:
    """What ``response`` event hooks receive with the :class:`RequestInfo`: the answer's head, redacted.

    Attributes:
        status_code: The HTTP status.
        elapsed: Seconds until the response headers arrived.
        url: The redacted URL.
        headers: The redacted response headers.
        correlation_id: The server's request or correlation id, if any.
    """

    status_code: int
    elapsed: float
    url: str
    headers: Headers
    correlation_id: str | None
