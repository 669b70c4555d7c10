"""The next earnings date from the options answer's quote, and which expirations span it (SPEC 2).

Yahoo's quote carries `earningsTimestamp` and, around it, `earningsTimestampStart`
and `earningsTimestampEnd` (epoch seconds). A company that has confirmed its date
has Start = End; an estimated one has a window. The last report's timestamp can
linger after it has passed, so only dates on or after as_of's date count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from wheelscan.core.expiry import NEW_YORK, new_york_date

EARNINGS_FIELDS = ("earningsTimestampStart", "earningsTimestamp", "earningsTimestampEnd")


@dataclass(frozen=True)
class NextEarnings:
    date: date
    estimated: bool

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "estimated": self.estimated}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NextEarnings:
        """Raises KeyError, TypeError or ValueError for another shape."""
        return cls(date.fromisoformat(data["date"]), bool(data["estimated"]))


def _epoch(value: object) -> float | None:
    """A finite number of seconds, or None (missing, text, a bool, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _new_york_date(epoch: float | None) -> date | None:
    if epoch is None:
        return None
    try:
        return datetime.fromtimestamp(epoch, tz=NEW_YORK).date()
    except (OverflowError, OSError, ValueError):
        return None


def next_earnings(quote: Mapping[str, Any], as_of: datetime) -> NextEarnings | None:
    """The earliest of the three timestamps, as a New York date, on or after as_of's date.

    `estimated` is true when Start and End are both given and differ; with either
    missing nothing says the date is a window, and it reads as confirmed.
    """
    today = new_york_date(as_of)
    epochs = {field: _epoch(quote.get(field)) for field in EARNINGS_FIELDS}
    upcoming = [
        day
        for day in (_new_york_date(epoch) for epoch in epochs.values())
        if day is not None and day >= today
    ]
    if not upcoming:
        return None
    start, end = epochs["earningsTimestampStart"], epochs["earningsTimestampEnd"]
    estimated = start is not None and end is not None and start != end
    return NextEarnings(min(upcoming), estimated)


def spans_earnings(earnings: NextEarnings | None, expiration: date) -> bool:
    """A contract spans earnings when the next report falls on or before its expiration date."""
    return earnings is not None and earnings.date <= expiration
