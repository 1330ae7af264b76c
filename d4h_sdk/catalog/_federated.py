"""The EDC Federated Catalog as a catalog source: ``POST <base>/v1alpha/catalog/query`` -> provider catalogs.

The Federated Catalog (FC) crawls the dataspace's connectors and serves what it cached: the query API takes an
EDC ``QuerySpec`` and answers a JSON array of DCAT catalogs, each enriched with the crawled provider's
participant id (``dspace:participantId``) and EDC's ``originator`` (the provider's DSP address). A catalog
may nest catalogs of other participants; each names its own provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from d4h_sdk.connectors import Provider
from d4h_sdk.errors import APIError, ConfigurationError, D4HError, DecodeError

if TYPE_CHECKING:
    from d4h_sdk._http import HttpClient
    from d4h_sdk.models import Catalog, QuerySpec

__all__ = ["FC_QUERY_PATH", "query_federated"]

FC_QUERY_PATH = "/v1alpha/catalog/query"
"""Path of the Federated Catalog query endpoint under its catalog API base."""

_ORIGINATOR_KEYS = ("originator", "edc:originator", "https://w3id.org/edc/v0.0.1/ns/originator")
_MAX_PAGES = 10_000


def _text(value: Any) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, Mapping):
        value = value.get("@id", value.get("@value"))
    return value if isinstance(value, str) and value else None


def _provider_of(catalog: Catalog, inherited: Provider | None) -> Provider | None:
    extra = catalog.model_extra or {}
    address = next((_text(extra[key]) for key in _ORIGINATOR_KEYS if key in extra), None)
    if address is None:
        address = next((s.endpoint_url for s in catalog.services if s.endpoint_url), None)
    if address is None or not address.startswith(("http://", "https://")):
        return inherited
    return Provider(address, participant_id=catalog.participant_id)


def _walk(
    catalog: Catalog, inherited: Provider | None, label: str
) -> tuple[list[tuple[Provider, Catalog]], dict[str, D4HError]]:
    """Split a (nested) FC catalog into (provider, catalog-without-children) pairs."""
    provider = _provider_of(catalog, inherited)
    pairs: list[tuple[Provider, Catalog]] = []
    errors: dict[str, D4HError] = {}
    if len(catalog) and provider is None:
        errors[label] = DecodeError(
            f"federated catalog entry {label} names no provider address (originator or service "
            "endpointURL); its datasets are left out"
        )
    elif len(catalog):
        pairs.append((provider, catalog.model_copy(update={"catalogs": ()})))  # type: ignore[arg-type]
    for index, child in enumerate(catalog.catalogs):
        child_pairs, child_errors = _walk(child, provider, child.participant_id or f"{label}/{index}")
        pairs.extend(child_pairs)
        errors.update(child_errors)
    return pairs, errors


def _request_body(query: QuerySpec) -> dict[str, Any]:
    from d4h_sdk import wire

    return wire.encode(query, dialect="edc-v3")


def query_federated(
    http: HttpClient, url: str, *, query: QuerySpec | None, page_size: int
) -> tuple[list[tuple[Provider, Catalog]], dict[str, D4HError]]:
    """Query a Federated Catalog and return each provider's catalog, plus entries it could not read.

    Args:
        http: The HTTP client (with the FC's credentials).
        url: The FC catalog API base; ``/v1alpha/catalog/query`` is appended.
        query: Send exactly this QuerySpec once; ``None`` pages with ``offset``/``limit`` = ``page_size``.
        page_size: Catalogs per request when paging.

    Returns:
        ``(provider, catalog)`` pairs in answer order, and errors keyed by participant id or position.

    Raises:
        APIError: HTTP failure, or a body that is not a JSON array.
        ConfigurationError: ``url`` is not an http(s) URL.
    """
    from d4h_sdk import wire
    from d4h_sdk.models import Catalog, QuerySpec

    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"the Federated Catalog URL must be an http(s) URL, got {url!r}")
    endpoint = url.rstrip("/") + FC_QUERY_PATH
    pairs: list[tuple[Provider, Catalog]] = []
    errors: dict[str, D4HError] = {}
    spec = query if query is not None else QuerySpec(offset=0, limit=page_size)
    position = 0
    for _ in range(_MAX_PAGES):
        response = http.post(endpoint, json=_request_body(spec))
        body = response.json()
        if not isinstance(body, list):
            raise APIError(
                f"the Federated Catalog answered a {type(body).__name__}, not a JSON array of catalogs",
                request_method="POST",
                url=endpoint,
                body=body,
            )
        for item in body:
            label = f"catalog[{position}]"
            position += 1
            try:
                catalog = wire.decode(item)
                if not isinstance(catalog, Catalog):
                    raise DecodeError(f"{label} is a {type(catalog).__name__}, not a Catalog")
            except D4HError as exc:
                errors[label] = exc
                continue
            found, failed = _walk(catalog, None, catalog.participant_id or label)
            pairs.extend(found)
            errors.update(failed)
        if query is not None or len(body) < spec.limit:
            break
        spec = spec.model_copy(update={"offset": spec.offset + spec.limit})
    return pairs, errors
