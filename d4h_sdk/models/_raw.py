"""Typed dictionaries for the eager, allocation-light validation of catalog datasets.

A catalog's datasets are validated against these shapes straight from bytes; :class:`Dataset` models are
built from the validated dictionaries on first access.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict
from typing_extensions import TypedDict

__all__ = ["RawDataset"]

_ALLOW = ConfigDict(extra="allow")

RawConstraint = TypedDict(
    "RawConstraint",
    {"leftOperand": str, "operator": str, "rightOperand": Any, "and": list[Any], "or": list[Any]},
    total=False,
)
RawConstraint.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]


class RawRule(TypedDict, total=False):
    action: str
    constraint: list[RawConstraint] | RawConstraint
    duty: list[Any] | dict[str, Any]


RawRule.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]
RawOffer = TypedDict(
    "RawOffer",
    {
        "@id": str,
        "@type": str,
        "permission": list[RawRule] | RawRule,
        "prohibition": list[RawRule] | RawRule,
        "obligation": list[RawRule] | RawRule,
    },
    total=False,
)
RawOffer.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]
RawDistribution = TypedDict(
    "RawDistribution",
    {"@type": str, "format": str, "accessService": str | dict[str, Any]},
    total=False,
)
RawDistribution.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]
RawDataset = TypedDict(
    "RawDataset",
    {
        "@id": str,
        "@type": str,
        "hasPolicy": list[RawOffer] | RawOffer,
        "distribution": list[RawDistribution] | RawDistribution,
    },
    total=False,
)
RawDataset.__pydantic_config__ = _ALLOW  # type: ignore[attr-defined]
"""The validated shape of one dataset inside a catalog."""
