"""What a scan's views say besides its numbers: the market's state and what publishes.

SPEC 6: a scan runs whenever asked; outside regular hours it runs on Yahoo's
last quotes and says so, and when no contract shows a bid it says that Yahoo
shows none before the open (a trader would otherwise read "no candidates" as a
verdict). SPEC 5: only watchlist scans publish, and an ad-hoc scan's view says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.models import REJECTION_REASONS, ScanKind, TickerResult
from wheelscan.market import MarketState, format_time

ADHOC_NOTE = (
    "ad-hoc scan: nothing published (only watchlist scans publish; "
    "`wheelscan results` shows the last watchlist scan)"
)
_AFTER_NO_BID = REJECTION_REASONS[REJECTION_REASONS.index("no_bid") + 1 :]
_RECENT = timedelta(days=6)


def quotes_time(moment: datetime, now: datetime) -> str:
    """A quote's New York time: 'Fri 16:00' within the last six days, else with the date."""
    local = moment.astimezone(NEW_YORK)
    recent = timedelta(0) <= now - moment < _RECENT
    return local.strftime("%a %H:%M" if recent else "%a %Y-%m-%d %H:%M")


def shows_no_bids(results: Mapping[str, TickerResult]) -> bool:
    """No candidate, and every contract that got as far as its bid had none (a zero bid,
    or a zero ask too), as Yahoo shows outside regular hours."""
    no_bid = 0
    for result in results.values():
        if result.candidates or any(result.rejected.get(reason) for reason in _AFTER_NO_BID):
            return False
        no_bid += result.rejected.get("no_bid", 0) + result.rejected.get("bad_quote", 0)
    return no_bid > 0


def scan_notes(
    kind: ScanKind, market: MarketState | None, results: Mapping[str, TickerResult]
) -> list[str]:
    """The lines a scan's views show under its table (none for a watchlist scan in hours)."""
    notes: list[str] = []
    if market is not None and not market.is_open:
        stamps = [result.as_of for result in results.values()]
        quotes = f": Yahoo's quotes as of {quotes_time(max(stamps), market.at)}" if stamps else ""
        notes.append(f"market closed{quotes}")
        if shows_no_bids(results):
            notes.append(f"Yahoo shows no bids before the open ({format_time(market.next_open)})")
    if kind is ScanKind.ADHOC:
        notes.append(ADHOC_NOTE)
    return notes
