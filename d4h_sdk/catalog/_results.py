"""Search results: hits (a dataset, its provider, each offer's fit for the declared purpose) and exports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from d4h_sdk.catalog._facets import Facets, last_segment, read_facets
from d4h_sdk.connectors import Provider
from d4h_sdk.errors import ConfigurationError, D4HError
from d4h_sdk.models import Dataset, Offer

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped]
    import rdflib

    from d4h_sdk.policy import Decision

__all__ = ["DatasetHit", "OfferFit", "SearchResults"]


@dataclass(frozen=True)
class OfferFit:
    """One offer of a dataset and what the local policy evaluation says of it.

    Attributes:
        offer: The contract offer.
        decision: The evaluation for the declared purpose and claims (``decision.explain()`` tells why);
            ``None`` when no purpose was declared (compatibility unknown).
    """

    offer: Offer
    decision: Decision | None = None

    @property
    def permitted(self) -> bool | None:
        """True / False when a purpose was declared, ``None`` when compatibility is unknown."""
        return None if self.decision is None else self.decision.permitted

    def summary(self) -> str:
        """One line: the offer id, the outcome and its first reason (``urn:o:1: prohibited (...)``)."""
        name = self.offer.id or "(offer without id)"
        if self.decision is None:
            return f"{name}: not evaluated (no purpose declared)"
        outcome = self.decision.outcome.value
        reasons = self.decision.reasons
        return f"{name}: {outcome}" + (f" ({reasons[0]})" if reasons else "")


def _fit_rank(fit: OfferFit) -> int:
    decision = fit.decision
    if decision is None:
        return 1
    return {"permitted": 0, "undecided": 1}.get(decision.outcome.value, 2)


@dataclass(frozen=True)
class DatasetHit:
    """A dataset found at a provider, with every offer and its fit (compatible offers first).

    Attributes:
        dataset: The dataset (``dataset.health`` gives the full HealthDCAT-AP view).
        provider: Where it was found (the provider to negotiate with).
        offers: Every offer with its evaluation; permitted ones first, then undecided, then prohibited.
        score: Text relevance (1.0 when no text was searched).
    """

    dataset: Dataset
    provider: Provider
    offers: tuple[OfferFit, ...]
    score: float = 1.0
    _facets: Facets | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        dataset: Dataset,
        provider: Provider,
        decisions: Sequence[OfferFit],
        *,
        score: float = 1.0,
        facets: Facets | None = None,
    ) -> DatasetHit:
        """A hit with its offers sorted: permitted first, then undecided / unknown, then prohibited."""
        ordered = tuple(sorted(decisions, key=_fit_rank))
        return cls(dataset=dataset, provider=provider, offers=ordered, score=score, _facets=facets)

    @property
    def id(self) -> str | None:
        """The dataset id."""
        return self.dataset.id

    @property
    def compatible(self) -> bool:
        """True when at least one offer is permitted for the declared purpose and claims."""
        return any(fit.permitted for fit in self.offers)

    @property
    def evaluated(self) -> bool:
        """True when the offers were evaluated (a purpose was declared)."""
        return any(fit.decision is not None for fit in self.offers)

    @property
    def best_offer(self) -> Offer | None:
        """The first permitted offer, or ``None`` (none permitted, or no purpose declared)."""
        for fit in self.offers:
            if fit.permitted:
                return fit.offer
        return None

    @property
    def facets(self) -> Facets:
        """The searchable facets of the dataset (title, health category, records, access rights...)."""
        if self._facets is None:
            object.__setattr__(self, "_facets", read_facets(self.dataset))
        assert self._facets is not None
        return self._facets

    def rank(self) -> int:
        """0 compatible, 1 undecided or not evaluated, 2 every offer refused (the search's first sort key)."""
        if not self.evaluated:
            return 1
        return min((_fit_rank(fit) for fit in self.offers), default=2)

    def policy_summary(self) -> str:
        """The offers' outcomes in one line (``2 offers: 1 permitted, 1 prohibited``)."""
        if not self.offers:
            return "no offers"
        if not self.evaluated:
            return f"{len(self.offers)} offer(s), not evaluated (no purpose declared)"
        counts: dict[str, int] = {}
        for fit in self.offers:
            assert fit.decision is not None
            counts[fit.decision.outcome.value] = counts.get(fit.decision.outcome.value, 0) + 1
        detail = ", ".join(f"{number} {outcome}" for outcome, number in counts.items())
        return f"{len(self.offers)} offer(s): {detail}"

    def to_record(self) -> dict[str, Any]:
        """The hit as a flat dict (see :meth:`SearchResults.to_records`)."""
        facets = self.facets
        return {
            "provider": self.provider.address,
            "participant_id": self.provider.participant_id,
            "id": self.dataset.id,
            "title": facets.title[0] if facets.title else None,
            "health_category": ", ".join(last_segment(iri) for iri in facets.health_categories) or None,
            "health_theme": ", ".join(last_segment(iri) for iri in facets.health_themes) or None,
            "records": facets.records,
            "unique_individuals": facets.individuals,
            "access_rights": ", ".join(last_segment(iri) for iri in facets.access_rights) or None,
            "compatible": self.compatible if self.evaluated else None,
            "policy": self.policy_summary(),
            "offers": len(self.offers),
        }


class SearchResults(Sequence[DatasetHit]):
    """The hits of a search, best first, and the providers that failed.

    A failing provider does not lose the others' results: its error is in :attr:`errors` (pass
    ``strict=True`` to :meth:`~d4h_sdk.catalog.CatalogClient.search` to raise it instead).

    Attributes:
        errors: Provider address (or federated catalog entry) -> the error that provider raised.
    """

    def __init__(self, hits: Sequence[DatasetHit] = (), errors: Mapping[str, D4HError] | None = None) -> None:
        self._hits = tuple(hits)
        self.errors: Mapping[str, D4HError] = dict(errors or {})

    @overload
    def __getitem__(self, index: int) -> DatasetHit: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[DatasetHit]: ...

    def __getitem__(self, index: int | slice) -> DatasetHit | Sequence[DatasetHit]:
        return self._hits[index]

    def __len__(self) -> int:
        return len(self._hits)

    def __iter__(self) -> Iterator[DatasetHit]:
        return iter(self._hits)

    def __repr__(self) -> str:
        failed = f", {len(self.errors)} provider(s) failed" if self.errors else ""
        return f"<SearchResults {len(self._hits)} hit(s){failed}>"

    @property
    def compatible(self) -> list[DatasetHit]:
        """The hits with an offer permitted for the declared purpose."""
        return [hit for hit in self._hits if hit.compatible]

    def to_jsonld(self) -> dict[str, Any]:
        """The hits as one JSON-LD document: one DSP 2025-1 catalog per provider, in a ``@graph``."""
        from d4h_sdk import wire
        from d4h_sdk.models import Catalog

        by_provider: dict[Provider, list[Dataset]] = {}
        for hit in self._hits:
            by_provider.setdefault(hit.provider, []).append(hit.dataset)
        graph = []
        for provider, datasets in by_provider.items():
            catalog = Catalog.of(datasets, id=provider.address, participant_id=provider.participant_id)
            doc = wire.encode(catalog, dialect="dsp-2025-1")
            # a relative dataset id resolves to the provider's DSP dataset URL
            doc["@context"] = {"@base": f"{provider.address}/catalog/datasets/"}
            graph.append(doc)
        return {"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@graph": graph}

    def graph(self) -> rdflib.Graph:
        """The hits as an rdflib graph for SPARQL (DCAT, ODRL and HealthDCAT-AP triples; offline).

        Each provider is a ``dcat:Catalog`` whose IRI is its address, with ``dspace:participantId`` and
        ``dcat:dataset`` links to its datasets; a dataset id that is not an absolute IRI becomes the
        provider's DSP dataset URL (``<address>/catalog/datasets/<id>``). rdflib and pyld are imported on
        first call.

        Raises:
            JsonLdError: The hits cannot be converted (a context not bundled).
        """
        from d4h_sdk.jsonld import to_graph

        return to_graph(self.to_jsonld())

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per hit, in rank order.

        Keys: ``provider``, ``participant_id``, ``id``, ``title``, ``health_category``, ``health_theme``
        (last IRI segments, comma-separated), ``records``, ``unique_individuals``, ``access_rights``,
        ``compatible`` (``None`` when no purpose was declared), ``policy`` (a one-line summary) and
        ``offers`` (how many).
        """
        return [hit.to_record() for hit in self._hits]

    def to_pandas(self) -> pandas.DataFrame:
        """The records as a pandas DataFrame.

        Raises:
            ConfigurationError: pandas is not installed.
        """
        try:
            import pandas
        except ImportError as exc:
            raise ConfigurationError("to_pandas() needs pandas: pip install pandas") from exc
        return pandas.DataFrame.from_records(self.to_records(), columns=_COLUMNS)


_COLUMNS = (
    "provider",
    "participant_id",
    "id",
    "title",
    "health_category",
    "health_theme",
    "records",
    "unique_individuals",
    "access_rights",
    "compatible",
    "policy",
    "offers",
)
