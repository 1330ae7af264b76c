"""Strict parsing of FHIR / XML Schema date and dateTime texts (no pandas, no dateutil)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

__all__ = ["parse_date", "parse_datetime"]

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?"
)


def _zone(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise ValueError("time-zone offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(text: str, *, partial: bool = True) -> date:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a trailing zone is accepted and ignored).

    Args:
        text: The date text.
        partial: Whether ``YYYY`` and ``YYYY-MM`` are accepted (FHIR ``date``); they map to the first day.

    Returns:
        The date.

    Raises:
        ValueError: If the text is not a valid date (the message never repeats the text).
    """
    match = _DATE.fullmatch(text.strip())
    if match is None or (not partial and match.group(3) is None):
        raise ValueError(
            "not a date in the form YYYY-MM-DD" if not partial else "not a date (YYYY[-MM[-DD]])"
        )
    _zone(match.group(4))
    year, month, day = match.group(1), match.group(2), match.group(3)
    return date(int(year), int(month or 1), int(day or 1))


def parse_datetime(text: str, *, partial: bool = True) -> datetime:
    """Parse a FHIR ``dateTime`` / XML Schema ``dateTime``.

    Args:
        text: The text: a full ``YYYY-MM-DDThh:mm[:ss[.fff]][zone]`` value, or, when ``partial`` is true, a
            date of any FHIR precision (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) meaning its first instant.
        partial: Whether date-only values are accepted.

    Returns:
        A datetime, time-zone aware when the text carries a zone, naive otherwise.

    Raises:
        ValueError: If the text is not a valid dateTime (the message never repeats the text).
    """
    stripped = text.strip()
    match = _DATETIME.fullmatch(stripped)
    if match is None:
        if partial:
            return datetime.combine(parse_date(stripped), datetime.min.time())
        raise ValueError("not a dateTime in the form YYYY-MM-DDThh:mm:ss")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    sec = min(int(second or 0), 59)  # a leap second ":60" is folded into ":59"
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(int(year), int(month), int(day), int(hour), int(minute), sec, micro, tzinfo=_zone(zone))
