"""Typed dictionaries for the eager, allocation-light validation of catalog datasets.

A catalog's datasets are validated against these shapes straight from bytes (in Rust, without building
Python model objects); :class:`~d4h_sdk.models.Dataset` models are built from the validated dictionaries on
first access. The shapes accept exactly what the models accept, so building a dataset never fails after a
catalog decoded: a JSON-LD set is a list, a single value or null, like :data:`~d4h_sdk.models._base.Many`.
"""

from __future__ import annotations

from typing import Any, TypeAlias, Union

from pydantic import ConfigDict
from typing_extensions import NotRequired, TypedDict

__all__ = ["RawDataset"]

_ALLOW = ConfigDict(extra="allow")

RawLangString = TypedDict("RawLangString", {"@value": str, "@language": NotRequired[str | None]})
RawLangString.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]

RawConstraint = TypedDict(
    "RawConstraint",
    {
        "@id": str | None,
        "@type": str | None,
        "leftOperand": str | None,
        "operator": str | None,
        "rightOperand": Any,
        "and": Union[list["RawConstraint"], "RawConstraint", None],
        "or": Union[list["RawConstraint"], "RawConstraint", None],
        "xone": Union[list["RawConstraint"], "RawConstraint", None],
        "andSequence": Union[list["RawConstraint"], "RawConstraint", None],
    },
    total=False,
)
RawConstraint.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]

RawRule = TypedDict(
    "RawRule",
    {
        "@id": str | None,
        "@type": str | None,
        "action": str | None,
        "target": str | None,
        "assigner": str | None,
        "assignee": str | None,
        "constraint": list[RawConstraint] | RawConstraint | None,
        "duty": Union[list["RawRule"], "RawRule", None],
    },
    total=False,
)
RawRule.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]

_Rules: TypeAlias = list[RawRule] | RawRule | None
_Strings: TypeAlias = list[str] | str | None

RawOffer = TypedDict(
    "RawOffer",
    {
        "@id": str | None,
        "@type": str | None,
        "target": str | None,
        "assigner": str | None,
        "assignee": str | None,
        "profile": _Strings,
        "permission": _Rules,
        "prohibition": _Rules,
        "obligation": _Rules,
    },
    total=False,
)
RawOffer.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]

RawDataService = TypedDict(
    "RawDataService",
    {
        "@id": str | None,
        "@type": str | None,
        "endpointURL": str | None,
        "endpointDescription": str | None,
    },
    total=False,
)
RawDataService.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]

RawDistribution = TypedDict(
    "RawDistribution",
    {
        "@id": str | None,
        "@type": str | None,
        "format": str | None,
        "accessService": str | RawDataService | None,
    },
    total=False,
)
RawDistribution.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]

_Texts: TypeAlias = list[str | RawLangString] | str | RawLangString | None

RawDataset = TypedDict(
    "RawDataset",
    {
        "@id": str | None,
        "@type": str | None,
        "dct:title": _Texts,
        "dct:description": _Texts,
        "dcat:keyword": _Strings,
        "dcat:theme": _Strings,
        "dct:publisher": str | None,
        "dct:issued": str | None,
        "dct:modified": str | None,
        "dct:spatial": _Strings,
        "dct:temporal": Any,
        "dct:conformsTo": _Strings,
        "hasPolicy": list[RawOffer] | RawOffer | None,
        "distribution": list[RawDistribution] | RawDistribution | None,
    },
    total=False,
)
"""The validated shape of one dataset inside a catalog."""
RawDataset.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]
