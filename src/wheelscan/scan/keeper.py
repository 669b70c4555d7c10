"""The thread that keeps a running scan's lock and progress record in the store.

While the engine runs, this thread alone writes to the store: the engine's loop
only hands it each ScanEvent through a queue (`post`, never blocking), so no
disk I/O or JSON encoding happens on the loop. The thread folds the events into
the progress record and, once per batch it drains, appends one row per finished
ticker and rewrites the header (SPEC 5: O(1) per ticker, see store.progress); keeps
the fresh options answers the engine hands it (`keep_answer`, the answer cache)
in one transaction per batch, and renews the lock every `heartbeat_s`. When a
heartbeat or a write finds the lock gone or taken, it sets the scan's StopEvent
and writes no more progress.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, replace

from wheelscan.core.models import (
    ScanEvent,
    ScanStarted,
    TickerFailed,
    TickerFinished,
    TickerStarted,
)
from wheelscan.scan.stop import StopEvent
from wheelscan.store import (
    LockHandle,
    Progress,
    ProgressHeader,
    ProgressRow,
    Store,
    StoreError,
    utc_now,
)
from wheelscan.store.answers import AnswerToKeep, write_answers

log = logging.getLogger("wheelscan.scan")

_FINISH = object()


@dataclass(frozen=True)
class _Keep:
    answer: AnswerToKeep


def fold(progress: Progress, event: ScanEvent) -> Progress:
    """The progress record after `event` (its `updated` time is the caller's to set)."""
    if isinstance(event, ScanStarted):
        return replace(progress, total=event.total)
    if isinstance(event, TickerStarted):
        return replace(progress, current=event.symbol)
    if isinstance(event, TickerFinished):
        errors = dict(progress.errors)
        if event.result.expiration_errors:
            errors[event.symbol] = "; ".join(
                f"{day}: {reason}" for day, reason in event.result.expiration_errors.items()
            )
        return replace(
            progress,
            done=event.done,
            results={**progress.results, event.symbol: event.result.to_json()},
            errors=errors,
            candidates=progress.candidates + len(event.result.candidates),
        )
    if isinstance(event, TickerFailed):
        return replace(
            progress, done=event.done, errors={**progress.errors, event.symbol: event.reason}
        )
    raise TypeError(f"not a scan event: {event!r}")


class LockKeeper:
    """Heartbeat and progress writer of one scan that holds `handle`.

    `start()` writes the first record; `post(event)` from the engine's loop;
    `finish()` writes what is queued, stops the thread and returns the record.
    `lost_lock` tells whether the lock was lost meanwhile (then `stop` is set).
    """

    def __init__(
        self,
        store: Store,
        handle: LockHandle,
        progress: Progress,
        *,
        heartbeat_s: float,
        stop: StopEvent,
        answers_keep_s: float = 0.0,
    ) -> None:
        self.store = store
        self.handle = handle
        self.progress = progress
        self.heartbeat_s = heartbeat_s
        self.stop = stop
        self.answers_keep_s = answers_keep_s
        self.lost_lock = False
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="wheelscan-keeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def post(self, event: ScanEvent) -> None:
        self._queue.put(event)

    def keep_answer(self, answer: AnswerToKeep) -> None:
        """Queue a fresh options answer for the answer cache (never blocks)."""
        self._queue.put(_Keep(answer))

    def finish(self) -> Progress:
        self._queue.put(_FINISH)
        self._thread.join()
        return self.progress

    def write(self, progress: Progress, rows: list[ProgressRow] | None = None) -> None:
        """Append `rows` (finished tickers) and write `progress`'s header (unless the lock
        is lost); `progress` is kept whole in memory for the scan's end."""
        self.progress = progress
        if self.lost_lock:
            return
        try:
            header = ProgressHeader.of(progress)
            if self.store.append_progress(self.handle, header, rows or []) is None:
                self._lose_lock()
        except StoreError as error:
            log.warning("could not write progress: %s", error)

    def _run(self) -> None:
        self.write(self.progress)
        next_beat = time.monotonic() + self.heartbeat_s
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, next_beat - time.monotonic()))
            except queue.Empty:
                item = None
            if item is not None:
                batch = [item]
                while True:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if self._apply(batch):
                    return
            if time.monotonic() >= next_beat:
                self._beat()
                next_beat = time.monotonic() + self.heartbeat_s

    def _apply(self, batch: list[object]) -> bool:
        """Fold a batch of events and write the record once, keep the batch's answers;
        True when told to finish."""
        progress, changed = self.progress, False
        answers: list[AnswerToKeep] = []
        rows: list[ProgressRow] = []
        for item in batch:
            if item is _FINISH:
                continue
            if isinstance(item, _Keep):
                answers.append(item.answer)
                continue
            progress = fold(progress, item)  # type: ignore[arg-type]
            changed = changed or not isinstance(item, TickerStarted)
            if isinstance(item, TickerFinished | TickerFailed):
                symbol = item.symbol
                result = progress.results.get(symbol) if isinstance(item, TickerFinished) else None
                rows.append(ProgressRow(symbol, result, progress.errors.get(symbol)))
        if changed:
            self.write(replace(progress, updated=utc_now().isoformat()), rows)
        else:
            self.progress = progress
        try:
            write_answers(self.store, answers, self.answers_keep_s)
        except StoreError as error:
            log.warning("could not keep the options answers: %s", error)
        return _FINISH in batch

    def _beat(self) -> None:
        if self.lost_lock:
            return
        try:
            owned = self.store.heartbeat(self.handle)
        except StoreError as error:
            log.warning("heartbeat failed: %s", error)
            return
        if not owned:
            self._lose_lock()

    def _lose_lock(self) -> None:
        if not self.lost_lock:
            log.error("scan %s lost its lock; stopping", self.handle.scan_id)
        self.lost_lock = True
        self.stop.set()
