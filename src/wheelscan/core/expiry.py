"""Expiration dates, DTE and T to settlement, all measured from the quote's as_of (SPEC 2).

Every time figure is relative to as_of, never the wall clock, so a replayed
snapshot gives the same numbers next year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
SECONDS_PER_YEAR = 365 * 86400
PM_SETTLEMENT = time(16, 0)
AM_SETTLEMENT = time(9, 30)


def expiration_date(epoch: int) -> date:
    """Yahoo's expiration epochs are 00:00 UTC of the expiry date."""
    return datetime.fromtimestamp(epoch, tz=UTC).date()


def new_york_date(moment: datetime) -> date:
    return moment.astimezone(NEW_YORK).date()


def days_to_expiry(as_of: datetime, expiration: date) -> int:
    """Calendar days from as_of's New York date to the expiration date."""
    return (expiration - new_york_date(as_of)).days


def settlement_time(expiration: date, *, am_settled: bool = False) -> datetime:
    """16:00 New York on the expiration date; 09:30 for an AM-settled index contract."""
    return datetime.combine(
        expiration, AM_SETTLEMENT if am_settled else PM_SETTLEMENT, tzinfo=NEW_YORK
    )


def years_to_expiry(as_of: datetime, expiration: date, *, am_settled: bool = False) -> float:
    """T: years (365-day) from as_of to settlement on the expiration date; ≤ 0 once past it."""
    settles = settlement_time(expiration, am_settled=am_settled)
    # Subtract in UTC: aware datetimes sharing one tzinfo subtract as wall clocks, losing DST.
    return (settles.astimezone(UTC) - as_of.astimezone(UTC)).total_seconds() / SECONDS_PER_YEAR
