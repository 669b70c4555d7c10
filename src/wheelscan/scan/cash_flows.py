"""Trailing cash flows for the FCF valuation, kept in the store a week per symbol (SPEC 4).

The engine's `CashFlowCache` over the store: kept cash flows are read in the engine's
worker threads; fresh ones are held in memory and written together by `save()` once
the engine has finished, so nothing but the LockKeeper writes while a scan runs.
"""

from __future__ import annotations

import logging

from wheelscan.core.valuation import TrailingCashFlow
from wheelscan.scan.held import HeldFetches
from wheelscan.store import Store, StoreError
from wheelscan.store.fundamentals import read_cash_flow, write_cash_flows

log = logging.getLogger("wheelscan.scan")


class StoredCashFlows(HeldFetches[TrailingCashFlow]):
    """Cash flows young enough in `store`'s namespace; `fresh` reads none (and still keeps
    what was fetched)."""

    def __init__(self, store: Store, *, fresh: bool = False) -> None:
        super().__init__()
        self.store = store
        self.fresh = fresh

    def get(self, symbol: str) -> TrailingCashFlow | None:
        """The kept cash flow (`empty`: Yahoo had none), or None when it must be fetched."""
        return None if self.fresh else read_cash_flow(self.store, symbol)

    def save(self) -> None:
        """Write what was fetched, in one transaction; a store failure is one warning."""
        fetched = self.take()
        try:
            write_cash_flows(self.store, fetched)
        except StoreError as error:
            log.warning("could not keep the cash flows: %s", error)
