"""How a failed request becomes an SDK error.

Timeouts, refused and lost connections, and whether a POST may have reached the peer before the connection
failed (then it must not simply be sent again).
"""

from __future__ import annotations

import requests
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from d4h_sdk._http_retry import IDEMPOTENT_METHODS, Timeout
from d4h_sdk.errors import APIConnectionError, APIError, APITimeoutError

__all__ = ["connection_error", "is_timeout"]


def is_timeout(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.Timeout):
        return True
    return bool(exc.args) and isinstance(exc.args[0], ReadTimeoutError)


_AMBIGUOUS = (
    "; the peer may have received and processed this {method} before the connection failed: it is not sent "
    "again automatically (that could create a duplicate); check the peer's state before sending it again"
)


def _maybe_processed(exc: requests.RequestException, method: str) -> str:
    """A warning for a state-changing request that may have reached the peer (``""`` when it cannot have)."""
    if method.upper() in IDEMPOTENT_METHODS or isinstance(
        exc, (requests.ConnectTimeout, requests.exceptions.SSLError)
    ):
        return ""
    cause: BaseException | None = exc
    for _ in range(8):
        if cause is None:
            break
        if isinstance(cause, (NewConnectionError, ConnectionRefusedError)):
            return ""  # no connection was made: the request was never sent
        reason = getattr(cause, "reason", None)
        cause = reason if isinstance(reason, BaseException) else cause.__cause__ or cause.__context__
    return _AMBIGUOUS.format(method=method)


def connection_error(
    exc: requests.RequestException, method: str, safe_url: str, timeout: Timeout
) -> APIError:
    """Map a ``requests`` failure to an SDK error whose text carries no URL query and no secret."""
    ambiguous = _maybe_processed(exc, method)
    error = _connection_error_of(exc, method, safe_url, timeout, ambiguous)
    error.may_have_been_processed = bool(ambiguous)
    return error


def _connection_error_of(
    exc: requests.RequestException, method: str, safe_url: str, timeout: Timeout, ambiguous: str
) -> APIConnectionError:
    if is_timeout(exc):
        phase = "connect" if isinstance(exc, requests.ConnectTimeout) else "read"
        seconds = timeout.connect if phase == "connect" else timeout.read
        return APITimeoutError(
            f"{method} {safe_url}: no answer within the {phase} timeout of {seconds:g} s; "
            f"raise timeout= if the peer is slow{ambiguous}",
            request_method=method,
            url=safe_url,
        )
    cause: BaseException | None = exc
    detail = type(exc).__name__
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            detail = cause.strerror
            break
        reason = getattr(cause, "reason", None)
        cause = reason if isinstance(reason, BaseException) else cause.__cause__ or cause.__context__
    hint = "; check verify= or the CA bundle" if isinstance(exc, requests.exceptions.SSLError) else ""
    return APIConnectionError(
        f"{method} {safe_url}: connection failed ({detail}){hint}{ambiguous}",
        request_method=method,
        url=safe_url,
    )
