"""k-anonymity and distinct l-diversity checks over declared quasi-identifiers, with a suppression budget."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health._readers._lazy import pandas

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = [
    "EquivalenceClass",
    "KAnonymityReport",
    "LDiversityReport",
    "check_k_anonymity",
    "check_l_diversity",
]

DEFAULT_K = 5
"""MedAnon's ``target_k`` (notes/health.md §8.1); a choice, not a legal threshold."""
DEFAULT_L = 2
"""MedAnon's ``target_l``."""
DEFAULT_SUPPRESSION_BUDGET = 0.05
"""MedAnon's ``max_suppression`` (5 % of the rows)."""


@dataclass(frozen=True)
class EquivalenceClass:
    """The rows sharing one combination of quasi-identifier values.

    Attributes:
        values: The quasi-identifier values (a missing value is ``None``; missing values form a class).
        size: The number of rows.
        distinct_sensitive: For l-diversity, the number of distinct non-missing sensitive values, else
            ``None``.
    """

    values: Mapping[str, Any]
    size: int
    distinct_sensitive: int | None = None


@dataclass(frozen=True)
class KAnonymityReport:
    """The outcome of :func:`check_k_anonymity`.

    Attributes:
        k: The required class size.
        quasi_identifiers: The columns checked.
        rows: Rows in the table.
        smallest_class_size: The achieved k (0 for an empty table).
        violating_classes: Classes smaller than ``k``, smallest first.
        rows_to_suppress: Rows in the violating classes (suppressing them makes the rest k-anonymous).
        suppression_share: ``rows_to_suppress / rows`` (0 for an empty table).
        suppression_budget: The largest share of rows that may be suppressed.
        suppressed_index: Index labels of the rows to suppress (``df.drop(index=report.suppressed_index)``).
    """

    k: int
    quasi_identifiers: tuple[str, ...]
    rows: int
    smallest_class_size: int
    violating_classes: tuple[EquivalenceClass, ...]
    rows_to_suppress: int
    suppression_share: float
    suppression_budget: float
    suppressed_index: tuple[Any, ...]

    @property
    def is_k_anonymous(self) -> bool:
        """Whether every class already has at least ``k`` rows."""
        return not self.violating_classes

    @property
    def budget_suffices(self) -> bool:
        """Whether suppressing :attr:`suppressed_index` stays within the budget."""
        return self.suppression_share <= self.suppression_budget

    @property
    def passed(self) -> bool:
        """Whether the table may be released: k-anonymous as is, or after suppression within the budget."""
        return self.is_k_anonymous or self.budget_suffices


@dataclass(frozen=True)
class LDiversityReport:
    """The outcome of :func:`check_l_diversity` (distinct l-diversity).

    Attributes:
        l: The required number of distinct sensitive values per class.
        quasi_identifiers: The columns defining the classes.
        sensitive: The sensitive column.
        rows: Rows in the table.
        smallest_diversity: The achieved l (0 for an empty table).
        violating_classes: Classes with fewer than ``l`` distinct sensitive values, least diverse first.
        rows_to_suppress: Rows in the violating classes.
        suppression_share: ``rows_to_suppress / rows``.
        suppression_budget: The largest share of rows that may be suppressed.
        suppressed_index: Index labels of the rows to suppress.
    """

    l: int  # noqa: E741 - the name used in the literature
    quasi_identifiers: tuple[str, ...]
    sensitive: str
    rows: int
    smallest_diversity: int
    violating_classes: tuple[EquivalenceClass, ...]
    rows_to_suppress: int
    suppression_share: float
    suppression_budget: float
    suppressed_index: tuple[Any, ...]

    @property
    def is_l_diverse(self) -> bool:
        """Whether every class already has at least ``l`` distinct sensitive values."""
        return not self.violating_classes

    @property
    def budget_suffices(self) -> bool:
        """Whether suppressing :attr:`suppressed_index` stays within the budget."""
        return self.suppression_share <= self.suppression_budget

    @property
    def passed(self) -> bool:
        """Whether the table may be released: l-diverse as is, or after suppression within the budget."""
        return self.is_l_diverse or self.budget_suffices


def _validate(df: Any, columns: Sequence[str], minimum: int, name: str, budget: float) -> tuple[str, ...]:
    if isinstance(columns, str) or not columns:
        raise ConfigurationError("declare the quasi-identifiers as a non-empty list of column names")
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
        raise ConfigurationError(f"{name} must be an integer of at least 1, not {minimum!r}")
    if not 0.0 <= budget <= 1.0:
        raise ConfigurationError(f"suppression_budget is a share of rows between 0 and 1, not {budget!r}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ConfigurationError(f"quasi-identifier or sensitive columns not in the table: {missing}")
    return tuple(columns)


def _classes(df: Any, qi: tuple[str, ...]) -> Any:
    """A grouping of the rows by quasi-identifiers; missing values form classes of their own."""
    return df.groupby(list(qi), dropna=False, sort=False)


def _values(qi: tuple[str, ...], key: object, pd: Any) -> dict[str, Any]:
    parts = key if isinstance(key, tuple) else (key,)
    return {c: (None if pd.isna(v) else v) for c, v in zip(qi, parts, strict=True)}


def check_k_anonymity(
    df: pd.DataFrame, quasi_identifiers: Sequence[str], k: int, *, suppression_budget: float = 0.0
) -> KAnonymityReport:
    """Check that every combination of quasi-identifier values is shared by at least ``k`` rows.

    Generalise first (:func:`generalise_dates`, :func:`age_bands`, :func:`generalise_postal_code`), then
    check.
    A class smaller than ``k`` can be fixed by suppressing its rows; the report says which rows, how many,
    and whether that stays within ``suppression_budget``. It fails closed: :attr:`KAnonymityReport.passed`
    is true only if the table is k-anonymous or becomes so within the budget.

    Args:
        df: One row per record (per person, for person-level k-anonymity).
        quasi_identifiers: The columns an attacker may know (age band, sex, postal prefix, dates, ...).
        k: The required class size (>= 1); common choices are 5 or 10, HDABs choose 3 to 100.
        suppression_budget: The largest share of rows that may be suppressed (0.05 = 5 %).

    Returns:
        The report.

    Raises:
        ConfigurationError: No quasi-identifiers, a column not in ``df``, ``k`` < 1 or a budget outside 0-1.
    """
    qi = _validate(df, quasi_identifiers, k, "k", suppression_budget)
    pd = pandas()
    rows = len(df)
    if rows == 0:
        return KAnonymityReport(k, qi, 0, 0, (), 0, 0.0, suppression_budget, ())
    grouped = _classes(df, qi)
    sizes = grouped.size()
    small = sizes[sizes < k].sort_values(kind="stable")
    violating = tuple(EquivalenceClass(_values(qi, key, pd), int(size)) for key, size in small.items())
    member = grouped[qi[0]].transform("size") < k
    index = tuple(df.index[member.to_numpy(dtype=bool)])
    suppress = int(small.sum())
    return KAnonymityReport(
        k=k,
        quasi_identifiers=qi,
        rows=rows,
        smallest_class_size=int(sizes.min()),
        violating_classes=violating,
        rows_to_suppress=suppress,
        suppression_share=suppress / rows,
        suppression_budget=suppression_budget,
        suppressed_index=index,
    )


def check_l_diversity(
    df: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    sensitive: str,
    l: int,  # noqa: E741 - the name used in the literature
    *,
    suppression_budget: float = 0.0,
) -> LDiversityReport:
    """Check that every quasi-identifier class has at least ``l`` distinct values of a sensitive attribute.

    This is *distinct* l-diversity: a class whose rows all share one diagnosis discloses it even when the
    class is large. Missing sensitive values do not count as a value.

    Args:
        df: One row per record.
        quasi_identifiers: The columns defining the classes.
        sensitive: The sensitive column (diagnosis code, result category, ...).
        l: The required number of distinct sensitive values per class (>= 1).
        suppression_budget: The largest share of rows that may be suppressed.

    Returns:
        The report.

    Raises:
        ConfigurationError: As :func:`check_k_anonymity`; also when ``sensitive`` is a quasi-identifier.
    """
    qi = _validate(df, quasi_identifiers, l, "l", suppression_budget)
    _validate(df, [sensitive], 1, "l", suppression_budget)
    if sensitive in qi:
        raise ConfigurationError(f"the sensitive column {sensitive!r} cannot also be a quasi-identifier")
    pd = pandas()
    rows = len(df)
    if rows == 0:
        return LDiversityReport(l, qi, sensitive, 0, 0, (), 0, 0.0, suppression_budget, ())
    grouped = _classes(df, qi)
    stats = grouped[sensitive].agg(["size", "nunique"])
    low = stats[stats["nunique"] < l].sort_values("nunique", kind="stable")
    violating = tuple(
        EquivalenceClass(_values(qi, key, pd), int(size), int(count))
        for key, size, count in zip(low.index, low["size"], low["nunique"], strict=True)
    )
    member = grouped[sensitive].transform("nunique") < l
    suppress = sum(c.size for c in violating)
    return LDiversityReport(
        l=l,
        quasi_identifiers=qi,
        sensitive=sensitive,
        rows=rows,
        smallest_diversity=int(stats["nunique"].min()),
        violating_classes=violating,
        rows_to_suppress=suppress,
        suppression_share=suppress / rows,
        suppression_budget=suppression_budget,
        suppressed_index=tuple(df.index[member.to_numpy(dtype=bool)]),
    )
