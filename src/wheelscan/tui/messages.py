"""Messages that worker threads post to the app; the app's handlers own all state.

Workers never touch a widget: they read the store or run a scan, and post one of
these (`post_message` is thread-safe). Handlers run on the event loop. The store's
and the market's types are named for the type checker only, so importing this
module loads neither diskcache nor the exchange calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from wheelscan.core.models import ScanEvent, ScanState, TickerFinished
from wheelscan.tui.model import Result

if TYPE_CHECKING:
    from wheelscan.market import MarketState
    from wheelscan.store import LockInfo, PublishedResults, StoreStatus


@dataclass
class ResultsLoaded(Message):
    """The published results and the store's status (is someone scanning?), read together."""

    published: PublishedResults
    status: StoreStatus


@dataclass
class MarketChecked(Message):
    """NYSE's state, or (state None) the reason it could not be told."""

    state: MarketState | None
    error: str | None = None


@dataclass
class ScanEventPosted(Message):
    """One event of the app's own scan, as the engine emitted it.

    Built in the scan's thread, which also converts a finished ticker's result to
    its SPEC 7 JSON object (`result`; empty for the other events): the event loop
    does not spend on it.
    """

    event: ScanEvent
    result: Result = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.event, TickerFinished):
            self.result = self.event.result.to_json()


@dataclass
class ScanRefused(Message):
    """The app's scan could not take the lock: another process (`holder`) is scanning."""

    holder: LockInfo | None


@dataclass
class ScanEnded(Message):
    """The app's own scan is over: its final state and the lifecycle's one-line message."""

    state: ScanState
    message: str


@dataclass
class ScanCrashed(Message):
    """The app's own scan raised before it could report an outcome."""

    error: str


@dataclass
class WatchPolled(Message):
    """One poll of the store's status (lock, progress), to find or follow another's scan."""

    status: StoreStatus


@dataclass
class ExportWritten(Message):
    """Where the export went, or (path None) why it could not be written."""

    path: Path | None
    error: str | None = None
