"""Streaming CSV of a synthetic cohort, and its CSVW description.

The columns are the cohort's CSVW :class:`~d4h_sdk.health.healthdcat.Column` objects, which
:func:`d4h_sdk.health.readers.read_csv_typed` accepts directly as ``variables``.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.sandbox.synthetic._model import Cohort, Value

__all__ = ["CSV_MEDIA_TYPE", "csvw_metadata", "iter_csv", "write_csv"]

CSV_MEDIA_TYPE = "text/csv"
"""The media type of the CSV form."""
_DEFAULT_CHUNK = 64 * 1024


def _cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def iter_csv(cohort: Cohort, *, chunk_size: int = _DEFAULT_CHUNK) -> Iterator[bytes]:
    """Yield the cohort as UTF-8 CSV (header first, CRLF line ends) in chunks of about ``chunk_size``.

    Args:
        cohort: The cohort.
        chunk_size: The size from which a chunk is emitted (a chunk never splits a row).

    Raises:
        ConfigurationError: A chunk size below 1.
    """
    if chunk_size < 1:
        raise ConfigurationError(f"chunk_size must be >= 1, not {chunk_size}")
    names = [str(c.name) for c in cohort.columns()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for record in cohort.records():
        for row in record.rows:
            writer.writerow([_cell(row.get(name)) for name in names])
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def write_csv(cohort: Cohort, path: str | os.PathLike[str]) -> Path:
    """Write the cohort's CSV to ``path`` in a streaming pass and return the path.

    Raises:
        ConfigurationError: The file cannot be written.
    """
    target = Path(path)
    try:
        with target.open("wb") as handle:
            for chunk in iter_csv(cohort):
                handle.write(chunk)
    except OSError as exc:
        raise ConfigurationError(f"cannot write CSV to {target}: {exc.strerror or exc}") from exc
    return target


def csvw_metadata(cohort: Cohort, *, url: str) -> dict[str, Any]:
    """A CSVW metadata document (``http://www.w3.org/ns/csvw``) describing the CSV at ``url``.

    Args:
        cohort: The cohort.
        url: Where the CSV is served (``csvw:url``).
    """
    columns = []
    for col in cohort.columns():
        entry: dict[str, Any] = {
            "name": col.name,
            "titles": [t.value for t in col.title],
            "datatype": col.datatype,
            "dc:description": col.description[0].value if col.description else "",
        }
        if col.property_url:
            entry["propertyUrl"] = col.property_url
        if col.name == "patient_id":
            entry["required"] = True
        columns.append(entry)
    return {
        "@context": "http://www.w3.org/ns/csvw",
        "url": url,
        "dc:title": f"Synthetic {cohort.name} cohort (seed {cohort.seed}, {cohort.patients} patients)",
        "tableSchema": {"columns": columns},
    }
