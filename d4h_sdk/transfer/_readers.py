"""A verified download -> one pandas DataFrame, by media type (pandas imported lazily: extra ``[pandas]``).

* CSV (``text/csv``, ``application/csv``) and TSV (``text/tab-separated-values``): ``pandas.read_csv``.
* NDJSON (``application/fhir+ndjson``, ``application/x-ndjson``, ``application/ndjson``,
  ``application/jsonl``): one JSON object per line, flattened with ``pandas.json_normalize`` (nested FHIR
  elements become dotted columns such as ``code.coding``).
* JSON (``application/json``, ``application/fhir+json``): an array of objects, a FHIR Bundle (its
  ``entry[].resource``) or one object, flattened with ``json_normalize``.

For typed clinical frames (one per FHIR resource type, CSVW datatypes) use :mod:`d4h_sdk.health` readers.
"""

from __future__ import annotations

import json
from typing import IO, Any

from d4h_sdk.errors import ConfigurationError, DecodeError

__all__ = ["KIND_OF_MEDIA_TYPE", "frame_from", "kind_of"]

KIND_OF_MEDIA_TYPE: dict[str, str] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/fhir+ndjson": "ndjson",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/x-jsonlines": "ndjson",
    "application/json": "json",
    "application/fhir+json": "json",
}
"""Media type (without parameters, lower case) -> how :func:`frame_from` parses it."""


def kind_of(media_type: str | None) -> str:
    """The parser for a media type (``csv``, ``tsv``, ``ndjson`` or ``json``).

    Raises:
        ConfigurationError: The media type is unknown or missing.
    """
    key = (media_type or "").partition(";")[0].strip().lower()
    kind = KIND_OF_MEDIA_TYPE.get(key)
    if kind is None:
        known = ", ".join(sorted(KIND_OF_MEDIA_TYPE))
        raise ConfigurationError(
            f"cannot load media type {media_type or '(none announced)'!r} into pandas; "
            f"pass media_type= one of: {known}"
        )
    return kind


def _pandas() -> Any:
    from d4h_sdk.health._readers._lazy import pandas

    return pandas()


def _records(handle: IO[bytes], kind: str) -> list[Any]:
    if kind == "json":
        try:
            document = json.load(handle)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DecodeError(f"the download is not valid JSON: {exc}") from exc
        if isinstance(document, dict) and document.get("resourceType") == "Bundle":
            return [entry.get("resource", entry) for entry in document.get("entry") or []]
        return document if isinstance(document, list) else [document]
    rows: list[Any] = []
    for number, raw in enumerate(handle, start=1):
        if not raw.strip():
            continue
        try:
            rows.append(json.loads(raw))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DecodeError(
                f"NDJSON line {number} is not valid JSON: {exc.__class__.__name__}",
                errors=[{"line": number, "msg": str(exc)}],
            ) from exc
        if not isinstance(rows[-1], dict):
            raise DecodeError(f"NDJSON line {number} is not a JSON object", errors=[{"line": number}])
    return rows


def frame_from(handle: IO[bytes], media_type: str | None, **read_kwargs: Any) -> Any:
    """Parse a binary file positioned at its start into a DataFrame.

    Args:
        handle: The verified content.
        media_type: Its media type (parameters such as ``charset`` are ignored).
        **read_kwargs: Passed to ``pandas.read_csv`` (CSV, TSV) or ``pandas.json_normalize`` (JSON, NDJSON).

    Returns:
        A ``pandas.DataFrame``.

    Raises:
        ConfigurationError: Unknown media type, or pandas is not installed.
        DecodeError: The content does not parse as its media type.
    """
    kind = kind_of(media_type)
    pd = _pandas()
    if kind in ("csv", "tsv"):
        if kind == "tsv":
            read_kwargs.setdefault("sep", "\t")
        try:
            return pd.read_csv(handle, **read_kwargs)
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DecodeError(f"the download is not valid {kind.upper()}: {exc}") from exc
    records = _records(handle, kind)
    try:
        return pd.json_normalize(records, **read_kwargs)
    except (ValueError, KeyError, TypeError) as exc:
        raise DecodeError(f"cannot flatten the JSON records: {exc}") from exc
