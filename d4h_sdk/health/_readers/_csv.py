"""CSV -> a pandas DataFrame typed by the CSVW column descriptions of the dataset (extra ``[pandas]``)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

from d4h_sdk.errors import ConfigurationError, DecodeError
from d4h_sdk.health._readers._dates import parse_date, parse_datetime
from d4h_sdk.health._readers._lazy import pandas

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = ["CsvwColumn", "CsvwColumnLike", "read_csv_typed"]

_XSD = "http://www.w3.org/2001/XMLSchema#"
_MAX_ERRORS_PER_COLUMN = 20


class CsvwColumnLike(Protocol):
    """Anything with a CSVW column ``name`` and ``datatype`` (an optional ``required`` is honoured)."""

    @property
    def name(self) -> str | None:
        """The column name as in the CSV header (``csvw:name``); ``None`` is refused."""

    @property
    def datatype(self) -> str | None:
        """The CSVW / XML Schema datatype (``integer``, ``xsd:date``, a full XSD IRI); ``None`` = string."""


@dataclass(frozen=True)
class CsvwColumn:
    """A minimal CSVW column description.

    Attributes:
        name: The column name in the CSV header (``csvw:name``).
        datatype: A CSVW built-in datatype name (``integer``, ``decimal``, ``date``, ``dateTime``,
            ``boolean``, ``string``, ...), with or without the ``xsd:`` prefix, or the full XML Schema IRI.
        required: Whether every row must have a value (``csvw:required``).
    """

    name: str
    datatype: str = "string"
    required: bool = False


def _integer(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    def convert(text: str) -> int:
        stripped = text.strip()
        body = stripped[1:] if stripped[:1] in "+-" else stripped
        if not body.isascii() or not body.isdigit():
            raise ValueError("not an integer")
        value = int(stripped)
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError("integer out of range for the datatype")
        return value

    return convert


def _decimal(text: str) -> float:
    stripped = text.strip()
    if not stripped or any(c in stripped for c in "eEnN_"):  # no exponent, NaN or INF in xsd:decimal
        raise ValueError("not a decimal")
    try:
        return float(Decimal(stripped))
    except InvalidOperation as exc:
        raise ValueError("not a decimal") from exc


def _double(text: str) -> float:
    stripped = text.strip()
    special = {"INF": float("inf"), "+INF": float("inf"), "-INF": float("-inf"), "NaN": float("nan")}
    if stripped in special:
        return special[stripped]
    if not stripped or any((c.isalpha() and c not in "eE") or c == "_" for c in stripped):
        raise ValueError("not a number")
    return float(stripped)


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("not a boolean (true, false, 1 or 0)")


def _date(text: str) -> date:
    value = parse_date(text, partial=False)
    if not 1678 <= value.year <= 2261:  # the range of datetime64[ns]
        raise ValueError("year outside 1678-2261")
    return value


def _datetime(text: str) -> datetime:
    value = parse_datetime(text, partial=False)
    if not 1678 <= value.year <= 2261:
        raise ValueError("year outside 1678-2261")
    return value


_INT_LIMITS: Mapping[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonnegativeinteger": (0, None),
    "positiveinteger": (1, None),
    "nonpositiveinteger": (None, 0),
    "negativeinteger": (None, -1),
    "unsignedlong": (0, 2**64 - 1),
    "unsignedint": (0, 2**32 - 1),
    "unsignedshort": (0, 2**16 - 1),
    "unsignedbyte": (0, 255),
}
_STRINGS = {"string", "any", "anyuri", "normalizedstring", "token", "language", "name", "json", "xml", "html"}
_KINDS: dict[str, tuple[str, Callable[[str], Any] | None]] = {
    **{name: ("Int64", _integer(*limits)) for name, limits in _INT_LIMITS.items()},
    "decimal": ("Float64", _decimal),
    "double": ("Float64", _double),
    "float": ("Float64", _double),
    "number": ("Float64", _double),
    "boolean": ("boolean", _boolean),
    "date": ("date", _date),
    "datetime": ("datetime", _datetime),
    **{name: ("string", None) for name in _STRINGS},
}


def _kind(column: CsvwColumnLike) -> tuple[str, Callable[[str], Any] | None]:
    raw = column.datatype or "string"
    name = raw.removeprefix(_XSD).removeprefix("xsd:").removeprefix("csvw:")
    kind = _KINDS.get(name.lower())
    if kind is None:
        raise ConfigurationError(
            f"column {column.name!r}: unsupported CSVW datatype {raw!r} "
            "(supported: integer types, decimal, double, number, boolean, date, dateTime, string types)"
        )
    return kind


def _read_strings(pd: Any, source: Any, delimiter: str, encoding: str) -> pd.DataFrame:
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(bytes(source))
    elif isinstance(source, str) and "\n" in source:
        raise ConfigurationError("read_csv_typed() takes a str as a path; pass CSV content as bytes")
    try:
        return pd.read_csv(
            source, dtype=str, keep_default_na=False, na_filter=False, sep=delimiter, encoding=encoding
        )
    except FileNotFoundError as exc:
        raise ConfigurationError(f"CSV file not found: {source}") from exc
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DecodeError(f"not a readable CSV file: {type(exc).__name__}: {exc}") from exc


def read_csv_typed(
    source: str | os.PathLike[str] | bytes | IO[str] | IO[bytes],
    variables: Sequence[CsvwColumnLike],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    extra_columns: Literal["keep", "drop", "error"] = "keep",
) -> pd.DataFrame:
    """Read a CSV file and type its columns by their CSVW datatypes.

    Integer types become ``Int64``, ``decimal``/``double``/``number`` ``Float64``, ``boolean`` ``boolean``
    (``true``/``false``/``1``/``0``, any case), ``date`` ``datetime64`` (naive), ``dateTime`` ``datetime64``
    (naive when no value has a zone; UTC when every value has one; mixing both is an error), string types
    ``string``. An empty cell is a missing value.

    Args:
        source: A path, the CSV content as ``bytes``, or an open file.
        variables: The column descriptions: :class:`CsvwColumn` or any object with ``name`` and ``datatype``
            (such as the CSVW columns of a HealthDCAT-AP dataset); ``required`` is read when present.
        delimiter: The field separator.
        encoding: The text encoding of a path or bytes source.
        extra_columns: What to do with CSV columns no variable describes: ``"keep"`` them as strings,
            ``"drop"`` them, or raise (``"error"``).

    Returns:
        The typed DataFrame, columns in file order.

    Raises:
        ConfigurationError: An unsupported datatype, an invalid option, a missing file, or pandas missing.
        DecodeError: The file is not readable CSV, or values do not match their datatypes (a declared column
            is absent, a required value is empty, a value does not parse). All problems are reported at once;
            ``.errors`` holds ``{"column", "row", "datatype", "msg"}`` (rows are 1-based data rows). Cell
            values are never repeated in messages: they may be personal data.
    """
    if extra_columns not in ("keep", "drop", "error"):
        raise ConfigurationError(f"extra_columns must be 'keep', 'drop' or 'error', not {extra_columns!r}")
    nameless = [position for position, column in enumerate(variables) if not column.name]
    if nameless:
        raise ConfigurationError(f"CSVW variables without a name (csvw:name) at positions {nameless}")
    kinds = {str(column.name): (column, _kind(column)) for column in variables}
    pd = pandas()
    frame = _read_strings(pd, source, delimiter, encoding)
    problems: list[dict[str, Any]] = []
    for name in kinds:
        if name not in frame.columns:
            problems.append({"column": name, "row": None, "datatype": None, "msg": "column is missing"})
    extras = [name for name in frame.columns if name not in kinds]
    if extras and extra_columns == "error":
        problems.extend(
            {"column": name, "row": None, "datatype": None, "msg": "column is not described"}
            for name in extras
        )
    typed: dict[str, Any] = {}
    for name in frame.columns:
        if name not in kinds:
            if extra_columns == "keep":
                typed[name] = frame[name].replace("", None).astype("string")
            continue
        column, (dtype, convert) = kinds[name]
        typed[name] = _convert(pd, frame[name], column, dtype, convert, problems)
    if problems:
        raise DecodeError(_summary(problems), errors=problems)
    return pd.DataFrame(typed, columns=list(typed))


def _convert(
    pd: Any,
    texts: Any,
    column: CsvwColumnLike,
    dtype: str,
    convert: Callable[[str], Any] | None,
    problems: list[dict[str, Any]],
) -> Any:
    required = bool(getattr(column, "required", False))
    datatype = column.datatype or "string"
    values: list[Any] = []
    bad = 0
    for row, text in enumerate(texts.tolist(), start=1):
        if text == "":
            values.append(None)
            if required:
                bad += 1
                if bad <= _MAX_ERRORS_PER_COLUMN:
                    problems.append(
                        {
                            "column": column.name,
                            "row": row,
                            "datatype": datatype,
                            "msg": "a required value is empty",
                        }
                    )
            continue
        try:
            values.append(convert(text) if convert is not None else text)
        except ValueError as exc:
            values.append(None)
            bad += 1
            if bad <= _MAX_ERRORS_PER_COLUMN:
                problems.append({"column": column.name, "row": row, "datatype": datatype, "msg": str(exc)})
    if bad > _MAX_ERRORS_PER_COLUMN:
        problems.append(
            {
                "column": column.name,
                "row": None,
                "datatype": datatype,
                "msg": f"{bad - _MAX_ERRORS_PER_COLUMN} more problems not listed",
            }
        )
    if dtype == "date":
        return pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
    if dtype == "datetime":
        aware = {v.tzinfo is not None for v in values if v is not None}
        if len(aware) > 1:
            problems.append(
                {
                    "column": column.name,
                    "row": None,
                    "datatype": datatype,
                    "msg": "mixes values with and without a time zone",
                }
            )
            return pd.Series([None] * len(values), dtype="datetime64[ns]")
        if aware == {True}:
            utc = [v.astimezone(timezone.utc) if v is not None else None for v in values]
            return pd.Series(pd.to_datetime(utc, utc=True), dtype="datetime64[ns, UTC]")
        return pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
    return pd.Series(values, dtype=dtype)


def _summary(problems: list[dict[str, Any]]) -> str:
    first = problems[0]
    where = f", row {first['row']}" if first["row"] is not None else ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    kind = f" ({first['datatype']})" if first["datatype"] else ""
    column = first["column"]
    return f"CSV does not match its CSVW variables: column {column!r}{kind}{where}: {first['msg']}{more}"
