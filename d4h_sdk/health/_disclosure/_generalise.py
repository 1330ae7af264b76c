"""Generalisation of quasi-identifiers: dates to month / quarter / year, ages to bands, postal codes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from d4h_sdk.errors import ConfigurationError
from d4h_sdk.health._readers._dates import parse_datetime

__all__ = [
    "DateLevel",
    "age_band",
    "age_bands",
    "age_on",
    "generalise_date",
    "generalise_dates",
    "generalise_postal_code",
]

DateLevel = Literal["month", "quarter", "year"]
DateLike = date | datetime | str


def _missing(value: object) -> bool:
    """``None``, NaN and pandas' ``NaT`` / ``NA`` (the values that differ from themselves or are NA)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses bool()
        return True


def _as_date(value: DateLike) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return parse_datetime(value).date()
        except ValueError as exc:
            raise ConfigurationError(f"cannot generalise a date: {exc}") from exc
    raise ConfigurationError(f"expected a date, datetime or ISO 8601 text, not {type(value).__name__}")


def generalise_date(value: DateLike, level: DateLevel) -> str:
    """Generalise a date to its month (``2023-05``), quarter (``2023-Q2``) or year (``2023``).

    Args:
        value: A date, a datetime (its own date is used, without time-zone conversion) or ISO 8601 text.
        level: ``"month"``, ``"quarter"`` or ``"year"``.

    Returns:
        The generalised value as text.

    Raises:
        ConfigurationError: An unknown level or a value that is not a date.
    """
    day = _as_date(value)
    if level == "year":
        return f"{day.year:04d}"
    if level == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    if level == "month":
        return f"{day.year:04d}-{day.month:02d}"
    raise ConfigurationError(f"level must be 'month', 'quarter' or 'year', not {level!r}")


def generalise_dates(values: Iterable[DateLike | None], level: DateLevel) -> list[str | None]:
    """Apply :func:`generalise_date` to many values; missing values (``None``, NaN, ``NaT``) stay ``None``.

    A pandas Series can be passed and the result assigned back:
    ``df["month"] = generalise_dates(df["onset"], "month")``.

    Args:
        values: Dates, datetimes, ISO 8601 texts or missing values.
        level: ``"month"``, ``"quarter"`` or ``"year"``.

    Returns:
        The generalised values, in order.
    """
    return [None if _missing(v) else generalise_date(v, level) for v in values]  # type: ignore[arg-type]


def age_on(birth: DateLike, on: DateLike) -> int:
    """Return the age in completed years on a day.

    Args:
        birth: The date of birth.
        on: The reference day.

    Returns:
        The age (negative if ``on`` is before ``birth``).
    """
    born, day = _as_date(birth), _as_date(on)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band(age: int | float, *, width: int = 10, top: int | None = 90) -> str:
    """Return the band of an age: ``"40-49"`` for width 10, ``"90+"`` from ``top`` on.

    Bands start at multiples of ``width`` (0-9, 10-19, ...; with width 5: 40-44, 45-49).

    Args:
        age: An age in years (a fraction is truncated).
        width: The band width in years (>= 1).
        top: Ages from here on share one open band ``"<top>+"``; ``None`` for no open band.

    Returns:
        The band label.

    Raises:
        ConfigurationError: ``width`` < 1, or a negative age.
    """
    if width < 1:
        raise ConfigurationError(f"age band width must be at least 1, not {width}")
    if age < 0:
        raise ConfigurationError("an age cannot be negative")
    years = int(age)
    if top is not None and years >= top:
        return f"{top}+"
    low = years - years % width
    return str(low) if width == 1 else f"{low}-{low + width - 1}"


def age_bands(
    values: Iterable[int | float | None], *, width: int = 10, top: int | None = 90
) -> list[str | None]:
    """Apply :func:`age_band` to many ages; missing values stay ``None``.

    Args:
        values: Ages in years, or missing values.
        width: The band width in years.
        top: The start of the open top band, or ``None``.

    Returns:
        The band labels, in order.
    """
    return [None if _missing(v) else age_band(v, width=width, top=top) for v in values]  # type: ignore[arg-type]


def generalise_postal_code(code: str | None, *, keep: int = 3) -> str | None:
    """Keep the first ``keep`` characters of a postal code (spaces removed); ``None`` stays ``None``.

    Args:
        code: The postal code.
        keep: How many leading characters to keep (MedAnon's ``zip_prefix`` uses 3).

    Returns:
        The prefix, or ``None``.
    """
    if code is None or _missing(code):
        return None
    return str(code).replace(" ", "")[:keep]
