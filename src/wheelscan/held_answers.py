"""The latest options answers of the symbols the ledger holds (SPEC 9), for calls and marks.

A scan keeps every options answer it fetched in the store's answer cache (SPEC 1.4,
`chain_cache_minutes`). This module reads a held symbol's answers from there: the
no-date answer (quote, expirations, nearest chain), then the expirations it needs,
those inside the covered-call DTE window and those of its open shorts. What the
cache does not hold is requested from the source, when one is given, and kept in
the cache for the next reader; without a source (a listing that must not touch the
network) it is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from wheelscan.core.chains import OptionChain, Underlying
from wheelscan.core.expiry import days_to_expiry
from wheelscan.core.scan_needs import Window, wanted_expirations
from wheelscan.store import Store, StoreError
from wheelscan.store.answers import AnswerToKeep, read_answer, write_answers
from wheelscan.yahoo.source import Answer, YahooSource


class NotKept(Exception):
    """The store keeps no young enough answer for a symbol, and no source may be asked."""


@dataclass(frozen=True)
class HeldAnswers:
    """One symbol's quote and the chains its answers hold, by expiration."""

    symbol: str
    underlying: Underlying
    chains: dict[date, OptionChain]
    listed: tuple[date, ...] = ()

    def in_window(self, min_dte: int, max_dte: int) -> list[OptionChain]:
        """The chains whose DTE (from the quote's as_of) lies in [min_dte, max_dte]."""
        as_of = self.underlying.as_of
        return [
            chain
            for day, chain in sorted(self.chains.items())
            if min_dte <= days_to_expiry(as_of, day) <= max_dte
        ]


@dataclass
class AnswerReader:
    """Answers from `store`'s cache younger than `max_age_s`, else from `source` (None: never
    asked). `requested` and `cached` count answers; `fresh` ignores the cache."""

    store: Store
    max_age_s: float
    source: YahooSource | None = None
    fresh: bool = False
    requested: int = 0
    cached: int = 0
    _to_keep: list[AnswerToKeep] = field(default_factory=list, init=False, repr=False)

    def answer(self, symbol: str, day: str | None = None, epoch: int | None = None) -> Answer:
        """The no-date answer (`day` None) or the answer of `day` at its listed `epoch`."""
        if not self.fresh:
            kept = Answer.from_json(read_answer(self.store, symbol, epoch, self.max_age_s))
            if kept is not None:
                self.cached += 1
                return kept
        if self.source is None:
            what = "quote" if day is None else f"{day} chain"
            raise NotKept(f"no {what} in the last {self.max_age_s / 60:g} min")
        answer = self.source.fetch_answer(symbol, day, epoch)
        self.requested += 1
        self._to_keep.append((symbol, epoch, answer.to_json()))
        return answer

    def keeps(self, symbol: str) -> bool:
        """Whether the cache keeps `symbol`'s no-date answer (never, when `fresh`)."""
        return not self.fresh and read_answer(self.store, symbol, None, self.max_age_s) is not None

    def held(self, symbol: str, window: Window | None, also: Iterable[date] = ()) -> HeldAnswers:
        """`symbol`'s quote and the chains of the expirations it needs (see
        `wanted_expirations`); an expiration the cache lacks is left out when no source
        may be asked. Raises NotKept without a quote, or the source's error."""
        answer = self.answer(symbol)
        nearest = YahooSource.nearest(symbol, answer)
        chains = {nearest.chain.expiration: nearest.chain}
        as_of = nearest.underlying.as_of
        windows = [] if window is None else [window]
        for day in wanted_expirations(nearest.expirations, as_of, windows, also):
            try:
                dated = self.answer(symbol, day, nearest.expirations[day])
            except NotKept:
                continue
            chain = YahooSource.expiration_chain(dated, day)
            chains[chain.expiration] = chain
        listed = tuple(date.fromisoformat(day) for day in nearest.expirations)
        return HeldAnswers(symbol, nearest.underlying, chains, listed)

    def keep(self) -> str | None:
        """Keep the answers requested so far in the cache; a one-line warning if it failed."""
        answers, self._to_keep = self._to_keep, []
        try:
            write_answers(self.store, answers, self.max_age_s)
        except StoreError as error:
            return f"the answers fetched were not kept: {error}"
        return None
