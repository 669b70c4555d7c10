"""Messages that worker threads post to the app; the app's handlers own all state.

Workers never touch a widget: they read the store or run a scan, and post one of
these (`post_message` is thread-safe). Handlers run on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.message import Message

from wheelscan.core.models import ScanEvent, TickerFinished


@dataclass
class ResultsLoaded(Message):
    """The published results, read from the store (a `store.PublishedResults`)."""

    published: Any
    status: Any


@dataclass
class MarketChecked(Message):
    """NYSE's state (`market.MarketState`), or the reason it could not be told."""

    state: Any
    error: str | None = None


@dataclass
class ScanEventPosted(Message):
    """One event of the app's own scan, as the engine emitted it.

    Built in the scan's thread, which also converts a finished ticker's result to
    its SPEC 7 JSON object (`result`; empty for the other events): the event loop
    does not spend on it.
    """

    event: ScanEvent
    result: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.event, TickerFinished):
            self.result = self.event.result.to_json()


@dataclass
class ScanRefused(Message):
    """The app's scan could not take the lock: another process is scanning."""

    holder: Any


@dataclass
class ScanEnded(Message):
    """The app's own scan is over (the lifecycle's outcome)."""

    outcome: Any


@dataclass
class ScanCrashed(Message):
    """The app's own scan raised before it could report an outcome."""

    error: str


@dataclass
class WatchPolled(Message):
    """One poll of another process's scan: the store's status (lock, progress)."""

    status: Any


@dataclass
class ExportWritten(Message):
    path: Path | None
    error: str | None = None
