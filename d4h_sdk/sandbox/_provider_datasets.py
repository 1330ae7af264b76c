"""The datasets a sandbox provider publishes, their data sources, and the purpose an offer declares."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from d4h_sdk.models.policy import AnyConstraint, Constraint, LogicalConstraint, Offer
from d4h_sdk.sandbox._dataplane import BytesSource, DataSource, StreamSource
from d4h_sdk.sandbox.synthetic import Payload, SandboxDataset

__all__ = ["DatasetRegistry", "declared_purpose", "payload_source"]

_PURPOSE_OPERATORS = frozenset({"eq", "isA", "isAnyOf", "isPartOf", "isAllOf"})


def _term(value: str | None) -> str:
    """The local name of a term or IRI (``odrl:purpose`` / ``http://.../odrl/2/purpose`` -> ``purpose``)."""
    text = value or ""
    for separator in ("#", "/", ":"):
        text = text.rsplit(separator, 1)[-1]
    return text


def _atoms(constraints: Iterable[AnyConstraint]) -> Iterable[Constraint]:
    for item in constraints:
        if isinstance(item, LogicalConstraint):
            if item.operator in ("and", "andSequence"):
                yield from _atoms(item.operands)
        else:
            yield item


def _single_iri(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return _single_iri(value[0]) if len(value) == 1 else None
    if isinstance(value, Mapping):
        found = value.get("@id", value.get("@value"))
        return found if isinstance(found, str) else None
    return value if isinstance(value, str) and value else None


def declared_purpose(offer: Offer) -> str | None:
    """The purpose a consumer declares in its requested offer, if it names exactly one.

    A permission constraint on ``purpose`` (``odrl:purpose`` or its IRI) with ``eq`` (or a set operator with
    a single value) declares it; constraints combined with ``or``/``xone`` declare nothing.

    Args:
        offer: The offer of the consumer's ContractRequestMessage.

    Returns:
        The purpose IRI or term, or ``None``.
    """
    for rule in offer.permission:
        for atom in _atoms(rule.constraint):
            if _term(atom.left_operand) == "purpose" and _term(atom.operator) in _PURPOSE_OPERATORS:
                found = _single_iri(atom.right_operand)
                if found is not None:
                    return found
    return None


def payload_source(payload: Payload) -> DataSource:
    """A data plane source for a dataset payload (small payloads are generated once and kept).

    Args:
        payload: The payload.

    Returns:
        A :class:`BytesSource` when the size is unknown up front, else a lazy :class:`StreamSource`.
    """
    if payload.size is None:
        return BytesSource(b"".join(payload.source()), media_type=payload.media_type)
    digest = payload.sha256() if payload.sha256 is not None else None
    return StreamSource(payload.source, size=payload.size, media_type=payload.media_type, sha256=digest)


class DatasetRegistry:
    """The datasets a provider publishes, by id, with their data sources built on first download."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._datasets: dict[str, SandboxDataset] = {}
        self._sources: dict[str, DataSource] = {}

    def add(self, dataset: SandboxDataset) -> None:
        """Publish (or replace) a dataset."""
        with self._lock:
            self._datasets[dataset.id] = dataset
            self._sources.pop(dataset.id, None)

    def remove(self, dataset_id: str) -> bool:
        """Withdraw a dataset; True if it was published."""
        with self._lock:
            self._sources.pop(dataset_id, None)
            return self._datasets.pop(dataset_id, None) is not None

    def get(self, dataset_id: str | None) -> SandboxDataset | None:
        """The dataset with this id, or ``None``."""
        with self._lock:
            return self._datasets.get(dataset_id or "")

    def all(self) -> list[SandboxDataset]:
        """Every dataset, in publication order."""
        with self._lock:
            return list(self._datasets.values())

    def find_offer(self, offer_id: str, dataset_id: str | None) -> tuple[SandboxDataset, Offer] | None:
        """The dataset and provider offer with this ``@id`` (within ``dataset_id`` when given)."""
        if dataset_id:
            one = self.get(dataset_id)
            candidates = [one] if one is not None else []
        else:
            candidates = self.all()
        for dataset in candidates:
            for offer in dataset.offers:
                if offer.id == offer_id:
                    return dataset, offer
        return None

    def source(self, dataset_id: str) -> DataSource | None:
        """The bytes of a dataset's default payload."""
        dataset = self.get(dataset_id)
        if dataset is None:
            return None
        with self._lock:
            cached = self._sources.get(dataset_id)
        if cached is not None:
            return cached
        built = payload_source(dataset.payload())
        with self._lock:
            return self._sources.setdefault(dataset_id, built)
