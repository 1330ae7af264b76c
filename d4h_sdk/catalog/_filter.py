"""What a search selects: :class:`DatasetFilter` over DCAT and HealthDCAT-AP facets, and text relevance."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import TYPE_CHECKING, Any

from d4h_sdk.catalog._facets import Facets, last_segment, read_facets
from d4h_sdk.errors import ConfigurationError

if TYPE_CHECKING:
    from d4h_sdk.models import Dataset

__all__ = ["FACETS", "DatasetFilter", "text_score"]

_SEQUENCE_FIELDS = (
    "health_category",
    "health_theme",
    "coding_system",
    "codes",
    "conforms_to",
    "access_rights",
)
_INT_FIELDS = ("min_age", "max_age", "min_records")
_WORD = re.compile(r"\w+", re.UNICODE)


def _value_text(value: Any, name: str) -> str:
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            f"{name} values must be non-empty strings (a term such as 'EHRS' or a full IRI), got {value!r}"
        )
    return value.strip()


def _texts(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, Enum)):
        value = (value,)
    if not isinstance(value, (Sequence, set, frozenset)):
        raise ConfigurationError(
            f"{name} must be a string or a sequence of strings, got {type(value).__name__}"
        )
    return tuple(_value_text(item, name) for item in value)


def _bound(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{name} must be a non-negative integer or None, got {value!r}")
    return value


def _iri_match(wanted: Sequence[str], iris: tuple[str, ...]) -> bool:
    """A wanted value equals an IRI, or the last segments are equal (case-insensitive).

    Comparing last segments also matches the same concept on another vocabulary host (HealthDCAT-AP
    releases before R8 used development hosts).
    """
    have: set[str] = set()
    for iri in iris:
        have.add(iri.casefold())
        have.add(last_segment(iri).casefold())
    return any(item.casefold() in have or last_segment(item).casefold() in have for item in wanted)


def _code_match(wanted: Sequence[str], facets: Facets) -> bool:
    """A wanted code equals a dataset code or keyword, or is its parent (``E11`` covers ``E11.9``)."""
    have = [code.casefold() for code in (*facets.codes, *facets.keywords)]
    for item in wanted:
        code = item.casefold()
        if any(value == code or value.startswith(code + ".") for value in have):
            return True
    return False


def text_score(text: str | None, facets: Facets) -> float:
    """Relevance of a dataset for a free-text query (0 when a query word is missing).

    Every word of ``text`` must occur (case-insensitive substring) in the id, title, keywords, codes or
    description; a word in the title weighs 3, in the keywords or codes 2, in the id or description 1, and
    the whole phrase in the title adds 2.

    Args:
        text: The query; ``None`` or blank gives 1 for every dataset.
        facets: The dataset's facets.

    Returns:
        The score; 0 means "does not match".
    """
    if text is None or not text.strip():
        return 1.0
    title = " ".join(facets.title).casefold()
    keywords = " ".join((*facets.keywords, *facets.codes)).casefold()
    other = " ".join((facets.id or "", *facets.description)).casefold()
    score = 0.0
    for word in _WORD.findall(text.casefold()):
        weight = 3.0 * (word in title) + 2.0 * (word in keywords) + 1.0 * (word in other)
        if not weight:
            return 0.0
        score += weight
    phrase = " ".join(_WORD.findall(text.casefold()))
    if phrase and phrase in title:
        score += 2.0
    return score


@dataclass(frozen=True)
class DatasetFilter:
    """Which datasets a search keeps: every given field must hold (AND); within a field any value (OR).

    Values of the IRI facets are compared case-insensitively with the dataset's IRI, or last segment with
    last segment, so ``health_theme="NONCOMMUNICABLE_DISEASES"``, the full IRI and
    ``HealthTheme.NONCOMMUNICABLE_DISEASES`` select the same datasets. A dataset that does not carry a
    filtered property does not match.

    Attributes:
        text: Free text: every word must occur in the title, keywords, codes, id or description.
        health_category: ``healthdcatap:healthCategory`` (e.g. ``EHRS``).
        health_theme: ``healthdcatap:healthTheme`` (e.g. ``NONCOMMUNICABLE_DISEASES``).
        coding_system: ``healthdcatap:hasCodingSystem`` (e.g. ``ICD-10``).
        codes: Codes matched against ``healthdcatap:hasCodeValues`` and keywords; a code also matches its
            sub-codes (``E11`` matches ``E11.9``).
        conforms_to: ``dct:conformsTo`` (e.g. ``FHIR``, ``OMOP-CDM``).
        access_rights: ``dct:accessRights`` (``PUBLIC``, ``RESTRICTED``, ``NON_PUBLIC``).
        min_age: The dataset's typical age range must reach this age (an open bound counts as reaching).
        max_age: The dataset's typical age range must start at or below this age.
        min_records: At least this many records (``numberOfRecords``, else ``numberOfUniqueIndividuals``).

    Raises:
        ConfigurationError: A value of the wrong type, or ``min_age`` above ``max_age``.
    """

    text: str | None = None
    health_category: Sequence[str] = field(default=())
    health_theme: Sequence[str] = field(default=())
    coding_system: Sequence[str] = field(default=())
    codes: Sequence[str] = field(default=())
    conforms_to: Sequence[str] = field(default=())
    access_rights: Sequence[str] = field(default=())
    min_age: int | None = None
    max_age: int | None = None
    min_records: int | None = None

    def __post_init__(self) -> None:
        if self.text is not None and not isinstance(self.text, str):
            raise ConfigurationError(f"text must be a string or None, got {type(self.text).__name__}")
        for name in _SEQUENCE_FIELDS:
            object.__setattr__(self, name, _texts(getattr(self, name), name))
        for name in _INT_FIELDS:
            object.__setattr__(self, name, _bound(getattr(self, name), name))
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ConfigurationError(f"min_age ({self.min_age}) is above max_age ({self.max_age})")

    @classmethod
    def from_facets(cls, facets: Mapping[str, Any]) -> DatasetFilter:
        """Build a filter from keyword facets (``search(..., health_theme=..., codes=...)``).

        Raises:
            ConfigurationError: An unknown facet name (the message lists the known ones) or a bad value.
        """
        unknown = sorted(set(facets) - set(FACETS))
        if unknown:
            raise ConfigurationError(
                f"unknown search facet(s) {', '.join(unknown)}; known facets: {', '.join(FACETS)}"
            )
        return cls(**facets)

    def merged(self, facets: Mapping[str, Any]) -> DatasetFilter:
        """This filter with ``facets`` added; a facet given in both places is a ConfigurationError."""
        if not facets:
            return self
        extra = DatasetFilter.from_facets(facets)
        clash = sorted(name for name in facets if getattr(self, name) not in (None, ()))
        if clash:
            raise ConfigurationError(
                f"facet(s) {', '.join(clash)} given both in filter= and as keywords; give each once"
            )
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({name: getattr(extra, name) for name in facets})
        return DatasetFilter(**values)

    @property
    def empty(self) -> bool:
        """True when the filter keeps every dataset."""
        return all(getattr(self, f.name) in (None, ()) for f in fields(self))

    def matches(self, dataset: Dataset | Mapping[str, Any]) -> bool:
        """Whether a dataset (a model or its raw wire dict) passes every facet and the text."""
        return self.matches_facets(read_facets(dataset))

    def matches_facets(self, facets: Facets) -> bool:
        """Whether already-read facets pass (see :func:`~d4h_sdk.catalog._facets.read_facets`)."""
        checks = (
            (self.health_category, facets.health_categories),
            (self.health_theme, facets.health_themes),
            (self.coding_system, facets.coding_systems),
            (self.conforms_to, facets.conforms_to),
            (self.access_rights, facets.access_rights),
        )
        if any(wanted and not _iri_match(wanted, have) for wanted, have in checks):
            return False
        if self.codes and not _code_match(self.codes, facets):
            return False
        if not self._ages_match(facets) or not self._records_match(facets):
            return False
        return text_score(self.text, facets) > 0

    def _ages_match(self, facets: Facets) -> bool:
        if self.min_age is None and self.max_age is None:
            return True
        if facets.min_age is None and facets.max_age is None:
            return False
        if self.min_age is not None and facets.max_age is not None and facets.max_age < self.min_age:
            return False
        return not (self.max_age is not None and facets.min_age is not None and facets.min_age > self.max_age)

    def _records_match(self, facets: Facets) -> bool:
        if self.min_records is None:
            return True
        count = facets.records if facets.records is not None else facets.individuals
        return count is not None and count >= self.min_records


FACETS: tuple[str, ...] = tuple(f.name for f in fields(DatasetFilter))
"""The facet keywords :meth:`CatalogClient.search` accepts (the :class:`DatasetFilter` fields)."""
