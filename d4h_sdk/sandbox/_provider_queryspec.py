"""EDC's ``QuerySpec`` as a CatalogRequestMessage ``filter``: what the sandbox provider reads of it.

The DSP leaves the content of ``filter`` to implementations. Eclipse EDC (0.14, 0.15) puts its management
``querySpec`` there, as one object::

    {"@type": "QuerySpec", "offset": 0, "limit": 50, "sortOrder": "ASC", "filterExpression": []}

(a one-element array in DSP 2025-1, a single object in 2024/1, keys possibly prefixed ``edc:`` or written as
EDC IRIs). The sandbox provider accepts it and applies:

* ``offset`` and ``limit`` as the page (``limit`` capped at the provider's page size; the request's
  ``offset`` / ``limit`` query parameters, set by the ``Link`` header, take precedence);
* ``filterExpression`` criteria on the dataset id (``operandLeft`` ``id``, ``@id``, ``edc:id``, ``assetId``
  or ``https://w3id.org/edc/v0.0.1/ns/id``) with the operator ``=`` or ``in``.

``sortOrder`` and ``sortField`` are ignored (the sandbox lists datasets in publication order). Any other
criterion is an unsupported filter (400 + CatalogError), so a consumer is never handed an unfiltered catalog
it believes filtered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from d4h_sdk.errors import DecodeError
from d4h_sdk.sandbox.synthetic import SandboxDataset

__all__ = ["QuerySpecFilter", "is_query_spec", "query_spec_filter"]

_EDC = "https://w3id.org/edc/v0.0.1/ns/"
_ID_OPERANDS = frozenset({"id", "@id", "edc:id", "assetId", "edc:assetId", _EDC + "id", _EDC + "assetId"})
_QUERY_SPEC_KEYS = frozenset({"offset", "limit", "sortOrder", "sortField", "filterExpression"})


def _local(key: str) -> str:
    """``edc:offset`` / ``https://w3id.org/edc/v0.0.1/ns/offset`` -> ``offset`` (``@type`` stays)."""
    if key.startswith("@"):
        return key
    for separator in ("#", "/", ":"):
        if separator in key:
            key = key.rsplit(separator, 1)[-1]
    return key


def _plain(value: Any) -> Any:
    """A JSON-LD value object or a one-element list reduced to its value."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, Mapping) and ("@value" in value or "@id" in value) and len(value) <= 2:
        return value.get("@value", value.get("@id"))
    return value


def _fields(item: Mapping[str, Any]) -> dict[str, Any]:
    return {_local(str(key)): value for key, value in item.items()}


def is_query_spec(item: Any) -> bool:
    """Whether a ``filter`` element is an EDC QuerySpec (typed ``QuerySpec``, or only QuerySpec keys)."""
    if not isinstance(item, Mapping):
        return False
    fields = _fields(item)
    kind = _plain(fields.get("@type"))
    if isinstance(kind, str):
        return _local(kind) == "QuerySpec"
    return bool(fields) and set(fields) <= _QUERY_SPEC_KEYS


@dataclass(frozen=True)
class QuerySpecFilter:
    """What a QuerySpec asks of the catalog.

    Attributes:
        wanted: The dataset predicate of its criteria.
        offset: Its ``offset`` (``None`` when absent).
        limit: Its ``limit`` (``None`` when absent).
    """

    wanted: Callable[[SandboxDataset], bool]
    offset: int | None
    limit: int | None


def _count(value: Any, name: str, minimum: int) -> int | None:
    value = _plain(value)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise DecodeError(f"unsupported catalog filter: the QuerySpec {name} must be an integer") from exc
    if number < minimum or (isinstance(value, float) and not value.is_integer()):
        raise DecodeError(f"unsupported catalog filter: the QuerySpec {name} must be {minimum} or more")
    return number


def _criterion(item: Any) -> Callable[[SandboxDataset], bool]:
    if not isinstance(item, Mapping):
        raise DecodeError("unsupported catalog filter: a QuerySpec criterion must be an object")
    fields = _fields(item)
    left, operator = _plain(fields.get("operandLeft")), _plain(fields.get("operator"))
    right = fields.get("operandRight")
    if left not in _ID_OPERANDS:
        raise DecodeError(
            f"unsupported catalog filter criterion on {left!r}: the sandbox filters on the dataset id only "
            f"({_EDC}id)"
        )
    if operator == "=":
        wanted = _plain(right)
        if not isinstance(wanted, str):
            raise DecodeError("unsupported catalog filter: '=' on the id takes one string")
        return lambda dataset: dataset.id == wanted
    if operator == "in":
        values = right if isinstance(right, list) else [right]
        ids = frozenset(str(_plain(value)) for value in values)
        return lambda dataset: dataset.id in ids
    raise DecodeError(f"unsupported catalog filter operator {operator!r} on the id; supported: '=', 'in'")


def _criteria(value: Any) -> Sequence[Any]:
    if value is None:
        return ()
    return value if isinstance(value, list) else [value]


def query_spec_filter(item: Mapping[str, Any]) -> QuerySpecFilter:
    """Read an EDC QuerySpec ``filter`` element (see the module docstring).

    Args:
        item: The element (:func:`is_query_spec` holds for it).

    Returns:
        The predicate of its criteria and its ``offset`` / ``limit``.

    Raises:
        DecodeError: A bad ``offset`` / ``limit`` or an unsupported criterion (the provider answers 400).
    """
    fields = _fields(item)
    tests = [_criterion(criterion) for criterion in _criteria(fields.get("filterExpression"))]
    return QuerySpecFilter(
        wanted=lambda dataset: all(test(dataset) for test in tests),
        offset=_count(fields.get("offset"), "offset", 0),
        limit=_count(fields.get("limit"), "limit", 1),
    )
