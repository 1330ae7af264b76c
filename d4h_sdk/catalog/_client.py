"""The catalog client: browse and search providers' catalogs through any :class:`Connector`."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from d4h_sdk._gc import gc_paused
from d4h_sdk.catalog._facets import Facets, KeyResolver, read_facets
from d4h_sdk.catalog._filter import DatasetFilter, text_score
from d4h_sdk.catalog._results import DatasetHit, OfferFit, SearchResults
from d4h_sdk.config import REFUSAL_STATUSES
from d4h_sdk.connectors import CatalogPage, Connector, Provider
from d4h_sdk.errors import APIConnectionError, APIStatusError, ConfigurationError, D4HError
from d4h_sdk.models import Catalog, Dataset

if TYPE_CHECKING:
    from d4h_sdk._http import HttpClient
    from d4h_sdk.models import QuerySpec
    from d4h_sdk.policy import DuoCode, Evaluator, Purpose

__all__ = ["CatalogClient", "Ranker", "as_provider"]

_log = logging.getLogger("d4h_sdk.catalog")

_PAGE_ATTEMPTS = 3
"""Sends of one catalog page request. A catalog request reads and creates nothing, so sending it again after
a refusal (429 / 502 / 503 / 504) or a broken connection is safe, although DSP makes it a POST."""


def as_provider(provider: Provider | str) -> Provider:
    """A :class:`Provider` from itself or from its DSP address.

    Raises:
        ConfigurationError: Neither a Provider nor an http(s) URL.
    """
    if isinstance(provider, Provider):
        return provider
    if isinstance(provider, str):
        return Provider(provider)
    raise ConfigurationError(
        f"a provider is a Provider or the http(s) URL of its DSP endpoint, got {type(provider).__name__}"
    )


def _providers(providers: Provider | str | Sequence[Provider | str]) -> list[Provider]:
    items = [providers] if isinstance(providers, (Provider, str)) else providers
    if not isinstance(items, Sequence):
        raise ConfigurationError(
            f"providers must be a Provider, a URL or a sequence of them, got {type(providers).__name__}"
        )
    out = list(dict.fromkeys(as_provider(item) for item in items))
    if not out:
        raise ConfigurationError("search needs at least one provider")
    return out


def _iter_raw(catalog: Catalog) -> Iterator[Mapping[str, Any] | Dataset]:
    """The datasets of a catalog and its nested catalogs, raw when not yet built (cheap to filter)."""
    built = catalog._datasets  # noqa: SLF001 - reuse models a connector built itself
    yield from built if built is not None else catalog.dataset_data
    for child in catalog.catalogs:
        yield from _iter_raw(child)


class Ranker:
    """Evaluates offers for one purpose and claims (one memoising evaluator) and builds hits."""

    def __init__(self, purpose: Purpose | DuoCode | str | None, claims: Mapping[str, Any] | None) -> None:
        from d4h_sdk.policy import Evaluator

        self.evaluator: Evaluator | None = None
        if purpose is not None:
            self.evaluator = Evaluator(claims=claims, purpose=purpose)
        elif claims is not None and not isinstance(claims, Mapping):
            raise ConfigurationError(f"claims must be a mapping, got {type(claims).__name__}")

    def hit(
        self, dataset: Dataset, provider: Provider, score: float = 1.0, facets: Facets | None = None
    ) -> DatasetHit:
        """A hit with every offer evaluated (or left unevaluated without a purpose)."""
        fits = [
            OfferFit(offer, self.evaluator.evaluate(offer) if self.evaluator is not None else None)
            for offer in dataset.offers
        ]
        return DatasetHit.build(dataset, provider, fits, score=score, facets=facets)


def rank(hits: list[DatasetHit], *, by_text: bool) -> list[DatasetHit]:
    """Compatible first, then (with text) by relevance; otherwise stable (provider, catalog order)."""
    if by_text:
        return sorted(hits, key=lambda hit: (hit.rank(), -hit.score))
    return sorted(hits, key=DatasetHit.rank)


class CatalogClient:
    """Browse and search catalogs of one or many providers through a connector backend.

    ```python
    client = CatalogClient(connector, claims={"membershipStatus": "active"})
    hits = client.search([hospital, "https://clinic.example/api/dsp"], codes=["E11"],
                         purpose=d4h.purposes.SCIENTIFIC_RESEARCH)
    hits[0].best_offer, hits[0].offers[0].decision.explain(), hits.errors
    ```

    Args:
        connector: Any :class:`~d4h_sdk.connectors.Connector` (EDC or direct DSP).
        max_workers: Most providers queried at the same time.
        page_size: Catalog page size asked of the connector (``None``: the connector's default).
        claims: Default requester claims for the policy evaluation that ranks offers.

    Raises:
        ConfigurationError: An argument of the wrong type or out of range.
    """

    def __init__(
        self,
        connector: Connector,
        *,
        max_workers: int = 8,
        page_size: int | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(connector, Connector):
            raise ConfigurationError(
                f"connector must implement d4h_sdk.connectors.Connector, got {type(connector).__name__}"
            )
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise ConfigurationError(f"max_workers must be an integer of 1 or more, got {max_workers!r}")
        if page_size is not None and (
            isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1
        ):
            raise ConfigurationError(f"page_size must be a positive integer or None, got {page_size!r}")
        if claims is not None and not isinstance(claims, Mapping):
            raise ConfigurationError(
                f"claims must be a mapping of operand -> value, got {type(claims).__name__}"
            )
        self._connector = connector
        self._max_workers = max_workers
        self._page_size = page_size
        self._claims = dict(claims) if claims is not None else None

    def __repr__(self) -> str:
        return f"CatalogClient(connector={self._connector.kind!r}, max_workers={self._max_workers})"

    # -- browsing -----------------------------------------------------------------------------------------

    def pages(self, provider: Provider | str) -> Iterator[Catalog]:
        """Yield a provider's catalog page by page; the next page is requested only when needed.

        Raises:
            D4HError: What the connector raises (HTTP, decoding, authentication).
        """
        target = as_provider(provider)
        cursor: str | None = None
        while True:
            page = self._page(target, cursor)
            yield page.catalog
            if page.next_cursor is None or page.next_cursor == cursor:
                return
            cursor = page.next_cursor

    def _page(self, target: Provider, cursor: str | None) -> CatalogPage:
        for attempt in range(1, _PAGE_ATTEMPTS + 1):
            try:
                return self._connector.request_catalog(target, cursor=cursor, page_size=self._page_size)
            except (APIStatusError, APIConnectionError) as exc:
                status = getattr(exc, "status_code", None)
                if (status is not None and status not in REFUSAL_STATUSES) or attempt == _PAGE_ATTEMPTS:
                    raise
                _log.info("catalog request to %s failed (%s); sending it again", target.address, exc)
                time.sleep(0.2 * 4 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def datasets(self, provider: Provider | str) -> Iterator[tuple[Provider, Dataset]]:
        """Yield ``(provider, dataset)`` over every page of a provider's catalog, lazily.

        Nested catalogs are walked too. Stop iterating and no further page is requested.

        Raises:
            D4HError: What the connector raises.
        """
        target = as_provider(provider)
        for catalog in self.pages(target):
            for dataset in catalog.iter_datasets(recursive=True):
                yield target, dataset

    def get(
        self,
        provider: Provider | str,
        dataset_id: str,
        *,
        purpose: Purpose | DuoCode | str | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> DatasetHit:
        """Request one dataset and evaluate its offers.

        Raises:
            NotFoundError: The provider does not know the dataset (or does not show it to this requester).
            D4HError: What the connector raises.
        """
        if not isinstance(dataset_id, str) or not dataset_id:
            raise ConfigurationError(f"dataset_id must be a non-empty string, got {dataset_id!r}")
        target = as_provider(provider)
        ranker = Ranker(purpose, claims if claims is not None else self._claims)
        return ranker.hit(self._connector.get_dataset(target, dataset_id), target)

    # -- searching ----------------------------------------------------------------------------------------

    def search(
        self,
        providers: Provider | str | Sequence[Provider | str],
        *,
        purpose: Purpose | DuoCode | str | None = None,
        claims: Mapping[str, Any] | None = None,
        limit: int | None = None,
        filter: DatasetFilter | None = None,  # noqa: A002 - the documented keyword
        strict: bool = False,
        **facets: Any,
    ) -> SearchResults:
        """Search one or many providers' catalogs, concurrently, and rank the hits.

        Ranking: hits with an offer permitted for ``purpose`` and the claims come first, then undecided
        ones, then refused ones; with ``text`` the relevance orders hits within each group; otherwise the
        order is stable (providers in the order given, datasets in catalog order). Without a purpose no
        offer is evaluated and the order is the catalog order.

        Args:
            providers: One provider (a :class:`Provider` or its DSP URL) or several.
            purpose: The declared purpose (``d4h_sdk.purposes.SCIENTIFIC_RESEARCH``, a DUO code or an IRI).
            claims: The requester's claims for the evaluation (default: the client's ``claims``).
            limit: Keep at most this many hits.
            filter: A :class:`DatasetFilter`; facet keywords are added to it.
            strict: Raise the first provider error (in provider order) instead of reporting it in
                :attr:`SearchResults.errors`.
            **facets: :class:`DatasetFilter` fields as keywords: ``text``, ``health_category``,
                ``health_theme``, ``coding_system``, ``codes``, ``conforms_to``, ``access_rights``,
                ``min_age``, ``max_age``, ``min_records``.

        Returns:
            The ranked hits, with ``errors`` mapping each failed provider's address to its error.

        Raises:
            ConfigurationError: An unknown facet keyword, a value of the wrong type, or a bad limit.
            D4HError: With ``strict=True``, the first provider's error.
        """
        targets = _providers(providers)
        wanted = self._filter(filter, facets)
        self._check_limit(limit)
        profile = claims if claims is not None else self._claims
        Ranker(purpose, profile)  # checks purpose and claims before any request
        # Without ranking the catalog order is final: a provider can stop paging after `limit` matches.
        stop = limit if purpose is None and not wanted.text else None
        found: dict[Provider, list[DatasetHit]] = {}
        errors: dict[str, D4HError] = {}
        with ThreadPoolExecutor(max_workers=min(self._max_workers, len(targets))) as pool:
            futures = {
                # one evaluator per provider task: its memo is not shared between threads
                target: pool.submit(self._search_one, target, wanted, Ranker(purpose, profile), stop)
                for target in targets
            }
            for target, future in futures.items():
                try:
                    found[target] = future.result()
                except D4HError as exc:
                    errors[target.address] = exc
        if strict and errors:
            raise next(iter(errors.values()))
        hits = rank([hit for target in targets for hit in found.get(target, [])], by_text=bool(wanted.text))
        return SearchResults(hits[:limit] if limit is not None else hits, errors)

    def federated(
        self,
        url: str,
        *,
        http: HttpClient,
        query: QuerySpec | None = None,
        purpose: Purpose | DuoCode | str | None = None,
        claims: Mapping[str, Any] | None = None,
        limit: int | None = None,
        filter: DatasetFilter | None = None,  # noqa: A002 - the documented keyword
        **facets: Any,
    ) -> SearchResults:
        """Search an EDC Federated Catalog (its cached catalogs of many providers) instead of each provider.

        Sends ``POST <url>/v1alpha/catalog/query`` with a QuerySpec (EDC's ``@vocab`` form); ``url`` is the
        Federated Catalog's catalog API base (e.g. ``https://fc.example/api/catalog``). Each returned catalog
        names its provider by ``dspace:participantId`` and EDC's ``originator`` (the provider's DSP address).
        Without ``query`` the client pages through with ``offset``/``limit`` (the client's ``page_size``,
        default 50 catalogs per request) until a short page; a given ``query`` is sent once as is.

        Args:
            url: The Federated Catalog's catalog API base URL.
            http: The HTTP client (carries the Federated Catalog's credentials, e.g. an x-api-key auth).
            query: An explicit QuerySpec (one request).
            purpose: As for :meth:`search`.
            claims: As for :meth:`search`.
            limit: As for :meth:`search`.
            filter: As for :meth:`search`.
            **facets: As for :meth:`search`.

        Returns:
            The ranked hits; a catalog entry the client cannot read (no usable provider address, invalid
            content) is reported in ``errors`` under its participant id or position.

        Raises:
            APIError: The Federated Catalog failed or answered something other than a JSON array.
            ConfigurationError: Bad arguments.
        """
        from d4h_sdk.catalog._federated import query_federated

        wanted = self._filter(filter, facets)
        self._check_limit(limit)
        ranker = Ranker(purpose, claims if claims is not None else self._claims)
        catalogs, errors = query_federated(http, url, query=query, page_size=self._page_size or 50)
        hits: list[DatasetHit] = []
        for provider, catalog in catalogs:
            hits.extend(self._hits_of(catalog, provider, wanted, ranker, KeyResolver(), None))
        hits = rank(hits, by_text=bool(wanted.text))
        return SearchResults(hits[:limit] if limit is not None else hits, errors)

    # -- internals ----------------------------------------------------------------------------------------

    @staticmethod
    def _filter(given: DatasetFilter | None, facets: Mapping[str, Any]) -> DatasetFilter:
        if given is not None and not isinstance(given, DatasetFilter):
            raise ConfigurationError(f"filter must be a DatasetFilter, got {type(given).__name__}")
        return (given or DatasetFilter()).merged(facets)

    @staticmethod
    def _check_limit(limit: int | None) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ConfigurationError(f"limit must be a positive integer or None, got {limit!r}")

    def _search_one(
        self, provider: Provider, wanted: DatasetFilter, ranker: Ranker, stop: int | None
    ) -> list[DatasetHit]:
        keys = KeyResolver()
        hits: list[DatasetHit] = []
        for catalog in self.pages(provider):
            hits.extend(
                self._hits_of(catalog, provider, wanted, ranker, keys, stop - len(hits) if stop else None)
            )
            if stop is not None and len(hits) >= stop:
                break
        return hits

    @staticmethod
    def _hits_of(
        catalog: Catalog,
        provider: Provider,
        wanted: DatasetFilter,
        ranker: Ranker,
        keys: KeyResolver,
        stop: int | None,
    ) -> list[DatasetHit]:
        hits: list[DatasetHit] = []
        with gc_paused():  # many surviving allocations: see d4h_sdk._gc
            for item in _iter_raw(catalog):
                facets = read_facets(item, keys)
                if not wanted.matches_facets(facets):
                    continue
                dataset = item if isinstance(item, Dataset) else Dataset.model_validate(item)
                hits.append(ranker.hit(dataset, provider, text_score(wanted.text, facets), facets))
                if stop is not None and len(hits) >= stop:
                    break
        return hits
