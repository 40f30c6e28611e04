"""Dates and times as the API shows them: the database keeps naive UTC datetimes; the API says so with an offset."""
from datetime import date, datetime, timezone

from marshmallow import fields


def iso_utc(dt: datetime | None) -> str | None:
    """A stored (naive UTC) or aware datetime as RFC 3339 with its offset (`2026-11-30T06:15:19+00:00`),
    so that it is a valid `format: date-time`; None stays None."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat()


def iso_date(d: date | None) -> str | None:
    """A date as YYYY-MM-DD (`format: date`); None stays None."""
    return None if d is None else d.isoformat()


class UtcDateTime(fields.DateTime):
    """A marshmallow output field: a stored naive UTC datetime with its offset (see iso_utc)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return iso_utc(value)
