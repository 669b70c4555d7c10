"""Trailing cash flows kept per namespace for the FCF valuation (SPEC 4: "cached a week").

One row per symbol, `scanner:<ns>:fundamentals:<SYMBOL>`, holding {"fetched_at": epoch
seconds, "cash_flow": the figures, or null when Yahoo gave none (an `empty`
TrailingCashFlow, as it is read back)}. yfinance turns a
failed fundamentals request into the same empty answer as a symbol without statements,
so "none" is kept only for NO_CASH_FLOW_KEEP_S: a failure is asked again within the
hour, a real answer is kept CASH_FLOW_KEEP_S. Ages are judged by the store's clock when
read; the row also expires in diskcache, so old rows do not pile up. `cache clear`
deletes them with every other key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from wheelscan.core.valuation import TrailingCashFlow
from wheelscan.store.errors import STORE_ERRORS
from wheelscan.store.keys import PREFIX
from wheelscan.store.reader import read_snapshot

if TYPE_CHECKING:
    from wheelscan.store.cache import Store

CASH_FLOW_KEEP_S = 7 * 86400
NO_CASH_FLOW_KEEP_S = 3600

_NUMBERS = tuple(f.name for f in fields(TrailingCashFlow) if f.name != "as_of")


def fundamentals_key(namespace: str, symbol: str) -> str:
    return f"{PREFIX}{namespace}:fundamentals:{symbol}"


def keep_seconds(cash_flow: TrailingCashFlow) -> float:
    """How long an answer stays good: a week for figures, an hour for none."""
    return NO_CASH_FLOW_KEEP_S if cash_flow.empty else CASH_FLOW_KEEP_S


def _number(value: Any) -> bool:
    return value is None or (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    )


def _cash_flow(data: Any) -> TrailingCashFlow | None:
    """The figures of a stored `cash_flow` (null: empty); None for a record of another shape."""
    if data is None:
        return TrailingCashFlow()
    if not isinstance(data, dict) or set(data) != {f.name for f in fields(TrailingCashFlow)}:
        return None
    if not all(_number(data[name]) for name in _NUMBERS):
        return None
    if data["as_of"] is not None and not isinstance(data["as_of"], str):
        return None
    return TrailingCashFlow(**data)


def read_cash_flow(store: Store, symbol: str) -> TrailingCashFlow | None:
    """The kept cash flow of `symbol` while it is young enough (`empty` when Yahoo gave
    none), else None; never raises (a missing, damaged or unreadable cache, or a record
    of another shape, keeps nothing)."""
    try:
        with read_snapshot(store.directory) as snapshot:
            record = snapshot.get(fundamentals_key(store.namespace, symbol)) if snapshot else None
    except STORE_ERRORS:
        return None
    if not isinstance(record, dict):
        return None
    fetched_at = record.get("fetched_at")
    if not isinstance(fetched_at, int | float) or isinstance(fetched_at, bool):
        return None
    cash_flow = _cash_flow(record.get("cash_flow"))
    age = store.clock() - fetched_at
    if cash_flow is None or not (math.isfinite(age) and 0 <= age < keep_seconds(cash_flow)):
        return None
    return cash_flow


def write_cash_flows(store: Store, cash_flows: Sequence[tuple[str, TrailingCashFlow]]) -> None:
    """Keep (symbol, cash flow fetched now) pairs in one transaction. Raises StoreError."""
    if not cash_flows:
        return
    now = store.clock()
    with store._writing("keep the cash flows") as cache, cache.transact():
        for symbol, cash_flow in cash_flows:
            figures = None if cash_flow.empty else asdict(cash_flow)
            record = {"fetched_at": now, "cash_flow": figures}
            cache.set(
                fundamentals_key(store.namespace, symbol), record, expire=keep_seconds(cash_flow)
            )
