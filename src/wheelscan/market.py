"""NYSE market hours (SPEC 6): is the market open now, and when does it next open.

exchange_calendars' XNYS knows the holidays and early closes; it is asked
questions (`is_open_on_minute`, `next_open`) instead of doing date arithmetic
here. The clock is injectable so tests use a fixed time, never the real one.
Only `refresh` is gated, and only for the `yahoo` source: `scan` and the app run
whenever asked (on Yahoo's last quotes when closed), `demo` and `snapshot:DIR`
have no hours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from wheelscan.core.expiry import NEW_YORK

CALENDAR = "XNYS"
GATED_SOURCES = ("yahoo",)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class MarketState:
    """Whether NYSE is open at `at`, and its next open (and the close if open)."""

    at: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime | None

    def describe(self) -> str:
        if self.is_open and self.next_close is not None:
            return f"Market open until {format_time(self.next_close)}"
        return f"Market closed — next open {format_time(self.next_open)}"


def format_time(moment: datetime) -> str:
    """A New York wall time a trader reads at a glance: 'Fri 2026-11-27 09:30 EST'."""
    return moment.astimezone(NEW_YORK).strftime("%a %Y-%m-%d %H:%M %Z")


def market_state(at: datetime | None = None) -> MarketState:
    """NYSE's state at `at` (timezone-aware; default now)."""
    import exchange_calendars as xcals
    import pandas as pd

    at = at or system_clock()
    if at.tzinfo is None:
        raise ValueError("market_state needs a timezone-aware time")
    day = at.astimezone(NEW_YORK).date()
    calendar = xcals.get_calendar(
        CALENDAR, start=str(day - timedelta(days=10)), end=str(day + timedelta(days=40))
    )
    minute = pd.Timestamp(at).tz_convert(UTC).floor("min")
    is_open = bool(calendar.is_open_on_minute(minute))
    next_open = calendar.next_open(minute).to_pydatetime()
    next_close = calendar.next_close(minute).to_pydatetime() if is_open else None
    return MarketState(at=at, is_open=is_open, next_open=next_open, next_close=next_close)


def gate_message(source: str, allow_closed: bool, state: MarketState | None) -> str | None:
    """None when a gated scan (`refresh`) of `source` may run in `state`; else
    'Market closed — next open …'. An unknown state (None) does not stop it."""
    if allow_closed or source not in GATED_SOURCES or state is None or state.is_open:
        return None
    return state.describe()


def closed_message(source: str, allow_closed: bool, clock: Clock | None = None) -> str | None:
    """`gate_message` for now (or `clock()`)."""
    if allow_closed or source not in GATED_SOURCES:
        return None
    return gate_message(source, allow_closed, market_state((clock or system_clock)()))
