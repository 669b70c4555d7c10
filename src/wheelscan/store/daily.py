"""Answers asked at most once a day per symbol (SPEC 1.3: ex-dividend dates), kept per namespace.

One row per kind and symbol: `scanner:<ns>:daily:<KIND>:<SYMBOL>`, holding {"day":
the New York date it was asked on, "value": the JSON answer, null included}. It
answers only on that same day; the row also expires in diskcache two days after it
was written, so old ones do not pile up. `cache clear` deletes them with every
other key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from wheelscan.store.errors import STORE_ERRORS
from wheelscan.store.keys import PREFIX
from wheelscan.store.reader import read_snapshot

if TYPE_CHECKING:
    from wheelscan.store.cache import Store

KEEP_S = 2 * 86400


@dataclass(frozen=True)
class Kept:
    """A value kept today (None is a value: "Yahoo lists nothing")."""

    value: Any


def daily_key(namespace: str, kind: str, symbol: str) -> str:
    return f"{PREFIX}{namespace}:daily:{kind}:{symbol}"


def read_daily(store: Store, kind: str, symbol: str, day: date) -> Kept | None:
    """What was kept for `symbol` on `day`, or None (nothing, another day, an unreadable
    cache); never raises."""
    try:
        with read_snapshot(store.directory) as snapshot:
            record = snapshot.get(daily_key(store.namespace, kind, symbol)) if snapshot else None
    except STORE_ERRORS:
        return None
    if not isinstance(record, dict) or record.get("day") != day.isoformat():
        return None
    return Kept(record.get("value"))


def write_daily(store: Store, kind: str, symbol: str, day: date, value: Any) -> None:
    """Keep `value` (plain JSON) as `symbol`'s answer of `day`. Raises StoreError."""
    with store._writing(f"keep {symbol}'s {kind}") as cache:
        record = {"day": day.isoformat(), "value": value}
        cache.set(daily_key(store.namespace, kind, symbol), record, expire=KEEP_S)
