"""The HTTP side of :class:`~d4h_sdk.connectors.EdcConnector`: version detection, calls, errors, decoding."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from d4h_sdk import wire
from d4h_sdk.connectors._edc_api import PROFILES, ApiProfile, detection_probe, with_edc_detail
from d4h_sdk.errors import APIStatusError, ConfigurationError, DecodeError, ResponseValidationError
from d4h_sdk.models._base import WireModel
from d4h_sdk.models.management import IdResponse, QuerySpec

if TYPE_CHECKING:
    from d4h_sdk._http import AuthBase, HttpClient, HttpResponse

__all__ = ["NO_ROUTE", "EdcClient", "segment"]

logger = logging.getLogger("d4h_sdk.connectors.edc")

_M = TypeVar("_M", bound=WireModel)
_LIST_PAGE = 100

NO_ROUTE = (404, 405)
"""Statuses with which EDC (Jersey) answers a path or method it does not serve."""


def segment(value: str) -> str:
    """Quote an id for use as one path segment (``:`` and ``@`` kept, as in URNs and DIDs).

    Raises:
        ConfigurationError: The id is empty.
    """
    if not value:
        raise ConfigurationError("an EDC id must not be empty")
    return quote(value, safe=":@")


def _invalid(response: HttpResponse, text: str, errors: Any = ()) -> ResponseValidationError:
    return ResponseValidationError(
        f"{response.method} {response.url}: {text}",
        errors=errors,
        request_method=response.method,
        url=response.url,
    )


class EdcClient:
    """Sends Management API calls for one EDC and knows its API version.

    Args:
        base: The management base URL, without version and trailing slash.
        auth: Credentials added to every call.
        http: The HTTP client.
        owns_http: Whether :meth:`close` closes ``http``.
        profile: The configured API version's profile, or ``None`` to detect it on first use.
    """

    def __init__(
        self, base: str, auth: AuthBase | None, http: HttpClient, owns_http: bool, profile: ApiProfile | None
    ) -> None:
        self.base = base
        self.auth = auth
        self._http = http
        self._owns_http = owns_http
        self.profile = profile
        self._lock = threading.Lock()
        self._closed = False

    def active(self) -> ApiProfile:
        """The API version's profile, detected once (thread-safe) when not configured."""
        if self.profile is None:
            with self._lock:
                if self.profile is None:
                    self.profile = self._detect()
        return self.profile

    def _detect(self) -> ApiProfile:
        path, body = detection_probe()
        response = self.send("POST", path, body=body, allow_status=(400, *NO_ROUTE))
        profile = PROFILES["v3" if response.status_code in NO_ROUTE else "v4"]
        logger.debug("EDC at %s serves Management API %s", self.base, profile.version)
        return profile

    def send(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        params: Mapping[str, str] | None = None,
        allow_status: Collection[int] = (),
    ) -> HttpResponse:
        """Send one call below the management base; EDC's error list goes into the error's message.

        Raises:
            APIStatusError: An error status not in ``allow_status`` (subclass per status).
            APIConnectionError: The EDC could not be reached.
        """
        try:
            return self._http.request(
                method, self.base + path, json=body, params=params, auth=self.auth, allow_status=allow_status
            )
        except APIStatusError as exc:
            raise with_edc_detail(exc) from exc

    def decode(self, response: HttpResponse, model: type[_M], dialect: str | None) -> _M:
        """Decode a response body into ``model``.

        Raises:
            ResponseValidationError: The body is not JSON or not a ``model``.
        """
        return self.decode_doc(response.json(), response, model, dialect)

    def decode_doc(self, doc: Any, response: HttpResponse, model: type[_M], dialect: str | None) -> _M:
        """Decode an already parsed body of ``response`` into ``model``.

        Raises:
            ResponseValidationError: The body is not a ``model``.
        """
        try:
            result = wire.decode(doc, dialect=dialect)
        except DecodeError as exc:
            raise _invalid(response, f"EDC's answer is not a {model.__name__}: {exc}", exc.errors) from exc
        if not isinstance(result, model):
            raise _invalid(response, f"expected a {model.__name__}, EDC sent a {type(result).__name__}")
        return result

    def create(self, path: str, message: WireModel) -> str:
        """POST ``message`` to ``<prefix><path>`` and return the id of EDC's IdResponse."""
        profile = self.active()
        body = wire.encode(message, dialect=profile.dialect)
        return self.decode(
            self.send("POST", profile.prefix + path, body=body), IdResponse, profile.dialect
        ).id

    def query(self, resource: str, query: QuerySpec | None = None) -> list[dict[str, Any]]:
        """``POST <prefix>/<resource>/request`` and return the raw JSON objects.

        Raises:
            ResponseValidationError: EDC did not answer with a JSON array of objects.
        """
        profile = self.active()
        body = wire.encode(query or QuerySpec(), dialect=profile.dialect)
        response = self.send("POST", f"{profile.prefix}/{resource.strip('/')}/request", body=body)
        items = response.json()
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise _invalid(response, "expected a JSON array of objects")
        return items

    def query_all(self, resource: str) -> Iterator[dict[str, Any]]:
        """Every object of ``resource``, page by page."""
        offset = 0
        while True:
            page = self.query(resource, QuerySpec(offset=offset, limit=_LIST_PAGE))
            yield from page
            if len(page) < _LIST_PAGE:
                return
            offset += _LIST_PAGE

    def close(self) -> None:
        """Close the HTTP client if owned (idempotent)."""
        if not self._closed:
            self._closed = True
            if self._owns_http:
                self._http.close()
