"""What a scan fetched for the store, held in memory until the engine has finished.

The engine's caches (cash flows, ex-dividend dates) are read in its worker threads
and must not write while a scan runs (only the LockKeeper does): each holds what it
fetched here and writes it all in its `save()` afterwards.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

Value = TypeVar("Value")


class HeldFetches(Generic[Value]):
    """Fetched values by symbol, safe to `put` from any thread."""

    def __init__(self) -> None:
        self._fetched: dict[str, Value] = {}
        self._lock = threading.Lock()

    def put(self, symbol: str, value: Value) -> None:
        """Hold a fetched value for `save()` (never blocks on the store)."""
        with self._lock:
            self._fetched[symbol] = value

    def take(self) -> list[tuple[str, Value]]:
        """Everything held so far, in the order fetched; the holder is left empty."""
        with self._lock:
            fetched, self._fetched = list(self._fetched.items()), {}
        return fetched
