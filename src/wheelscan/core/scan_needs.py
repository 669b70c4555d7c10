"""What a scan asks Yahoo for (SPEC 1.3): which tickers, and per ticker which expirations. Pure.

A scan looks at the watchlist's symbols and at every symbol the ledger holds: shares
(their covered calls) or open shorts (their marks), each ticker once. Per ticker it
makes one request without a date (quote, expirations, nearest chain), then one per
later listed expiration that something needs: inside the put DTE window (a watchlist
symbol), inside the call DTE window (a symbol with 100 uncovered shares or more), an
open short's own expiration, or one an open short may roll to (its roll window,
core.roll_quotes). `wanted_expirations` is that one rule; the scan engine and the
readers of a held symbol's answers (held_answers.py) both ask it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from wheelscan.core.calls import needs_calls
from wheelscan.core.chains import OptionChain
from wheelscan.core.expiry import days_to_expiry
from wheelscan.core.positions import Position, Positions
from wheelscan.core.roll_quotes import roll_window

if TYPE_CHECKING:
    from wheelscan.core.call_criteria import CallCriteria
    from wheelscan.core.models import Criteria
    from wheelscan.core.plan_inputs import PlanRules

Window = tuple[int, int]
"""A DTE window: (min, max), both included."""


def in_window(dte: int, windows: Iterable[Window]) -> bool:
    return any(low <= dte <= high for low, high in windows)


def wanted_expirations(
    expirations: Iterable[str],
    as_of: datetime,
    windows: Iterable[Window] = (),
    also: Iterable[date] = (),
) -> list[str]:
    """The listed expirations (YYYY-MM-DD, in listed order) past the nearest one that are
    inside one of `windows` (DTE from `as_of`) or in `also` (open shorts'). The nearest
    comes with the no-date answer, so it is never asked for again."""
    extra = {day.isoformat() for day in also}
    spans = list(windows)
    _nearest, *later = expirations
    return [
        day
        for day in later
        if day in extra or in_window(days_to_expiry(as_of, date.fromisoformat(day)), spans)
    ]


@dataclass(frozen=True)
class TickerNeeds:
    """One ticker's needs: puts in `put_window` (None: not a watchlist symbol), covered
    calls in `call_window` (None: fewer than 100 uncovered shares), the quotes of the
    open shorts of `position` (None: the ledger does not name it), and the contracts
    they may roll to, at most `roll_max_dte` days out (None: none)."""

    put_window: Window | None
    call_window: Window | None = None
    position: Position | None = None
    roll_max_dte: int | None = None

    @property
    def short_expirations(self) -> list[date]:
        return sorted({s.expiration for s in self.position.shorts}) if self.position else []

    def roll_window(self, as_of: datetime) -> Window | None:
        """The DTE window the open shorts may roll into (core.roll_quotes.roll_window)."""
        if self.position is None or self.roll_max_dte is None:
            return None
        return roll_window(self.position.shorts, as_of, self.roll_max_dte)

    def wanted(self, expirations: Iterable[str], as_of: datetime) -> list[str]:
        """The expirations to request after the no-date answer (`wanted_expirations`)."""
        spans = (self.put_window, self.call_window, self.roll_window(as_of))
        windows = [w for w in spans if w is not None]
        return wanted_expirations(expirations, as_of, windows, self.short_expirations)

    def put_chains(
        self, chains: Mapping[date, OptionChain], nearest: OptionChain, as_of: datetime
    ) -> list[OptionChain]:
        """The fetched `chains` the put criteria judge: a watchlist symbol's nearest (which
        gets its own `dte` rejections outside the window) and those in the put window;
        none for a symbol only the ledger names."""
        if self.put_window is None:
            return []
        later = [
            chain
            for day, chain in chains.items()
            if day != nearest.expiration
            and in_window(days_to_expiry(as_of, day), [self.put_window])
        ]
        return [nearest, *later]


@dataclass(frozen=True)
class ScanNeeds:
    """A scan's tickers and what each needs. `watchlist`: the symbols asked for (their
    puts); `positions`: the ledger's state (None: no ledger, or one that does not read);
    `add_held` adds the held symbols the watchlist lacks (a watchlist scan does; an
    ad-hoc scan of named tickers does not); `roll_max_dte` (PlanRules) adds the
    expirations the open shorts may roll to (None: none)."""

    watchlist: Sequence[str]
    put_window: Window
    call_window: Window
    positions: Positions | None = None
    add_held: bool = True
    roll_max_dte: int | None = None

    @classmethod
    def for_scan(
        cls,
        symbols: Sequence[str],
        puts: Criteria,
        calls: CallCriteria,
        plan: PlanRules,
        positions: Positions | None,
        *,
        watchlist_scan: bool,
    ) -> ScanNeeds:
        """What a scan of `symbols` asks for (SPEC 1.3): their puts in the put DTE window and,
        from the ledger's `positions`, the calls of uncovered shares and the open shorts'
        quotes; a watchlist scan (`watchlist_scan`: the one that publishes, and a
        `snapshot record` of the watchlist) adds the held symbols the watchlist lacks and
        what the shorts may roll to (for `wheelscan plan`)."""
        return cls(
            symbols,
            (puts.min_dte, puts.max_dte),
            (calls.min_dte, calls.max_dte),
            positions,
            add_held=watchlist_scan,
            roll_max_dte=plan.roll_max_dte if watchlist_scan else None,
        )

    @property
    def symbols(self) -> list[str]:
        """The watchlist, then the symbols with shares or open shorts it lacks, once each."""
        symbols = list(dict.fromkeys(self.watchlist))
        if self.positions is None or not self.add_held:
            return symbols
        named = set(symbols)
        for position in self.positions:
            if (position.shares > 0 or position.shorts) and position.symbol not in named:
                named.add(position.symbol)
                symbols.append(position.symbol)
        return symbols

    def ticker(self, symbol: str) -> TickerNeeds:
        put_window = self.put_window if symbol in self.watchlist else None
        if self.positions is None or symbol not in self.positions.by_symbol:
            return TickerNeeds(put_window)
        position = self.positions.get(symbol)
        if position.shares <= 0 and not position.shorts:
            return TickerNeeds(put_window)
        call_window = self.call_window if needs_calls(position) else None
        return TickerNeeds(put_window, call_window, position, self.roll_max_dte)
