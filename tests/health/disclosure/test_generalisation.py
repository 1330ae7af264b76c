from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd  # type: ignore[import-untyped]
import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health._disclosure import (
    age_band,
    age_bands,
    age_on,
    generalise_date,
    generalise_dates,
    generalise_postal_code,
)


@pytest.mark.parametrize(
    ("value", "level", "expected"),
    [
        (date(2023, 5, 17), "month", "2023-05"),
        (date(2023, 5, 17), "quarter", "2023-Q2"),
        (date(2023, 12, 31), "quarter", "2023-Q4"),
        (date(2023, 1, 1), "quarter", "2023-Q1"),
        (datetime(2023, 9, 30, 23, tzinfo=timezone.utc), "quarter", "2023-Q3"),
        ("2023-05-17T10:00:00+02:00", "year", "2023"),
        ("2023-07", "month", "2023-07"),
    ],
)
def test_generalise_date(value: date | str, level: str, expected: str) -> None:
    assert generalise_date(value, level) == expected  # type: ignore[arg-type]


def test_generalise_dates_over_a_series_keeps_missing_values() -> None:
    series = pd.Series(pd.to_datetime(["2021-02-03", None, "2022-11-30"]))
    assert generalise_dates(series, "month") == ["2021-02", None, "2022-11"]
    missing: list[object] = [None, float("nan"), pd.NA, "2020-01-01"]
    assert generalise_dates(missing, "year") == [None, None, None, "2020"]  # type: ignore[arg-type]


def test_generalise_date_errors() -> None:
    with pytest.raises(ConfigurationError, match="level must be"):
        generalise_date(date(2020, 1, 1), "week")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="cannot generalise a date"):
        generalise_date("17/05/2023", "year")
    with pytest.raises(ConfigurationError, match="expected a date"):
        generalise_date(2023, "year")  # type: ignore[arg-type]


def test_age_bands() -> None:
    assert [age_band(a) for a in (0, 9, 10, 49.9, 89, 90, 104)] == [
        "0-9",
        "0-9",
        "10-19",
        "40-49",
        "80-89",
        "90+",
        "90+",
    ]
    assert age_band(47, width=5) == "45-49"
    assert age_band(97, top=None) == "90-99"
    assert age_band(33, width=1) == "33"
    assert age_bands([23, None, 71], width=20, top=80) == ["20-39", None, "60-79"]
    with pytest.raises(ConfigurationError):
        age_band(10, width=0)
    with pytest.raises(ConfigurationError):
        age_band(-1)


def test_age_on_and_postal_codes() -> None:
    assert age_on(date(1960, 7, 1), date(2024, 6, 30)) == 63
    assert age_on("1960-07-01", "2024-07-01") == 64
    assert age_on(date(2000, 2, 29), date(2001, 2, 28)) == 0
    assert generalise_postal_code("L-1 234") == "L-1"
    assert generalise_postal_code("75012", keep=2) == "75"
    assert generalise_postal_code(None) is None
