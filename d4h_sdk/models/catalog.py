"""DCAT catalogs as the Dataspace Protocol serves them, and the catalog protocol messages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, PrivateAttr

from d4h_sdk.models._base import LangString, Many, Node, WireModel, canonical_dict, text_of, validate_model
from d4h_sdk.models._raw import RawDataset
from d4h_sdk.models.policy import Offer

if TYPE_CHECKING:
    from d4h_sdk.health.healthdcat import HealthDataset

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogRequestMessage",
    "DataService",
    "Dataset",
    "DatasetRequestMessage",
    "Distribution",
]


class DataService(Node):
    """A DCAT data service: the connector endpoint that serves datasets."""

    MESSAGE_TYPE: ClassVar[str] = "DataService"
    WRITE_TYPE: ClassVar[bool] = False
    type: str | None = Field(default="DataService", alias="@type")

    endpoint_url: str | None = Field(default=None, alias="endpointURL")
    endpoint_description: str | None = Field(default=None, alias="endpointDescription")


class Distribution(Node):
    """A DCAT distribution: a transfer format (e.g. ``HttpData-PULL``) and the service offering it."""

    MESSAGE_TYPE: ClassVar[str] = "Distribution"
    type: str | None = Field(default="Distribution", alias="@type")

    format: str | None = None
    access_service: str | DataService | None = Field(default=None, alias="accessService")

    @property
    def access_service_id(self) -> str | None:
        """The id of the access service, whether it is given by reference or inline."""
        if isinstance(self.access_service, DataService):
            return self.access_service.id
        return self.access_service


_DCT = "http://purl.org/dc/terms/"


def _iri_texts(node: Node, iri: str) -> tuple[LangString, ...]:
    """Language strings of a property kept in the remainder under its full IRI (as asset properties are)."""
    raw = node.remainder.get(iri)
    items = raw if isinstance(raw, list) else [raw]
    texts: list[LangString] = []
    for item in items:
        if isinstance(item, str):
            texts.append(LangString(value=item))
        elif isinstance(item, dict) and isinstance(item.get("@value"), str):
            language = item.get("@language")
            texts.append(
                LangString(value=item["@value"], language=language if isinstance(language, str) else None)
            )
    return tuple(texts)


class _Described(Node):
    """DCAT / Dublin Core descriptive properties shared by catalogs and datasets."""

    title: Many[LangString] = Field(default=(), alias="dct:title")
    description: Many[LangString] = Field(default=(), alias="dct:description")
    keywords: Many[str] = Field(default=(), alias="dcat:keyword")
    themes: Many[str] = Field(default=(), alias="dcat:theme")
    publisher: str | None = Field(default=None, alias="dct:publisher")
    issued: str | None = Field(default=None, alias="dct:issued")
    modified: str | None = Field(default=None, alias="dct:modified")
    spatial: Many[str] = Field(default=(), alias="dct:spatial")
    temporal: Any = Field(default=None, alias="dct:temporal")
    conforms_to: Many[str] = Field(default=(), alias="dct:conformsTo")

    def title_text(self, language: str | None = None) -> str | None:
        """The title in ``language`` (or the untagged / first one); also read from a full-IRI property."""
        return text_of(self.title or _iri_texts(self, _DCT + "title"), language)

    def description_text(self, language: str | None = None) -> str | None:
        """The description in ``language`` (or the untagged / first one); also from a full-IRI property."""
        return text_of(self.description or _iri_texts(self, _DCT + "description"), language)


class Dataset(_Described):
    """A DCAT dataset with the contract offers (``has_policy``) under which it can be obtained."""

    MESSAGE_TYPE: ClassVar[str] = "Dataset"
    type: str | None = Field(default="Dataset", alias="@type")

    has_policy: Many[Offer] = Field(default=(), alias="hasPolicy")
    distributions: Many[Distribution] = Field(default=(), alias="distribution")

    @property
    def offers(self) -> tuple[Offer, ...]:
        """The contract offers of this dataset (same as ``has_policy``)."""
        return self.has_policy

    @property
    def health(self) -> HealthDataset | None:
        """The HealthDCAT-AP metadata embedded in this dataset, as a typed view (``None`` if there is none).

        Read from the dataset's JSON-LD properties under any compaction (see :mod:`d4h_sdk.health`).
        """
        from d4h_sdk.health import health_view

        return health_view(self)


class Catalog(_Described):
    """A DCAT catalog: datasets, nested catalogs and data services of one participant.

    Datasets arrive validated; the :class:`Dataset` objects are built on first access of
    :attr:`datasets` (a 10,000-dataset catalog decodes without allocating 10,000 model trees up front).
    """

    MESSAGE_TYPE: ClassVar[str] = "Catalog"
    type: str | None = Field(default="Catalog", alias="@type")

    participant_id: str | None = Field(default=None, alias="participantId")
    services: Many[DataService] = Field(default=(), alias="service")
    distributions: Many[Distribution] = Field(default=(), alias="distribution")
    catalogs: Many[Catalog] = Field(default=(), alias="catalog")
    dataset_data: Many[RawDataset] = Field(default=(), alias="dataset", repr=False)
    _datasets: tuple[Dataset, ...] | None = PrivateAttr(default=None)
    _depth_checked: bool = PrivateAttr(default=False)

    @property
    def datasets(self) -> tuple[Dataset, ...]:
        """The datasets of this catalog (not of nested catalogs), built on first access."""
        if self._datasets is None:
            from d4h_sdk._gc import gc_paused
            from d4h_sdk.wire._limits import check_depth

            built = []
            with gc_paused():
                for raw in self.dataset_data:
                    if not self._depth_checked:
                        check_depth(raw)
                    built.append(validate_model(Dataset, raw))
            self._datasets = tuple(built)
        return self._datasets

    @classmethod
    def of(cls, datasets: Iterable[Dataset] = (), **fields: Any) -> Catalog:
        """Build a catalog from :class:`Dataset` models (the constructor takes wire dicts for datasets).

        Args:
            datasets: The datasets of the catalog.
            **fields: Any other field, by name (``participant_id=...``) or by wire alias.
        """
        models = tuple(datasets)
        catalog = cls.model_validate({**fields, "dataset": [canonical_dict(item) for item in models]})
        catalog._datasets = models
        return catalog

    def _canonical_overrides(self) -> dict[str, Any]:
        return {"dataset_data": self.datasets}

    def __eq__(self, other: object) -> bool:
        # Catalogs are equal when their datasets are, however the raw wire dicts were spelled; the lazily
        # built dataset cache is not part of the value.
        if not isinstance(other, Catalog):
            return NotImplemented
        mine = {key: value for key, value in self.__dict__.items() if key != "dataset_data"}
        theirs = {key: value for key, value in other.__dict__.items() if key != "dataset_data"}
        return (
            type(self) is type(other)
            and mine == theirs
            and self.__pydantic_extra__ == other.__pydantic_extra__
            and self.datasets == other.datasets
        )

    __hash__ = None  # type: ignore[assignment]

    def iter_datasets(self, *, recursive: bool = True) -> Iterator[Dataset]:
        """Yield the datasets of this catalog and, if ``recursive``, of its nested catalogs."""
        yield from self.datasets
        if recursive:
            for child in self.catalogs:
                yield from child.iter_datasets(recursive=True)

    def __len__(self) -> int:
        return len(self.dataset_data)


class CatalogRequestMessage(WireModel):
    """Consumer -> provider: request the catalog, optionally with implementation-specific filters."""

    MESSAGE_TYPE: ClassVar[str] = "CatalogRequestMessage"

    filter: Many[Any] = ()


class DatasetRequestMessage(WireModel):
    """Consumer -> provider: request one dataset by id."""

    MESSAGE_TYPE: ClassVar[str] = "DatasetRequestMessage"

    dataset: str


class CatalogError(WireModel):
    """Provider -> consumer: the catalog request failed."""

    MESSAGE_TYPE: ClassVar[str] = "CatalogError"

    code: str | None = None
    reason: Many[Any] = ()
