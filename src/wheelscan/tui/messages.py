"""Messages that worker threads post to the app; the app's handlers own all state.

Workers never touch a widget: they read the store, start or poll the scan
process, and post one of these (`post_message` is thread-safe). Handlers run on
the event loop. The store's and the market's types are named for the type
checker only, so importing this module loads neither diskcache nor the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from wheelscan.tui.scan_state import StorePoll

if TYPE_CHECKING:
    from wheelscan.market import MarketState
    from wheelscan.store import LockInfo, ProgressHeader, PublishedResults
    from wheelscan.tui.child import ScanChild


@dataclass
class ResultsLoaded(Message):
    """The published results and the scan lock's holder (is someone scanning?), read together."""

    published: PublishedResults
    lock: LockInfo | None


@dataclass
class MarketChecked(Message):
    """NYSE's state, or (state None) the reason it could not be told."""

    state: MarketState | None
    error: str | None = None


@dataclass
class StoreLooked(Message):
    """While idle: who holds the scan lock, and the latest scan's progress header (its
    id tells whether a scan ran since the last look)."""

    lock: LockInfo | None
    header: ProgressHeader | None


@dataclass
class ScanLaunched(Message):
    """The scan process runs (`child`, started at wall-clock `at`), or why it could not start."""

    child: ScanChild | None
    at: datetime
    error: str | None = None


@dataclass
class ScanPolled(Message):
    """One poll of the store (and of the own scan's process) for the scan the app follows."""

    poll: StorePoll


@dataclass
class CallsLoaded(Message):
    """The covered-calls document (`wheelscan calls --json`'s), or why it could not be made."""

    document: dict[str, Any] | None
    error: str | None = None


@dataclass
class ExportWritten(Message):
    """Where the export went, or (path None) why it could not be written."""

    path: Path | None
    error: str | None = None


@dataclass
class PlanLoaded(Message):
    """The plan document (`wheelscan plan --json`'s), or why it could not be made."""

    document: dict[str, Any] | None
    error: str | None = None
