from __future__ import annotations

import pandas as pd  # type: ignore[import-untyped]
import pytest

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health._disclosure import EquivalenceClass, check_k_anonymity, check_l_diversity

QI = ["age", "sex"]


@pytest.fixture
def table() -> pd.DataFrame:
    """Classes (age, sex): 40-49/F x4 (3 diagnoses), 50-59/M x3 (1), 60-69/F x1 (1), 70-79/M x2 (2)."""
    rows = [
        ("40-49", "F", "L-1", "E11"),
        ("50-59", "M", "L-2", "E11"),
        ("40-49", "F", "L-1", "E11"),
        ("60-69", "F", "L-1", "C50"),
        ("40-49", "F", "L-1", "I10"),
        ("50-59", "M", "L-2", "E11"),
        ("70-79", "M", "L-3", "E11"),
        ("40-49", "F", "L-1", "E10"),
        ("50-59", "M", "L-2", "E11"),
        ("70-79", "M", "L-3", "I10"),
    ]
    return pd.DataFrame(rows, columns=["age", "sex", "zip", "dx"], index=[f"r{i}" for i in range(10)])


def test_known_k_and_violating_classes(table: pd.DataFrame) -> None:
    report = check_k_anonymity(table, QI, 3)
    assert report.smallest_class_size == 1 and report.rows == 10
    assert report.violating_classes == (
        EquivalenceClass({"age": "60-69", "sex": "F"}, 1),
        EquivalenceClass({"age": "70-79", "sex": "M"}, 2),
    )
    assert report.rows_to_suppress == 3 and report.suppression_share == pytest.approx(0.3)
    assert set(report.suppressed_index) == {"r3", "r6", "r9"}
    assert not report.is_k_anonymous and not report.budget_suffices and not report.passed
    rest = table.drop(index=list(report.suppressed_index))
    assert check_k_anonymity(rest, QI, 3).smallest_class_size == 3


def test_budget_decides(table: pd.DataFrame) -> None:
    assert not check_k_anonymity(table, QI, 3, suppression_budget=0.05).passed
    within = check_k_anonymity(table, QI, 3, suppression_budget=0.3)
    assert within.passed and within.budget_suffices and not within.is_k_anonymous
    exact = check_k_anonymity(table, QI, 1)
    assert exact.is_k_anonymous and exact.passed and exact.suppressed_index == ()
    assert check_k_anonymity(table, ["age", "sex", "zip"], 2).smallest_class_size == 1
    assert check_k_anonymity(table, ["sex"], 5).smallest_class_size == 5


def test_missing_values_form_a_class() -> None:
    df = pd.DataFrame({"age": ["40-49", None, None, "40-49"], "sex": ["F", "M", "M", "F"]})
    report = check_k_anonymity(df, QI, 2)
    assert report.is_k_anonymous and report.smallest_class_size == 2
    assert check_k_anonymity(df, QI, 3).violating_classes[1].values == {"age": None, "sex": "M"}


def test_known_l(table: pd.DataFrame) -> None:
    report = check_l_diversity(table, QI, "dx", 2)
    assert report.smallest_diversity == 1
    assert report.violating_classes == (
        EquivalenceClass({"age": "50-59", "sex": "M"}, 3, 1),
        EquivalenceClass({"age": "60-69", "sex": "F"}, 1, 1),
    )
    assert report.rows_to_suppress == 4 and set(report.suppressed_index) == {"r1", "r3", "r5", "r8"}
    assert not report.passed
    assert check_l_diversity(table, QI, "dx", 2, suppression_budget=0.4).passed
    assert check_l_diversity(table, QI, "dx", 1).is_l_diverse
    three = check_l_diversity(table, QI, "dx", 3)
    assert [c.values["age"] for c in three.violating_classes] == ["50-59", "60-69", "70-79"]


def test_missing_sensitive_values_do_not_count() -> None:
    df = pd.DataFrame({"age": ["40-49"] * 3, "sex": ["F"] * 3, "dx": ["E11", None, None]})
    assert check_l_diversity(df, QI, "dx", 2).smallest_diversity == 1


def test_empty_table_and_configuration_errors(table: pd.DataFrame) -> None:
    empty = check_k_anonymity(table.iloc[:0], QI, 5)
    assert empty.passed and empty.smallest_class_size == 0
    assert check_l_diversity(table.iloc[:0], QI, "dx", 2).passed
    bads: list[dict[str, object]] = [
        {"k": 0},
        {"k": 2.5},
        {"quasi_identifiers": []},
        {"quasi_identifiers": "age"},
    ]
    for bad in bads:
        args = {"quasi_identifiers": QI, "k": 2, **bad}
        with pytest.raises(ConfigurationError):
            check_k_anonymity(table, args["quasi_identifiers"], args["k"])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"not in the table: \['postcode'\]"):
        check_k_anonymity(table, ["age", "postcode"], 2)
    with pytest.raises(ConfigurationError, match="between 0 and 1"):
        check_k_anonymity(table, QI, 2, suppression_budget=5)
    with pytest.raises(ConfigurationError, match="cannot also be a quasi-identifier"):
        check_l_diversity(table, QI, "age", 2)
    with pytest.raises(ConfigurationError, match="not in the table"):
        check_l_diversity(table, QI, "diagnosis", 2)
