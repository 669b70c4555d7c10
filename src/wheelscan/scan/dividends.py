"""Ex-dividend dates for a scan's covered calls, asked at most once a New York day (SPEC 1.3, 9).

The engine's `DividendCache` over the store, the same rows `wheelscan calls` reads
(yahoo/dividends.py): kept answers are read in the engine's worker threads; fresh ones
are held in memory and written by `save()` once the engine has finished, so nothing
but the LockKeeper writes while a scan runs. The day is the store clock's in New York.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from wheelscan.core.call_criteria import ExDividend
from wheelscan.core.expiry import new_york_date
from wheelscan.scan.held import HeldFetches
from wheelscan.store import Store, StoreError
from wheelscan.yahoo.dividends import keep_ex_dividend, kept_ex_dividend

log = logging.getLogger("wheelscan.scan")


class StoredDividends(HeldFetches[ExDividend | None]):
    """Today's ex-dividend answers in `store`'s namespace; `fresh` reads none (and still
    keeps what was fetched)."""

    def __init__(self, store: Store, *, fresh: bool = False) -> None:
        super().__init__()
        self.store = store
        self.fresh = fresh
        self.today = new_york_date(datetime.fromtimestamp(store.clock(), UTC))

    def get(self, symbol: str) -> tuple[bool, ExDividend | None]:
        """(whether today's answer is kept, the answer: None when no dividend is listed)."""
        return (False, None) if self.fresh else kept_ex_dividend(self.store, symbol, self.today)

    def save(self) -> None:
        """Write what was fetched; a store failure is one warning (asked again next time)."""
        fetched = self.take()
        try:
            for symbol, dividend in fetched:
                keep_ex_dividend(self.store, symbol, self.today, dividend)
        except StoreError as error:
            log.warning("could not keep the ex-dividend dates: %s", error)
