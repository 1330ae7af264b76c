"""Small-cell suppression of aggregate count tables, with secondary (complementary) suppression.

Method (documented in docs/guides/health-data.md):

1. **Primary**: every cell with ``0 < count < threshold`` is suppressed (zeros too, with ``suppress_zeros``);
   so is every row or column total with ``0 < total < threshold`` (withheld, ``<NA>`` in the totals).
2. **Secondary**, assuming the row and column totals of the original table are published: for every row
   and column that has a suppressed cell, further cells are suppressed (cells whose crossing line already
   has a suppression first, then positive before zero, then smallest) until the line has at least two
   suppressed cells *and* their sum is at least ``threshold`` (or nothing is left to suppress).
   Repeated until no line changes.
3. **Audit**: the suppressed cells are the unknowns of the linear system "row sums and column sums equal the
   published totals"; a cell whose value that system determines exactly (its unit vector lies in the row
   space of the system) is recoverable. For each recoverable cell the smallest remaining cell of its row (or
   column) is suppressed and steps 2-3 repeat. When a line has nothing left to suppress, its total is
   withheld instead (``row_totals`` / ``column_totals`` carry ``<NA>``).

This guarantees that no suppressed cell can be recomputed exactly from the published cells and totals. It
does not guarantee a minimum width of the interval an attacker can derive using non-negativity (an LP
audit would); the sum rule of step 2 makes narrow intervals unlikely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health._readers._lazy import pandas

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = ["DEFAULT_SMALL_CELL_THRESHOLD", "SuppressedTable", "suppress_small_cells"]

DEFAULT_SMALL_CELL_THRESHOLD = 10
"""A common hospital choice, not law: there is no EU-wide threshold (notes/health.md §8.1)."""


@dataclass(frozen=True)
class SuppressedTable:
    """The outcome of :func:`suppress_small_cells`.

    Attributes:
        table: The table to publish: ``Int64`` counts with ``<NA>`` for suppressed cells.
        primary: Boolean mask of cells suppressed because they are small.
        secondary: Boolean mask of cells suppressed to protect the primary ones.
        row_totals: The row totals to publish (``<NA>`` where a total must be withheld).
        column_totals: The column totals to publish (``<NA>`` where withheld).
        threshold: The threshold used.
    """

    table: pd.DataFrame
    primary: pd.DataFrame
    secondary: pd.DataFrame
    row_totals: pd.Series
    column_totals: pd.Series
    threshold: int

    @property
    def suppressed_cells(self) -> int:
        """The number of cells suppressed (primary and secondary)."""
        return int((self.primary | self.secondary).to_numpy().sum())


def suppress_small_cells(
    table: pd.DataFrame | pd.Series,
    threshold: int = DEFAULT_SMALL_CELL_THRESHOLD,
    *,
    secondary: bool = True,
    suppress_zeros: bool = False,
) -> SuppressedTable:
    """Suppress counts below ``threshold`` in an aggregate table so that they cannot be recovered.

    Args:
        table: Non-negative integer counts without margins (a Series is a one-column table). Totals are
            taken to be the sums of the original table and to be published; when the table has a single
            column (or row), its row (column) totals would equal the cells and are not considered published.
        threshold: Counts ``0 < n < threshold`` are suppressed (configurable; 10 is a common choice).
        secondary: Whether to add complementary suppressions and audit them (see the module docstring). Turn
            it off only when no totals are published.
        suppress_zeros: Whether zero counts are primary suppressions too.

    Returns:
        The published table, the masks and the totals to publish.

    Raises:
        ConfigurationError: ``threshold`` < 1, or the table holds anything but non-negative integers.
    """
    pd = pandas()
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ConfigurationError(f"threshold must be an integer of at least 1, not {threshold!r}")
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    counts = _counts(pd, frame)
    primary = (counts > 0) & (counts < threshold)
    if suppress_zeros:
        primary |= counts == 0
    hidden = primary.copy()
    rows_published = counts.shape[1] > 1
    cols_published = counts.shape[0] > 1
    # a published total is a cell too: a small one is withheld (and then gives no equation)
    sums_r, sums_c = counts.sum(axis=1), counts.sum(axis=0)
    withheld_rows = {i for i in range(counts.shape[0]) if rows_published and 0 < sums_r[i] < threshold}
    withheld_cols = {j for j in range(counts.shape[1]) if cols_published and 0 < sums_c[j] < threshold}
    if secondary and hidden.any():
        _protect(counts, hidden, threshold, rows_published, cols_published, withheld_rows, withheld_cols)
    published = pd.DataFrame(counts, index=frame.index, columns=frame.columns).astype("Int64")
    published = published.mask(pd.DataFrame(hidden, index=frame.index, columns=frame.columns))
    row_totals = pd.Series(counts.sum(axis=1), index=frame.index, dtype="Int64")
    column_totals = pd.Series(counts.sum(axis=0), index=frame.columns, dtype="Int64")
    row_totals.iloc[sorted(withheld_rows)] = pd.NA
    column_totals.iloc[sorted(withheld_cols)] = pd.NA
    return SuppressedTable(
        table=published,
        primary=pd.DataFrame(primary, index=frame.index, columns=frame.columns),
        secondary=pd.DataFrame(hidden & ~primary, index=frame.index, columns=frame.columns),
        row_totals=row_totals,
        column_totals=column_totals,
        threshold=threshold,
    )


def _counts(pd: Any, frame: Any) -> Any:
    """The table as a 2-D integer numpy array, or ConfigurationError."""
    import numpy as np

    try:
        values = frame.to_numpy(dtype="float64")
    except (TypeError, ValueError) as exc:
        raise ConfigurationError("the table must hold counts (non-negative integers)") from exc
    if values.size and (np.isnan(values).any() or (values < 0).any() or (values != np.floor(values)).any()):
        raise ConfigurationError("the table must hold counts (non-negative integers), without missing cells")
    return values.astype("int64")


def _lines(shape: tuple[int, int], rows: bool, cols: bool) -> list[tuple[str, int]]:
    return [("row", i) for i in range(shape[0]) if rows] + [("col", j) for j in range(shape[1]) if cols]


def _cells(kind: str, index: int, shape: tuple[int, int]) -> list[tuple[int, int]]:
    return [(index, j) for j in range(shape[1])] if kind == "row" else [(i, index) for i in range(shape[0])]


def _hide_smallest(counts: Any, hidden: Any, cells: list[tuple[int, int]], kind: str) -> bool:
    """Suppress one more visible cell of a line; False if none is left.

    Preference: a cell whose crossing line already has a suppression (it then protects both lines, which
    makes rectangles rather than chains), then positive before zero, then the smallest count.
    """
    visible = [c for c in cells if not hidden[c]]
    if not visible:
        return False

    def crossing_is_clean(cell: tuple[int, int]) -> bool:
        crossing = hidden[:, cell[1]] if kind == "row" else hidden[cell[0], :]
        return not bool(crossing.any())

    best = min(visible, key=lambda c: (crossing_is_clean(c), counts[c] == 0, counts[c], c))
    hidden[best] = True
    return True


def _protect(
    counts: Any,
    hidden: Any,
    threshold: int,
    rows: bool,
    cols: bool,
    withheld_rows: set[int],
    withheld_cols: set[int],
) -> None:
    shape = counts.shape
    while True:
        changed = True
        while changed:  # step 2: at least two suppressed cells summing to >= threshold in every line
            changed = False
            for kind, index in _lines(shape, rows, cols):
                if (kind == "row" and index in withheld_rows) or (kind == "col" and index in withheld_cols):
                    continue
                cells = _cells(kind, index, shape)
                secret = [c for c in cells if hidden[c]]
                while secret and (len(secret) < 2 or sum(counts[c] for c in secret) < threshold):
                    if not _hide_smallest(counts, hidden, cells, kind):
                        if len(secret) < 2:
                            (withheld_rows if kind == "row" else withheld_cols).add(index)
                        break
                    changed = True
                    secret = [c for c in cells if hidden[c]]
        recoverable = _recoverable(hidden, rows, cols, withheld_rows, withheld_cols)
        if not recoverable:
            return
        cell = recoverable[0]  # step 3: break the exact recovery, then re-check
        if not _hide_smallest(counts, hidden, _cells("row", cell[0], shape), "row") and not _hide_smallest(
            counts, hidden, _cells("col", cell[1], shape), "col"
        ):
            if rows and cell[0] not in withheld_rows:
                withheld_rows.add(cell[0])
            else:
                withheld_cols.add(cell[1])


def _recoverable(
    hidden: Any, rows: bool, cols: bool, withheld_rows: set[int], withheld_cols: set[int]
) -> list[tuple[int, int]]:
    """Suppressed cells whose value the published totals determine exactly."""
    import numpy as np

    unknowns = [(int(c[0]), int(c[1])) for c in np.argwhere(hidden)]
    if not unknowns:
        return []
    position = {cell: n for n, cell in enumerate(unknowns)}
    equations = []
    for kind, index in _lines(hidden.shape, rows, cols):
        if (kind == "row" and index in withheld_rows) or (kind == "col" and index in withheld_cols):
            continue
        vector = np.zeros(len(unknowns))
        for cell in _cells(kind, index, hidden.shape):
            if cell in position:
                vector[position[cell]] = 1.0
        if vector.any():
            equations.append(vector)
    if not equations:
        return []
    system = np.array(equations)
    rank = np.linalg.matrix_rank(system)
    found = []
    for cell, n in position.items():
        unit = np.zeros(len(unknowns))
        unit[n] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            found.append(cell)
    return found
