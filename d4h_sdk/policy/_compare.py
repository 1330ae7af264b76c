"""Atomic constraint semantics: value normalisation, the purpose hierarchy and every ODRL operator.

Results are three-valued: ``True`` (satisfied), ``False`` (violated), ``None`` (undecided).
"""

from __future__ import annotations

import operator as _op
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from enum import Enum
from types import MappingProxyType
from typing import Any

from d4h_sdk.policy._vocab import DuoCode, Purpose, duo, expand_iri, purposes

__all__ = [
    "ANCESTORS",
    "CONDITIONS",
    "OPERATORS",
    "Atom",
    "atoms",
    "compare",
    "freeze",
    "local_name",
    "normalise_term",
]

Atom = str | int | float | datetime
"""A normalised value: an expanded IRI or string, a number, or an aware datetime."""

OPERATORS: Mapping[str, str] = MappingProxyType(
    {
        "eq": "must equal",
        "neq": "must differ from",
        "isA": "must be a kind of",
        "isAnyOf": "must be any of",
        "in": "must be in",
        "isAllOf": "must include all of",
        "isNoneOf": "must be none of",
        "isPartOf": "must be within",
        "hasPart": "must include",
        "lt": "must be less than",
        "lteq": "must be at most",
        "gt": "must be greater than",
        "gteq": "must be at least",
    }
)
"""Operators the evaluator understands -> the phrase used in explanations."""

CONDITIONS: Mapping[str, str] = MappingProxyType(
    {
        "eq": "equals",
        "neq": "differs from",
        "isA": "is a kind of",
        "isAnyOf": "is any of",
        "in": "is in",
        "isAllOf": "includes all of",
        "isNoneOf": "is none of",
        "isPartOf": "is within",
        "hasPart": "includes",
        "lt": "is less than",
        "lteq": "is at most",
        "gt": "is greater than",
        "gteq": "is at least",
    }
)
"""Operator -> the phrase used for conditions (of prohibitions and duties) in explanations."""

_ORDER_OPS: Mapping[str, Callable[[Any, Any], bool]] = MappingProxyType(
    {"lt": _op.lt, "lteq": _op.le, "gt": _op.gt, "gteq": _op.ge}
)
_ORDERING = frozenset(_ORDER_OPS)
_NUMERIC_TYPES = (
    "integer",
    "decimal",
    "double",
    "float",
    "int",
    "long",
    "nonNegativeInteger",
    "positiveInteger",
)


def _build_ancestors() -> Mapping[str, frozenset[str]]:
    parents: dict[str, str | None] = {}
    item: Purpose | DuoCode
    for item in purposes:
        parents[item.iri] = item.parent
    for item in duo:
        parents[item.iri] = item.parent
    chains: dict[str, frozenset[str]] = {}
    for iri in parents:
        chain: list[str] = []
        current: str | None = iri
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        chains[iri] = frozenset(chain)
    return MappingProxyType(chains)


ANCESTORS: Mapping[str, frozenset[str]] = _build_ancestors()
"""Purpose IRI -> itself and every broader purpose (EHDS lettering, DUO ``DS`` < ``HMB`` < ``GRU``)."""


def local_name(value: object) -> str:
    """A short, readable name for an IRI (``...ehds#HealthcareScientificResearch`` -> the fragment)."""
    text = str(value)
    if text.startswith("urn:"):
        return text.rsplit(":", 1)[1] or text
    for sep in ("#", "/"):
        if sep in text and not text.endswith(sep):
            text = text.rsplit(sep, 1)[1]
    return text


def normalise_term(value: object) -> str:
    """Normalise an ODRL term (operator, action): ``odrl:eq`` / the full IRI / ``{"@id": ...}`` -> ``eq``."""
    if isinstance(value, Mapping):
        value = value.get("@id", "")
    text = str(value) if value is not None else ""
    if text.startswith("odrl:"):
        return text[5:]
    if text.startswith("http://www.w3.org/ns/odrl/2/"):
        return text[28:]
    return text


def freeze(value: Any) -> Any:
    """Turn a JSON value into a hashable one (a cache key); strings stay themselves."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    if isinstance(value, Mapping):
        return tuple(sorted((str(key), freeze(item)) for key, item in value.items()))
    if isinstance(value, (bool, int, float)) or value is None:
        return (type(value).__name__, value)
    return (type(value).__name__, repr(value))


def _parse_datetime(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _atom(value: Any) -> Atom | None:
    """Normalise one JSON value; ``None`` when it has no comparable form (a nested object, null)."""
    if type(value) is str:
        return expand_iri(value)
    if type(value) is dict:
        return _mapping_atom(value)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (str, Purpose, DuoCode)):
        return expand_iri(str(value))
    if isinstance(value, Mapping):
        return _mapping_atom(value)
    return None


def _mapping_atom(value: Mapping[str, Any]) -> Atom | None:
    """Normalise a JSON-LD node reference (``@id``) or a (typed) literal (``@value``)."""
    iri = value.get("@id")
    if isinstance(iri, str):
        return expand_iri(iri)
    literal = value.get("@value")
    kind = str(value.get("@type", ""))
    if isinstance(literal, (str, int, float)) and not isinstance(literal, bool):
        if kind.endswith(("dateTime", "date")):
            return _parse_datetime(str(literal))
        if kind.endswith(_NUMERIC_TYPES):
            try:
                number = float(literal)
            except ValueError:
                return None
            return int(number) if number.is_integer() and "int" in kind.lower() else number
        if kind.endswith("boolean"):
            return str(literal).lower()
        return _atom(literal)
    return None


def atoms(value: Any) -> tuple[Atom, ...] | None:
    """Normalise a right operand or a claim to a tuple of atoms; ``None`` if an element is not comparable."""
    items = value if isinstance(value, (list, tuple, set, frozenset)) else (value,)
    out: list[Atom] = []
    for item in items:
        atom = _atom(item)
        if atom is None:
            return None
        out.append(atom)
    return tuple(out)


def _same(actual: Atom, expected: Atom, hierarchical: bool) -> bool:
    if actual == expected:
        return True
    if hierarchical and isinstance(actual, str) and isinstance(expected, str):
        chain = ANCESTORS.get(actual)
        return chain is not None and expected in chain
    return False


def _covered(expected: Atom, actual: tuple[Atom, ...], hierarchical: bool) -> bool:
    return any(_same(a, expected, hierarchical) for a in actual)


def _orderable(value: Atom, as_date: bool) -> float | datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if as_date:
        return _parse_datetime(value)
    try:
        return float(value)
    except ValueError:
        return _parse_datetime(value)


def _order(operator: str, actual: Atom, expected: Atom, as_date: bool) -> tuple[bool | None, str]:
    left = _orderable(actual, as_date)
    right = _orderable(expected, as_date)
    if left is None or right is None or isinstance(left, datetime) != isinstance(right, datetime):
        return None, "the values cannot be ordered (neither both numbers nor both dates)"
    if isinstance(left, datetime) and isinstance(right, datetime):
        pair: tuple[Any, Any] = (left, right)
    else:
        pair = (float(left), float(right))  # type: ignore[arg-type]
    return bool(_ORDER_OPS[operator](*pair)), ""


def compare(
    operator: str, actual: tuple[Atom, ...], expected: tuple[Atom, ...], *, hierarchical: bool, as_date: bool
) -> tuple[bool | None, str]:
    """Apply ``operator`` to normalised values.

    Args:
        operator: The normalised operator term (``eq``, ``isAnyOf``, ...).
        actual: The requester's value(s).
        expected: The right operand's value(s).
        hierarchical: Purpose matching: a sub-purpose satisfies its broader purpose.
        as_date: Order strings as ``xsd:dateTime``.

    Returns:
        The three-valued result and, when undecided, the reason.
    """
    if not expected:
        return None, "the right operand is empty"
    if not actual:
        return None, "the requester's value is empty"

    def hit(a: Atom) -> bool:
        return any(_same(a, e, hierarchical) for e in expected)

    if operator in _ORDERING:
        if len(actual) != 1 or len(expected) != 1:
            return None, f"{operator} needs exactly one value on each side"
        return _order(operator, actual[0], expected[0], as_date)
    if operator in ("eq", "isA", "neq"):
        if len(expected) == 1:  # a multi-valued claim (roles, protocols) equals a value it contains
            matched = any(_same(a, expected[0], hierarchical) for a in actual)
        else:  # a set on the right: the claim must be that set
            matched = all(hit(a) for a in actual) and all(_covered(e, actual, hierarchical) for e in expected)
        return (not matched if operator == "neq" else matched), ""
    if operator in ("isAnyOf", "in"):
        return any(hit(a) for a in actual), ""
    if operator == "isNoneOf":
        return not any(hit(a) for a in actual), ""
    if operator in ("isAllOf", "hasPart"):
        return all(_covered(e, actual, hierarchical) for e in expected), ""
    if operator == "isPartOf":
        return all(hit(a) for a in actual), ""
    return None, f"operator {operator!r} is not supported by the local evaluator"
