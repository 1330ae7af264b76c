from __future__ import annotations

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health._disclosure import SuppressedTable, suppress_small_cells


def _hidden(result: SuppressedTable) -> list[list[bool]]:
    hidden: list[list[bool]] = result.table.isna().to_numpy().tolist()
    return hidden


def test_primary_and_secondary_form_a_rectangle() -> None:
    table = pd.DataFrame({"F": [3, 20, 30], "M": [15, 25, 12]}, index=["18-39", "40-64", "65+"])
    result = suppress_small_cells(table, threshold=10)
    assert _hidden(result) == [[True, True], [True, True], [False, False]]
    assert result.primary.to_numpy().tolist() == [[True, False], [False, False], [False, False]]
    assert result.secondary.to_numpy().sum() == 3 and result.suppressed_cells == 4
    assert result.table.loc["65+"].tolist() == [30, 12]
    assert result.row_totals.tolist() == [18, 45, 42] and result.column_totals.tolist() == [53, 52]
    assert str(result.table["F"].dtype) == "Int64"


def test_secondary_prefers_small_cells_and_keeps_large_ones() -> None:
    table = pd.DataFrame({"F": [3, 20, 30], "M": [15, 25, 12], "X": [40, 1, 50]}, index=["a", "b", "c"])
    assert _hidden(suppress_small_cells(table)) == [
        [True, False, True],
        [True, False, True],
        [False, False, False],
    ]


def test_series_is_one_column_table() -> None:
    result = suppress_small_cells(pd.Series([3, 40, 50], index=["E10", "E11", "O24"], name="patients"))
    assert _hidden(result) == [[True], [True], [False]]  # two cells hidden so the column total does not tell
    assert result.column_totals.tolist() == [93]


def test_suppressed_sum_reaches_the_threshold() -> None:
    result = suppress_small_cells(pd.DataFrame([[1, 2, 50, 60]]), threshold=10)
    assert _hidden(result) == [[True, True, True, False]]  # 1 + 2 < 10, so 50 joins them


def test_small_totals_are_withheld() -> None:
    result = suppress_small_cells(pd.DataFrame({"F": [3, 20], "M": [0, 30]}), threshold=10)
    assert pd.isna(result.row_totals.iloc[0]) and result.row_totals.iloc[1] == 50
    assert result.column_totals.tolist() == [23, 30]
    assert _hidden(result)[0][0]


def test_no_small_cells_and_primary_only() -> None:
    big = pd.DataFrame({"F": [12, 20], "M": [15, 25]})
    assert suppress_small_cells(big).suppressed_cells == 0
    table = pd.DataFrame({"F": [3, 20, 30], "M": [15, 25, 12]})
    assert _hidden(suppress_small_cells(table, secondary=False)) == [
        [True, False],
        [False, False],
        [False, False],
    ]
    zeros = suppress_small_cells(pd.DataFrame({"F": [0, 20], "M": [15, 25]}), suppress_zeros=True)
    assert zeros.primary.to_numpy().tolist() == [[True, False], [False, False]]


def test_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="threshold"):
        suppress_small_cells(pd.DataFrame({"a": [1]}), threshold=0)
    for bad in ({"a": [1.5]}, {"a": [-1]}, {"a": [None]}, {"a": ["x"]}):
        with pytest.raises(ConfigurationError, match="counts"):
            suppress_small_cells(pd.DataFrame(bad))


def _determined(hidden: np.ndarray, rows: set[int], cols: set[int]) -> list[tuple[int, int]]:
    """Hidden cells fixed by the published totals: bridges of the row-column graph of hidden cells.

    Withheld totals give no equation: their lines are merged into one free "ground" vertex.
    """

    def node(kind: str, index: int) -> tuple[str, int]:
        return (
            ("ground", 0)
            if (kind == "r" and index in rows) or (kind == "c" and index in cols)
            else (kind, index)
        )

    edges = [(node("r", int(i)), node("c", int(j)), (int(i), int(j))) for i, j in np.argwhere(hidden)]
    found = []
    for a, b, cell in edges:
        if a == b:
            continue
        rest = [(x, y) for x, y, other in edges if other != cell]
        seen, todo = {a}, [a]
        while todo:
            current = todo.pop()
            for x, y in rest:
                for u, v in ((x, y), (y, x)):
                    if u == current and v not in seen:
                        seen.add(v)
                        todo.append(v)
        if b not in seen:
            found.append(cell)
    return found


@settings(max_examples=150, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(2, 4), st.integers(2, 4)), elements=st.integers(0, 40)))
def test_no_suppressed_cell_can_be_recomputed_from_totals(counts: np.ndarray) -> None:
    result = suppress_small_cells(pd.DataFrame(counts), threshold=10)
    hidden = result.table.isna().to_numpy()
    assert not (result.primary.to_numpy() & ~hidden).any()  # every small cell is hidden
    assert ((counts > 0) & (counts < 10) <= hidden).all()
    rows = {i for i, t in enumerate(result.row_totals) if pd.isna(t)}
    cols = {j for j, t in enumerate(result.column_totals) if pd.isna(t)}
    for i in set(range(counts.shape[0])) - rows:
        assert hidden[i].sum() != 1
    for j in set(range(counts.shape[1])) - cols:
        assert hidden[:, j].sum() != 1
    assert _determined(hidden, rows, cols) == []
    visible = ~hidden
    assert (result.table.to_numpy()[visible] == counts[visible]).all()


def test_the_recovery_oracle_detects_a_lone_suppression() -> None:
    lone = np.array([[True, False], [False, False]])
    assert _determined(lone, set(), set()) == [(0, 0)]
    chain = np.array([[True, True], [True, False]])  # (0,1) and (1,0) hang off (0,0)
    assert sorted(_determined(chain, set(), set())) == [(0, 0), (0, 1), (1, 0)]
    assert _determined(np.array([[True, True], [True, True]]), set(), set()) == []
    assert _determined(lone, {0}, set()) == [(0, 0)]  # column 0 total still gives it away
    assert _determined(lone, {0}, {0}) == []
