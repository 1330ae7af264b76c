"""Route plumbing of the management facades: API-key check, version prefixes, d4h errors -> EDC errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from d4h_sdk.config import REFUSAL_STATUSES
from d4h_sdk.errors import (
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    ConflictError,
    D4HError,
    DecodeError,
    NotFoundError,
    ProtocolError,
    UnsupportedOperationError,
)
from d4h_sdk.sandbox._http_server import Request, Response, Router
from d4h_sdk.sandbox._management_common import VERSIONS, EdcApiError, Handler, edc_error, require_api_key

__all__ = ["Route", "register_routes", "to_edc_error"]

_log = logging.getLogger("d4h_sdk.sandbox")

Route = tuple[str, str, Handler, Sequence[str]]
"""``(method, path under the version, handler, versions)``."""


def to_edc_error(exc: D4HError, *, reading: bool = False) -> EdcApiError:
    """The EDC error answer for an SDK error raised while serving a management call.

    ``reading``: the call only reads at the counter-party (a catalog request), so a connection lost on the way
    is a plain outage (503), never a possibly processed state change (500).
    """
    if isinstance(exc, UnsupportedOperationError):
        return EdcApiError(501, str(exc), "UnsupportedOperation")
    if isinstance(exc, ConflictError):
        return EdcApiError(409, f"the counter-party refused the move: {exc}", "ObjectConflict")
    if isinstance(exc, NotFoundError):
        return EdcApiError(404, f"the provider answered 404: {exc}", "ObjectNotFound")
    if isinstance(exc, APIStatusError):
        if (
            exc.status_code in REFUSAL_STATUSES
        ):  # the counter-party refused before doing anything: safe to send again
            return EdcApiError(
                503, f"the counter-party refused for now ({exc.status_code}): {exc}", "Unavailable"
            )
        if exc.status_code >= 500:  # it may have acted before failing: a client must not simply send again
            return EdcApiError(500, f"the counter-party failed ({exc.status_code}): {exc}", "BadGateway")
        return EdcApiError(502, f"the counter-party answered {exc.status_code}: {exc}", "BadGateway")
    if isinstance(exc, APIConnectionError):
        if exc.may_have_been_processed and not reading:
            return EdcApiError(500, f"the counter-party may have processed the request: {exc}", "BadGateway")
        return EdcApiError(503, f"the counter-party cannot be reached: {exc}", "Unavailable")
    if isinstance(exc, ProtocolError):
        return EdcApiError(409, str(exc), "ObjectConflict")
    if isinstance(exc, DecodeError):
        return EdcApiError(400, str(exc), "ValidationFailure")
    if isinstance(exc, ConfigurationError):
        return EdcApiError(400, str(exc), "InvalidRequest")
    return EdcApiError(500, f"the sandbox failed: {type(exc).__name__}: {exc}", "Unexpected")


def _guarded(
    handler: Handler, dialect: str, api_key: Callable[[], str]
) -> Callable[[Request, Mapping[str, str]], Response]:
    def serve(request: Request, params: Mapping[str, str]) -> Response:
        refused = require_api_key(request, api_key())
        if refused is not None:
            return refused
        try:
            return handler(request, params, dialect)
        except EdcApiError as exc:
            return exc.response()
        except D4HError as exc:
            _log.debug("management call %s %s failed: %s", request.method, request.path, exc)
            return to_edc_error(exc, reading="/catalog/" in request.path).response()

    return serve


def register_routes(router: Router, prefix: str, routes: Sequence[Route], api_key: Callable[[], str]) -> None:
    """Add ``routes`` under ``<prefix>/<version>`` for each of their versions, behind the API key."""
    for method, path, handler, versions in routes:
        for version in versions:
            router.add(method, f"{prefix}/{version}{path}", _guarded(handler, VERSIONS[version], api_key))


def not_found_fallback(router: Router, prefix: str, api_key: Callable[[], str]) -> None:
    """Answer unknown paths under ``prefix`` in EDC's shape (after the API-key check)."""

    def fallback(request: Request, params: Mapping[str, str]) -> Response:
        refused = require_api_key(request, api_key())
        if refused is not None:
            return refused
        return edc_error(404, [(f"no management resource at {request.path}", "ObjectNotFound", None)])

    for method in ("GET", "POST", "PUT", "DELETE"):
        router.add(method, f"{prefix}/{{rest:path}}", fallback)
