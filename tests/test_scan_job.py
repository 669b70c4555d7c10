"""One scan's whole life in-process: demo, snapshot and stalled sources on a real diskcache.

Time that matters to the lock (its TTL) comes from the store's fake clock; requests that
must still be running when something happens hang until the test releases them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import FakeClock
from faults import Hanging
from wheelscan.config import Settings
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.models import ScanEvent, ScanKind, ScanState, TickerFinished
from wheelscan.market import closed_message, market_state
from wheelscan.scan.job import ScanOutcome, run_scan, wait_for_running_scan
from wheelscan.scan.stop import StopEvent
from wheelscan.store import LockHandle, Store
from wheelscan.yahoo.source import YahooSource

DEMO = Settings(source="demo")
WATCHLIST, ADHOC = ScanKind.WATCHLIST, ScanKind.ADHOC


def until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def publish_first(store: Store) -> dict[str, Any]:
    outcome = run_scan(["AAPL", "KO"], DEMO, kind=WATCHLIST, store=store)
    assert outcome.state is ScanState.SUCCEEDED and outcome.published
    return store.read_results().results


def progress_done(store: Store) -> int:
    progress, _ = store.read_progress()
    return -1 if progress is None else progress.done


def steal_lock(store: Store, clock: FakeClock) -> LockHandle:
    """Let the running scan's lock expire (by the store's clock) and take it."""
    holder = store.lock_holder()
    assert holder is not None
    clock.advance(holder.ttl_s + 1)
    handle = Store(store.directory, clock=clock).acquire_lock("usurper", str(WATCHLIST))
    assert handle is not None
    return handle


def test_watchlist_scan_publishes_and_records_progress_per_ticker(store: Store) -> None:
    seen: list[tuple[int, int]] = []

    def watch(event: ScanEvent) -> None:
        if isinstance(event, TickerFinished):
            # The engine waits for this callback, so the keeper's last record is this ticker's.
            until(lambda: progress_done(store) == event.done, "the ticker's progress record")
            progress, _ = store.read_progress()
            assert progress is not None and progress.state == "RUNNING"
            seen.append((progress.done, len(progress.results)))

    symbols = ["AAPL", "KO", "MSFT", "SPY"]
    outcome = run_scan(symbols, DEMO, kind=WATCHLIST, store=store, on_event=watch)
    assert outcome.state is ScanState.SUCCEEDED and not outcome.locked
    assert seen == [(1, 1), (2, 2), (3, 3), (4, 4)]
    published = store.read_results()
    assert set(published.results) == set(symbols)
    assert published.scan is not None and published.scan["id"] == outcome.scan_id
    assert published.last_run and published.last_run.startswith("Scan completed at")
    final, _ = store.read_progress()
    assert final is not None and final.state == "SUCCEEDED" and final.done == 4
    assert final.document() == outcome.document
    assert store.lock_holder() is None
    history, _ = store.read_history()
    assert history[0]["id"] == outcome.scan_id and history[0]["tickers"] == 4
    assert history[0]["candidates"] == sum(
        len(r["candidates"]) for r in outcome.document["results"].values()
    )


def test_adhoc_scans_are_recorded_but_never_published(store: Store) -> None:
    before = publish_first(store)
    outcome = run_scan(["MSFT"], DEMO, kind=ADHOC, store=store)
    assert outcome.state is ScanState.SUCCEEDED and not outcome.published
    assert store.read_results().results == before
    history, _ = store.read_history()
    assert [h["kind"] for h in history] == ["adhoc", "watchlist"]


def test_intrinsic_values_reach_the_results(store: Store) -> None:
    outcome = run_scan(["AAPL", "KO"], DEMO, kind=ADHOC, store=store, intrinsic_values={"KO": 61.5})
    assert outcome.document is not None
    results = outcome.document["results"]
    assert results["KO"]["intrinsic_value"] == 61.5
    assert results["KO"]["intrinsic_value_source"] == "manual"
    assert results["AAPL"]["intrinsic_value_source"] == "dcf_eps", "the others are computed"


def test_a_failed_watchlist_scan_keeps_the_previous_results(store: Store, tmp_path: Path) -> None:
    before = publish_first(store)
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    (snapshot / "OTHER.json").write_text('{"optionChain": {"result": [], "error": null}}')
    settings = Settings(source=f"snapshot:{snapshot}")
    outcome = run_scan(["AAA", "BBB"], settings, kind=WATCHLIST, store=store)
    assert outcome.state is ScanState.FAILED
    assert outcome.document is not None
    assert outcome.document["scan"]["state"] == "FAILED"
    assert set(outcome.document["scan"]["errors"]) == {"AAA", "BBB"}
    published = store.read_results()
    assert published.results == before
    assert published.last_run and published.last_run.startswith("Scan failed at")
    assert store.lock_holder() is None


def test_a_cancelled_watchlist_scan_keeps_the_previous_results(store: Store) -> None:
    before = publish_first(store)
    symbols = [f"T{n}" for n in range(12)]
    transport = Hanging(set(symbols[1:]))
    stop = StopEvent()

    def cancel_after_first(event: ScanEvent) -> None:
        if isinstance(event, TickerFinished):
            stop.set()

    settings = Settings(source="demo", concurrency=16)
    try:
        outcome = run_scan(
            symbols,
            settings,
            kind=WATCHLIST,
            store=store,
            source=YahooSource("demo", transport),
            on_event=cancel_after_first,
            stop=stop,
        )
    finally:
        transport.release.set()
    assert outcome.state is ScanState.CANCELLED and outcome.message == "Scan cancelled"
    assert store.read_results().results == before
    assert store.read_results().last_run.startswith("Scan cancelled at")
    assert store.lock_holder() is None
    progress, _ = store.read_progress()
    assert progress is not None and progress.state == "CANCELLED"
    assert progress.done == 1 and set(progress.results) == {"T0"}
    history, _ = store.read_history()
    assert history[0]["state"] == "CANCELLED"


def test_a_scan_that_loses_its_lock_publishes_nothing_and_spares_the_new_owner(
    store: Store, fake_clock: FakeClock
) -> None:
    before = publish_first(store)
    taken: list[LockHandle] = []

    def take_over(event: ScanEvent) -> None:
        if isinstance(event, TickerFinished) and not taken:
            taken.append(steal_lock(store, fake_clock))

    outcome = run_scan(
        ["AAPL", "KO", "MSFT"], DEMO, kind=WATCHLIST, store=store, on_event=take_over
    )
    assert outcome.state is ScanState.FAILED and not outcome.published
    assert "lost the scan lock" in outcome.message
    assert outcome.document is not None and outcome.document["scan"]["state"] == "FAILED"
    assert store.read_results().results == before
    holder = store.lock_holder()
    assert holder is not None and holder.token == taken[0].token, "the new owner's lock survives"


def test_the_heartbeat_that_finds_the_lock_taken_stops_a_stalled_scan(
    store: Store, fake_clock: FakeClock
) -> None:
    transport = Hanging({"B"})
    taken: list[LockHandle] = []

    def take_over(event: ScanEvent) -> None:
        if isinstance(event, TickerFinished):
            taken.append(steal_lock(store, fake_clock))

    # Only a heartbeat can notice: B hangs, so no progress is written after A.
    settings = Settings(source="demo", heartbeat_s=0.05)
    try:
        outcome = run_scan(
            ["A", "B"],
            settings,
            kind=WATCHLIST,
            store=store,
            source=YahooSource("demo", transport),
            on_event=take_over,
        )
        still_hanging = transport.waiting
    finally:
        transport.release.set()
    assert still_hanging == 1, "the scan ended while B still hung: it was stopped"
    assert outcome.state is ScanState.FAILED and "lost the scan lock" in outcome.message
    holder = store.lock_holder()
    assert holder is not None and holder.token == taken[0].token


def test_a_scan_refused_by_the_lock_changes_nothing(store: Store) -> None:
    before = publish_first(store)
    handle = store.acquire_lock("other", str(WATCHLIST), source="demo")
    assert handle is not None
    outcome = run_scan(["AAPL"], DEMO, kind=WATCHLIST, store=store)
    assert outcome.locked and outcome.state is ScanState.PENDING
    assert outcome.holder is not None and outcome.holder.scan_id == "other"
    assert "another scan holds the lock (scan other" in outcome.message
    assert outcome.document is None and not outcome.published
    history, _ = store.read_history()
    assert len(history) == 1, "only the first scan is recorded"
    assert store.read_results().results == before
    assert store.lock_holder().token == handle.token


class LoopWatchingStore(Store):
    """A real store that notes every call made from a thread running an event loop."""

    CALLS = (
        "acquire_lock",
        "heartbeat",
        "release_lock",
        "append_progress",
        "publish",
        "set_last_run",
        "append_history",
        "lock_holder",
        "read_progress",
    )

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.on_loop: list[str] = []
        self.calls: list[str] = []
        for name in self.CALLS:
            setattr(self, name, self._watched(name, getattr(self, name)))

    def _watched(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            try:
                asyncio.get_running_loop()
                self.on_loop.append(name)
            except RuntimeError:
                pass
            return call(*args, **kwargs)

        return watched


def test_no_store_call_runs_on_the_engines_event_loop(tmp_path: Path) -> None:
    store = LoopWatchingStore(tmp_path / "cache")
    symbols = [f"T{n}" for n in range(10)]
    outcome = run_scan(
        symbols, Settings(source="demo", heartbeat_s=0.01), kind=WATCHLIST, store=store
    )
    assert outcome.state is ScanState.SUCCEEDED and outcome.published
    assert {"append_progress", "publish", "append_history"} <= set(store.calls)
    assert store.on_loop == []


def test_progress_is_appended_one_row_per_ticker_never_rewritten(tmp_path: Path) -> None:
    appended: list[list[str]] = []

    class CountingStore(Store):
        def append_progress(self, handle, header, rows=()):  # type: ignore[no-untyped-def]
            appended.append([row.symbol for row in rows])
            return super().append_progress(handle, header, rows)

    store = CountingStore(tmp_path / "cache")
    symbols = [f"T{n}" for n in range(12)]
    outcome = run_scan(symbols, DEMO, kind=WATCHLIST, store=store)
    assert outcome.state is ScanState.SUCCEEDED
    written = [symbol for rows in appended for symbol in rows]
    assert sorted(written) == sorted(symbols), "each ticker's row is written once"
    status = store.read_status()
    assert status.header is not None and status.header.rows == len(symbols)
    assert status.progress is not None and status.progress.document() == outcome.document


def test_waiting_for_a_running_scan_returns_its_outcome(store: Store) -> None:
    transport = Hanging({"B"})
    outcomes: list[ScanOutcome] = []

    def scan() -> None:
        source = YahooSource("demo", transport)
        outcomes.append(run_scan(["A", "B"], DEMO, kind=WATCHLIST, store=store, source=source))

    runner = threading.Thread(target=scan)
    runner.start()
    try:
        until(lambda: transport.waiting == 1, "the scan is running")

        class ReleaseWhenWaiting(StopEvent):
            """Lets the scan finish once the waiter has seen it hold the lock."""

            def wait(self, timeout: float | None = None) -> bool:
                transport.release.set()
                return super().wait(timeout)

        waited = wait_for_running_scan(store, stop=ReleaseWhenWaiting(), poll_s=0.01)
    finally:
        transport.release.set()
        runner.join()
    assert waited is not None and not waited.locked
    assert waited.state is ScanState.SUCCEEDED and waited.kind is WATCHLIST
    assert waited.scan_id == outcomes[0].scan_id
    assert waited.document == outcomes[0].document
    assert wait_for_running_scan(store) is None, "nothing holds the lock any more"


def test_waiting_for_a_scan_that_ended_before_the_first_look_gives_its_outcome(
    store: Store,
) -> None:
    transport = Hanging({"B"})
    outcomes: list[ScanOutcome] = []

    def scan() -> None:
        source = YahooSource("demo", transport)
        outcomes.append(run_scan(["A", "B"], DEMO, kind=ADHOC, store=store, source=source))

    runner = threading.Thread(target=scan)
    runner.start()
    try:
        until(lambda: transport.waiting == 1, "the scan is running")
        holder = store.lock_holder()
    finally:
        transport.release.set()
        runner.join()
    assert holder is not None and store.lock_holder() is None
    waited = wait_for_running_scan(store, holder=holder)
    assert waited is not None and waited.state is ScanState.SUCCEEDED and waited.kind is ADHOC
    assert waited.document == outcomes[0].document


def test_waiting_ends_when_stopped_or_past_its_deadline(store: Store) -> None:
    handle = store.acquire_lock("running", str(ADHOC))
    assert handle is not None
    stop = StopEvent()
    stop.set()
    stopped = wait_for_running_scan(store, stop=stop)
    assert stopped is not None and stopped.state is ScanState.CANCELLED
    assert stopped.kind is ADHOC and stopped.scan_id == "running"
    late = wait_for_running_scan(store, poll_s=0.01, timeout_s=0.05)
    assert late is not None and late.state is ScanState.FAILED and "gave up" in late.message


def test_waiting_for_a_holder_that_died_fails_once_its_lock_expires(
    store: Store, fake_clock: FakeClock
) -> None:
    assert store.acquire_lock("dead", str(WATCHLIST), ttl_s=60) is not None

    class ExpireWhenWaiting(StopEvent):
        def wait(self, timeout: float | None = None) -> bool:
            fake_clock.advance(61)
            return False

    waited = wait_for_running_scan(store, stop=ExpireWhenWaiting())
    assert waited is not None and waited.state is ScanState.FAILED
    assert "ended without an outcome" in waited.message


@pytest.mark.parametrize(
    ("moment", "next_open"),
    [
        (datetime(2026, 11, 26, 11, 0, tzinfo=NEW_YORK), "Fri 2026-11-27 09:30"),  # Thanksgiving
        (datetime(2026, 11, 28, 11, 0, tzinfo=NEW_YORK), "Mon 2026-11-30 09:30"),  # Saturday
        (datetime(2026, 11, 27, 13, 30, tzinfo=NEW_YORK), "Mon 2026-11-30 09:30"),  # early close
    ],
)
def test_a_gated_live_scan_while_the_market_is_closed_is_skipped(
    store: Store, moment: datetime, next_open: str
) -> None:
    """`refresh` is gated; `scan` is not (tests/test_closed_market.py)."""
    before = publish_first(store)
    outcome = run_scan(
        ["AAPL"],
        Settings(source="yahoo"),
        kind=WATCHLIST,
        store=store,
        clock=lambda: moment,
        gate=True,
    )
    assert outcome.state is ScanState.SKIPPED and not outcome.locked
    assert f"next open {next_open}" in outcome.message
    assert outcome.document is not None and outcome.document["results"] == {}
    assert outcome.document["scan"]["state"] == "SKIPPED"
    assert outcome.document["scan"]["message"] == outcome.message
    published = store.read_results()
    assert published.results == before
    assert published.last_run == outcome.message
    history, _ = store.read_history()
    assert history[0]["state"] == "SKIPPED" and history[0]["id"] == outcome.scan_id


def test_the_gate_opens_with_force_and_for_offline_sources() -> None:
    holiday = datetime(2026, 11, 26, 11, 0, tzinfo=NEW_YORK)
    assert closed_message("yahoo", False, lambda: holiday) is not None
    assert closed_message("yahoo", True, lambda: holiday) is None
    assert closed_message("demo", False, lambda: holiday) is None
    assert closed_message("snapshot:/x", False, lambda: holiday) is None


def test_market_hours_know_the_early_close() -> None:
    before_close = market_state(datetime(2026, 11, 27, 12, 59, tzinfo=NEW_YORK))
    assert before_close.is_open
    assert before_close.next_close is not None
    assert before_close.next_close.astimezone(NEW_YORK).hour == 13
    assert market_state(datetime(2026, 11, 30, 9, 30, tzinfo=NEW_YORK)).is_open
    assert not market_state(datetime(2026, 11, 30, 9, 29, tzinfo=NEW_YORK)).is_open
