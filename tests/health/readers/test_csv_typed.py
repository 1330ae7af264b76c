from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
import pytest

from d4h_sdk.errors import ConfigurationError, DecodeError
from d4h_sdk.health._readers import CsvwColumn, read_csv_typed

VARIABLES = [
    CsvwColumn("patient", "string", required=True),
    CsvwColumn("visits", "xsd:integer"),
    CsvwColumn("hba1c", "decimal"),
    CsvwColumn("egfr", "http://www.w3.org/2001/XMLSchema#double"),
    CsvwColumn("pregnant", "boolean"),
    CsvwColumn("visit_date", "date"),
    CsvwColumn("measured_at", "dateTime"),
]
GOOD = (
    "patient,visits,hba1c,egfr,pregnant,visit_date,measured_at\n"
    "P-001,3,7.25,88.5,false,2023-01-10,2023-01-10T09:30:00\n"
    "P-002,,6.9,1.2e2,TRUE,2023-02-11,2023-02-11T10:00:00\n"
    "P-003,12,,,0,,\n"
)


def test_columns_are_typed_by_datatype() -> None:
    df = read_csv_typed(GOOD.encode(), VARIABLES)
    assert [str(t) for t in df.dtypes] == [
        "string",
        "Int64",
        "Float64",
        "Float64",
        "boolean",
        "datetime64[ns]",
        "datetime64[ns]",
    ]
    assert df["visits"].tolist()[0] == 3 and pd.isna(df["visits"][1])
    assert df["hba1c"][0] == pytest.approx(7.25)
    assert df["egfr"][1] == pytest.approx(120.0)
    assert df["pregnant"].tolist() == [False, True, False]
    assert df["visit_date"][1] == pd.Timestamp("2023-02-11")
    assert df["measured_at"][0] == pd.Timestamp("2023-01-10T09:30:00")
    assert pd.isna(df["visit_date"][2])


def test_path_and_file_sources(tmp_path: Path) -> None:
    path = tmp_path / "cohort.csv"
    path.write_text(GOOD, encoding="utf-8")
    expected = read_csv_typed(GOOD.encode(), VARIABLES)
    pd.testing.assert_frame_equal(read_csv_typed(path, VARIABLES), expected)
    pd.testing.assert_frame_equal(read_csv_typed(io.StringIO(GOOD), VARIABLES), expected)


def test_zoned_datetimes_become_utc() -> None:
    body = b"t\n2023-01-10T09:30:00+01:00\n2023-01-10T09:30:00Z\n"
    df = read_csv_typed(body, [CsvwColumn("t", "dateTime")])
    assert str(df["t"].dtype) == "datetime64[ns, UTC]"
    assert df["t"].tolist() == [pd.Timestamp("2023-01-10T08:30Z"), pd.Timestamp("2023-01-10T09:30Z")]


def test_mismatches_are_all_reported_without_values() -> None:
    body = (
        "patient,visits,hba1c,egfr,pregnant,visit_date,measured_at\n"
        "P-001,three,7.2,88,yes,10/01/2023,2023-01-10T09:30:00\n"
        ",2,1e3,NaN,1,2023-02-30,2023-01-10\n"
    )
    with pytest.raises(DecodeError) as info:
        read_csv_typed(body.encode(), VARIABLES)
    found = {(e["column"], e["row"]) for e in info.value.errors}
    assert found == {
        ("visits", 1),
        ("pregnant", 1),
        ("visit_date", 1),
        ("patient", 2),  # required and empty
        ("hba1c", 2),  # an exponent is not xsd:decimal
        ("visit_date", 2),  # 30 February
        ("measured_at", 2),  # a date is not a dateTime
    }
    assert "column 'patient' (string), row 2: a required value is empty (and 6 more)" in str(info.value)
    text = str(info.value) + repr(info.value.errors)
    for value in ("three", "yes", "10/01/2023", "P-001"):
        assert value not in text


def test_missing_extra_and_mixed_zone_columns() -> None:
    with pytest.raises(DecodeError, match="column 'visits'.*column is missing"):
        read_csv_typed(b"patient\nP-1\n", [CsvwColumn("patient"), CsvwColumn("visits", "integer")])
    extra = b"patient,note\nP-1,hello\nP-2,\n"
    kept = read_csv_typed(extra, [CsvwColumn("patient")])
    assert kept["note"].tolist()[0] == "hello" and pd.isna(kept["note"][1])
    assert list(read_csv_typed(extra, [CsvwColumn("patient")], extra_columns="drop").columns) == ["patient"]
    with pytest.raises(DecodeError, match="not described"):
        read_csv_typed(extra, [CsvwColumn("patient")], extra_columns="error")
    with pytest.raises(DecodeError, match="with and without a time zone"):
        read_csv_typed(b"t\n2023-01-10T09:30:00Z\n2023-01-10T09:30:00\n", [CsvwColumn("t", "dateTime")])


def test_integer_subtypes_check_their_range() -> None:
    with pytest.raises(DecodeError, match="out of range"):
        read_csv_typed(b"n\n-1\n", [CsvwColumn("n", "nonNegativeInteger")])
    df = read_csv_typed(b"n\n+7\n", [CsvwColumn("n", "xsd:positiveInteger")])
    assert df["n"].tolist() == [7]


def test_any_object_with_name_and_datatype_is_accepted() -> None:
    @dataclass
    class Column:  # like a HealthDCAT CSVW column without ``required``
        name: str | None
        datatype: str | None

    df = read_csv_typed(b"age,sex\n54,F\n", [Column("age", "integer"), Column("sex", None)])
    assert df["age"].tolist() == [54] and str(df["sex"].dtype) == "string"
    with pytest.raises(ConfigurationError, match=r"without a name \(csvw:name\) at positions \[1\]"):
        read_csv_typed(b"age\n54\n", [Column("age", "integer"), Column(None, "string")])


def test_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="unsupported CSVW datatype 'xsd:gYear'"):
        read_csv_typed(b"y\n2020\n", [CsvwColumn("y", "xsd:gYear")])
    with pytest.raises(ConfigurationError, match="not found"):
        read_csv_typed(tmp_path / "none.csv", [])
    with pytest.raises(ConfigurationError, match="as bytes"):
        read_csv_typed("a,b\n1,2\n", [])
    with pytest.raises(ConfigurationError, match="extra_columns"):
        read_csv_typed(b"a\n1\n", [], extra_columns="warn")  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="not a readable CSV"):
        read_csv_typed(b"", [])
