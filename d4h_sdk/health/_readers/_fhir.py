"""FHIR R4 Bulk Data NDJSON -> pandas DataFrames, read line by line (extra ``[pandas]``)."""

from __future__ import annotations

import gzip
import io
import json
import os
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from d4h_sdk.errors import ConfigurationError, DecodeError
from d4h_sdk.health._readers._fhir_rows import COLUMNS, EXTRACTORS, FRAME_OF
from d4h_sdk.health._readers._lazy import pandas

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = ["FhirFrames", "NdjsonError", "read_fhir_ndjson"]

NdjsonSource = str | os.PathLike[str] | bytes | Iterable[str] | Iterable[bytes]
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")


@dataclass(frozen=True)
class NdjsonError:
    """A line that could not be read.

    Attributes:
        source: The file name (``<bytes>`` or ``<lines>`` for in-memory input).
        line: The 1-based line number in that source.
        message: What is wrong; it never repeats the line's content.
    """

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source} line {self.line}: {self.message}"


@dataclass(frozen=True)
class FhirFrames:
    """The DataFrames read from FHIR NDJSON, one per supported resource type.

    Attributes:
        patients: ``id, gender, birth_date, deceased, deceased_date, country`` (home address, else the first).
        conditions: ``id, patient_id, code, system, coding_system, icd10_code, snomed_code, display,
            clinical_status, onset``; ``code``/``system`` are the ICD-10 coding if present, else SNOMED CT,
            else the first coding.
        observations: one row per value: ``id, patient_id, code, system, loinc_code, display, panel_code,
            value, unit, value_code, value_system, value_string, effective, status``; each ``component`` of a
            panel is a row of its own with the panel's code in ``panel_code``.
        medication_statements: ``id, patient_id, code, system, atc_code, display, medication_ref, status,
            effective``.
        resource_counts: Resources read per resource type.
        skipped: Valid resources of other types (or filtered out by ``resource_type``), per type.
        errors: Lines that could not be read (only with ``errors="collect"``).
    """

    patients: pd.DataFrame
    conditions: pd.DataFrame
    observations: pd.DataFrame
    medication_statements: pd.DataFrame
    resource_counts: Mapping[str, int] = field(default_factory=dict)
    skipped: Mapping[str, int] = field(default_factory=dict)
    errors: tuple[NdjsonError, ...] = ()

    def frames(self) -> dict[str, pd.DataFrame]:
        """Return the four frames by name (``patients``, ``conditions``, ...)."""
        return {name: getattr(self, name) for name in COLUMNS}


@contextmanager
def _open(path: Path) -> Iterator[Iterable[str | bytes]]:
    try:
        handle = gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")
    except OSError as exc:
        raise ConfigurationError(f"cannot open NDJSON file {path}: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def _sources(source: NdjsonSource) -> Iterator[tuple[str, Iterable[str | bytes]]]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield "<bytes>", io.BytesIO(bytes(source))
        return
    if isinstance(source, (str, os.PathLike)):
        if isinstance(source, str) and source.lstrip().startswith("{"):
            raise ConfigurationError(
                "read_fhir_ndjson() takes a str as a path; "
                "pass NDJSON content as bytes or as an iterable of lines"
            )
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(_SUFFIXES))
        elif path.exists():
            files = [path]
        else:
            raise ConfigurationError(f"NDJSON source not found: {path}")
        for file in files:
            with _open(file) as lines:
                yield file.name, lines
        return
    yield "<lines>", cast("Iterable[str | bytes]", source)


def _decode(raw: str | bytes, number: int, max_line_bytes: int) -> dict[str, Any] | None:
    """One line -> a resource object, ``None`` for a blank line; ``ValueError`` for a bad line."""
    if len(raw) > max_line_bytes:
        raise ValueError(f"line longer than {max_line_bytes} bytes")
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not UTF-8 (byte {exc.start})") from exc
    if number == 1:
        raw = raw.removeprefix("\ufeff")
    if not raw.strip():
        return None
    try:
        resource = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    if not isinstance(resource, dict):
        raise ValueError(f"expected a JSON object (a FHIR resource), got a JSON {type(resource).__name__}")
    if not isinstance(resource.get("resourceType"), str) or not resource["resourceType"]:
        raise ValueError("the object has no resourceType")
    return resource


def read_fhir_ndjson(
    source: NdjsonSource,
    *,
    resource_type: str | Collection[str] | None = None,
    errors: Literal["raise", "collect"] = "raise",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> FhirFrames:
    """Read FHIR R4 NDJSON (Bulk Data export) into DataFrames, one line at a time.

    Patients, Conditions, Observations and MedicationStatements become frames (see :class:`FhirFrames`);
    other resource types are counted in ``skipped``. Dates become ``datetime64`` values in UTC (a
    ``dateTime`` without a zone is taken as UTC; ``birth_date`` stays a naive date, partial dates such as
    ``1970`` or ``1970-05`` mean their first day).

    Args:
        source: A path to a ``.ndjson`` file (``.gz`` accepted), a directory of such files (the per-type files
            of a Bulk Data export, read in name order), the NDJSON content as ``bytes``, or an iterable of
            lines (an open text or binary file, a list of strings). A ``str`` is always a path.
        resource_type: Read only these resource types (e.g. ``"Observation"``); others go to ``skipped``.
        errors: ``"raise"`` stops at the first bad line with a :class:`~d4h_sdk.errors.DecodeError`;
            ``"collect"`` skips bad lines and lists them in :attr:`FhirFrames.errors`.
        max_line_bytes: Longest line accepted.

    Returns:
        The frames, counts and (when collecting) the bad lines.

    Raises:
        ConfigurationError: An option is invalid, pandas is not installed, or a path does not exist.
        DecodeError: With ``errors="raise"``, a line is not a FHIR resource (not UTF-8, not JSON, not an
            object, no ``resourceType``, a Patient without ``id``, an invalid date); the message names the
            source and line number, ``.errors`` holds ``{"source", "line", "msg"}``.
    """
    if errors not in ("raise", "collect"):
        raise ConfigurationError(f"errors must be 'raise' or 'collect', not {errors!r}")
    wanted = {resource_type} if isinstance(resource_type, str) else resource_type
    pd = pandas()
    columns: dict[str, dict[str, list[Any]]] = {
        frame: {column: [] for column in names} for frame, names in COLUMNS.items()
    }
    counts: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    problems: list[NdjsonError] = []
    for name, lines in _sources(source):
        for number, raw in enumerate(lines, start=1):
            try:
                resource = _decode(raw, number, max_line_bytes)
                if resource is None:
                    continue
                kind = resource["resourceType"]
                if kind not in EXTRACTORS or (wanted is not None and kind not in wanted):
                    skipped[kind] += 1
                    continue
                rows = list(EXTRACTORS[kind](resource))
            except ValueError as exc:  # RowError is a ValueError
                problem = NdjsonError(name, number, str(exc))
                if errors == "raise":
                    raise DecodeError(
                        f"FHIR NDJSON {problem}",
                        errors=[{"source": name, "line": number, "msg": problem.message}],
                    ) from exc
                problems.append(problem)
                continue
            counts[kind] += 1
            table = columns[FRAME_OF[kind]]
            for row in rows:
                for column, values in table.items():
                    values.append(row[column])
    return FhirFrames(
        **{frame: _frame(pd, frame, table) for frame, table in columns.items()},
        resource_counts=dict(counts),
        skipped=dict(skipped),
        errors=tuple(problems),
    )


_DATETIME_COLUMNS = {"onset", "effective", "deceased_date"}


def _frame(pd: Any, name: str, table: dict[str, list[Any]]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for column, values in table.items():
        if column in _DATETIME_COLUMNS:
            data[column] = pd.Series(pd.to_datetime(values, utc=True), dtype="datetime64[ns, UTC]")
        elif column == "birth_date":
            data[column] = pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
        elif column == "value":
            data[column] = pd.Series(values, dtype="float64")
        elif column == "deceased":
            data[column] = pd.Series(values, dtype="boolean")
        else:
            data[column] = pd.Series(values, dtype="string")
    return pd.DataFrame(data, columns=list(COLUMNS[name]))
