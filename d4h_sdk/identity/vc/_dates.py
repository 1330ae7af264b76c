"""XML Schema dateTime values of credentials (``validFrom``, ``expirationDate``, ``created``) and checks."""

from __future__ import annotations

import datetime
import re

from d4h_sdk.errors import ExpiredTokenError, InvalidClaimsError

__all__ = ["check_window", "epoch_datetime", "format_datetime", "parse_datetime"]

_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def parse_datetime(value: object, name: str) -> datetime.datetime:
    """Parse an ``xsd:dateTime`` (``2023-01-01T00:00:00Z``, fractions and offsets allowed) to aware UTC.

    A value without a time zone is read as UTC.

    Args:
        value: The value from the credential.
        name: The property name, for the error message.

    Returns:
        The instant, time-zone aware, in UTC.

    Raises:
        InvalidClaimsError: The value is not a string in that form.
    """
    if not isinstance(value, str) or _DATETIME.fullmatch(value) is None:
        raise InvalidClaimsError(f"'{name}' is not an XML Schema dateTime such as 2024-01-31T12:00:00Z")
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    main, _, rest = text.partition(".")
    if rest:  # Python 3.10 accepts at most 6 fractional digits
        digits = re.match(r"\d+", rest)
        assert digits is not None
        text = f"{main}.{digits.group()[:6].ljust(6, '0')}{rest[digits.end() :]}"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidClaimsError(f"'{name}' is not a valid date and time: {exc}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def format_datetime(moment: datetime.datetime) -> str:
    """Write an instant as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds), the form proofs use.

    Args:
        moment: The instant; a naive value is taken as UTC.

    Returns:
        The text.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_window(
    not_before: datetime.datetime | None,
    not_after: datetime.datetime | None,
    *,
    now: float,
    leeway_s: float,
    what: str,
) -> None:
    """Refuse a credential outside its validity period (with ``leeway_s`` of clock skew).

    Args:
        not_before: Start of validity (``validFrom`` / ``issuanceDate``), or ``None``.
        not_after: End of validity (``validUntil`` / ``expirationDate``), or ``None``.
        now: The current time, epoch seconds.
        leeway_s: Tolerance in seconds.
        what: Names the credential in messages.

    Raises:
        ExpiredTokenError: Expired or not yet valid.
    """
    if not_after is not None and now >= not_after.timestamp() + leeway_s:
        raise ExpiredTokenError(f"{what} expired at {not_after.isoformat(timespec='seconds')}")
    if not_before is not None and not_before.timestamp() > now + leeway_s:
        raise ExpiredTokenError(f"{what} is not valid before {not_before.isoformat(timespec='seconds')}")


def epoch_datetime(epoch: object) -> datetime.datetime | None:
    """A JWT NumericDate as an aware UTC datetime (``None`` for anything else, e.g. a missing claim)."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, float)):
        return None
    try:
        return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
