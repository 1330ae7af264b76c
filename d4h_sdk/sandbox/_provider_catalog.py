"""What the sandbox provider publishes: version metadata, and per-requester views of its datasets.

A dataset is visible to a requester when at least one of its offers is permitted or undecided for the
requester's verified claims (evaluated without a purpose: the purpose is declared at negotiation); only those
offers are listed, each with ``assigner`` = the provider DID (DSP 2024-1 requires it) and no ``target``.

Catalog pages (the spec leaves the query format open): ``POST .../catalog/request?offset=<n>&limit=<m>``
selects the visible, filtered datasets ``n .. n+m-1`` in publication order (``limit`` at most the page size,
default the page size). The ``Link`` header carries ``rel="next"`` and ``rel="prev"``: the spec names the
relation ``previous``, EDC writes ``prev``, and the sandbox follows EDC (clients should accept both). A client
re-POSTs the same CatalogRequestMessage to the link URL. An EDC ``QuerySpec`` in the ``filter`` (what EDC
consumers send) is read by :mod:`d4h_sdk.sandbox._provider_queryspec`: its ``offset`` / ``limit`` select the
page unless the query parameters do, and its id criteria filter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from d4h_sdk.errors import DecodeError
from d4h_sdk.models.catalog import Catalog, DataService, Dataset, Distribution
from d4h_sdk.models.policy import Offer
from d4h_sdk.models.version import ProtocolVersion, VersionAuth, VersionResponse
from d4h_sdk.sandbox._provider_queryspec import is_query_spec, query_spec_filter
from d4h_sdk.sandbox.synthetic import SandboxDataset

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DSP_VERSIONS",
    "PULL_FORMAT",
    "PUSH_FORMAT",
    "catalog_filter",
    "catalog_page",
    "dataset_view",
    "page_bounds",
    "page_links",
    "version_response",
    "visible_offers",
]

DSP_VERSIONS: dict[str, str] = {"2025-1": "dsp-2025-1", "2024-1": "dsp-2024-1"}
"""Served DSP versions (path segment) -> wire dialect."""

PULL_FORMAT = "HttpData-PULL"
"""The distribution format of an HTTP pull transfer (EDC's name)."""

PUSH_FORMAT = "HttpData-PUSH"
"""The distribution format of an HTTP push transfer."""

_DCP_AUTH = VersionAuth(protocol="DCP", version="1.0", profile=("vc11-sl2021/jwt",))


def version_response() -> VersionResponse:
    """The ``/.well-known/dspace-version`` body: both versions, at ``/<version>``, authenticated by DCP."""
    return VersionResponse(
        protocol_versions=[
            ProtocolVersion(
                version=version,
                path=f"/{version}",
                binding="HTTPS",
                identifier_type="did:web",
                auth=_DCP_AUTH,
            )
            for version in DSP_VERSIONS
        ]
    )


def visible_offers(dataset: SandboxDataset, claims: Mapping[str, Any]) -> tuple[Offer, ...]:
    """The offers of a dataset that the policy evaluation does not prohibit for these claims."""
    from d4h_sdk import policy

    evaluator = policy.Evaluator(claims=claims)
    return tuple(
        offer
        for offer in dataset.offers
        if evaluator.evaluate(offer).outcome is not policy.Outcome.PROHIBITED
    )


def dataset_view(
    dataset: SandboxDataset, offers: Sequence[Offer], *, service: DataService, assigner: str
) -> Dataset:
    """The DSP Dataset: HealthDCAT-AP properties, the given offers, pull and push distributions.

    Args:
        dataset: The published dataset.
        offers: The offers to list (see :func:`visible_offers`).
        service: The DataService the distributions point to (the versioned DSP endpoint).
        assigner: The provider DID, written as each offer's assigner.

    Returns:
        The dataset model.
    """
    return Dataset.model_validate(
        {
            **dataset.properties,
            "@id": dataset.id,
            "hasPolicy": [offer.model_copy(update={"assigner": assigner}) for offer in offers],
            "distribution": [
                Distribution(format=PULL_FORMAT, access_service=service),
                Distribution(format=PUSH_FORMAT, access_service=service),
            ],
        }
    )


DEFAULT_PAGE_SIZE = 50
"""Datasets per catalog page unless the connector is configured otherwise."""

_KEYWORD_KEYS = frozenset({"keyword", "dcat:keyword", "http://www.w3.org/ns/dcat#keyword"})
_ID_KEYS = frozenset({"id", "@id"})


def _text_of(value: Any, what: str) -> str:
    if isinstance(value, Mapping):
        value = value.get("@value", value.get("@id"))
    if not isinstance(value, str) or not value:
        raise DecodeError(f"the catalog filter {what} must be a non-empty string")
    return value


def _keywords(dataset: SandboxDataset) -> frozenset[str]:
    return frozenset(str(getattr(k, "value", k)).casefold() for k in dataset.health.keywords)


def _has_keyword(keyword: str) -> Callable[[SandboxDataset], bool]:
    return lambda dataset: keyword in _keywords(dataset)


def _has_id(wanted: str) -> Callable[[SandboxDataset], bool]:
    return lambda dataset: dataset.id == wanted


def catalog_filter(filters: Sequence[Any]) -> Callable[[SandboxDataset], bool]:
    """Turn a CatalogRequestMessage ``filter`` into a dataset predicate.

    Supported forms (the spec leaves filters to implementations): an object with one key, either
    ``keyword`` (also ``dcat:keyword`` or its IRI; the dataset has this keyword, case-insensitive) or
    ``id`` / ``@id`` (the dataset has this id); or an EDC ``QuerySpec`` (its id criteria; its paging is read
    by :func:`catalog_page`). Several elements must all hold. Anything else is an unsupported filter.

    Args:
        filters: The message's ``filter`` values.

    Returns:
        A predicate over published datasets.

    Raises:
        DecodeError: An unsupported filter (the provider answers 400 + CatalogError).
    """
    tests: list[Callable[[SandboxDataset], bool]] = []
    for item in filters:
        if is_query_spec(item):
            tests.append(query_spec_filter(item).wanted)
            continue
        if not isinstance(item, Mapping) or len(item) != 1:
            raise DecodeError(
                "unsupported catalog filter: each filter is an object with one key, 'keyword' or 'id'"
            )
        ((key, value),) = item.items()
        if key in _KEYWORD_KEYS:
            tests.append(_has_keyword(_text_of(value, "keyword").casefold()))
        elif key in _ID_KEYS:
            tests.append(_has_id(_text_of(value, "id")))
        else:
            raise DecodeError(f"unsupported catalog filter key {key!r}; supported: 'keyword', 'id'")
    return lambda dataset: all(test(dataset) for test in tests)


def page_bounds(args: Mapping[str, str], page_size: int) -> tuple[int, int]:
    """The ``offset`` and ``limit`` query parameters of a catalog request (defaults 0 and ``page_size``).

    Raises:
        DecodeError: A value that is not an integer, a negative offset, or a limit outside 1..page_size.
    """
    try:
        offset = int(args.get("offset", "0"))
        limit = int(args.get("limit", str(page_size)))
    except ValueError as exc:
        raise DecodeError("the catalog query parameters offset and limit must be integers") from exc
    if offset < 0 or not 1 <= limit <= page_size:
        raise DecodeError(f"offset must be 0 or more and limit between 1 and {page_size}")
    return offset, limit


def page_links(url: str, *, offset: int, limit: int, total: int) -> str | None:
    """The ``Link`` header of a catalog page: ``rel="next"`` and ``rel="prev"`` (EDC's spelling).

    Args:
        url: The catalog request URL without a query.
        offset: The page's first index.
        limit: The page size.
        total: How many datasets match in all.

    Returns:
        The header value, or ``None`` when everything fits on this page.
    """
    links = []
    if offset > 0:
        links.append(f'<{url}?offset={max(0, offset - limit)}&limit={limit}>; rel="prev"')
    if offset + limit < total:
        links.append(f'<{url}?offset={offset + limit}&limit={limit}>; rel="next"')
    return ", ".join(links) or None


def _query_spec_page(filters: Sequence[Any], offset: int, limit: int, page_size: int) -> tuple[int, int]:
    """The page an EDC QuerySpec in the filter asks for (its limit capped at ``page_size``)."""
    specs = [query_spec_filter(item) for item in filters if is_query_spec(item)]
    if len(specs) > 1:
        raise DecodeError("unsupported catalog filter: more than one QuerySpec")
    if specs:
        offset = specs[0].offset if specs[0].offset is not None else offset
        limit = min(specs[0].limit, page_size) if specs[0].limit is not None else limit
    return offset, limit


def catalog_page(
    datasets: Sequence[SandboxDataset],
    claims: Mapping[str, Any],
    *,
    filters: Sequence[Any],
    args: Mapping[str, str],
    page_size: int,
    service: DataService,
    assigner: str,
    base: str,
) -> tuple[Catalog, str | None]:
    """One catalog page for a requester: filtered, visible datasets, and the ``Link`` header.

    Args:
        datasets: The published datasets, in publication order.
        claims: The requester's verified claims.
        filters: The CatalogRequestMessage ``filter``.
        args: The request's query parameters (``offset``, ``limit``).
        page_size: The largest page.
        service: The DataService of the versioned endpoint.
        assigner: The provider DID.
        base: The versioned DSP base URL.

    Returns:
        The catalog and the ``Link`` header value (``None`` when all fits on one page).

    Raises:
        DecodeError: An unsupported filter or bad page parameters.
    """
    wanted = catalog_filter(filters)
    offset, limit = page_bounds(args, page_size)
    if "offset" not in args and "limit" not in args:
        offset, limit = _query_spec_page(filters, offset, limit, page_size)
    visible: list[tuple[SandboxDataset, tuple[Offer, ...]]] = []
    for dataset in datasets:
        if wanted(dataset):
            offers = visible_offers(dataset, claims)
            if offers:
                visible.append((dataset, offers))
    views = [
        dataset_view(dataset, offers, service=service, assigner=assigner)
        for dataset, offers in visible[offset : offset + limit]
    ]
    catalog = Catalog.of(views, id=f"{base}#catalog", participant_id=assigner, services=[service])
    links = page_links(f"{base}/catalog/request", offset=offset, limit=limit, total=len(visible))
    return catalog, links
