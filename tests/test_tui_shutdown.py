"""Quitting the app at awkward moments: mid-scan, with a watch poll pending, late messages.

While Textual shuts an app down, timers that fell due and messages its threads
posted are still handled after the widgets are gone; none of that may raise
(run_test re-raises whatever crashed the app, and `_exception` keeps it).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui_support import DEMO_CRITERIA, wait_until
from wheelscan.config import Settings
from wheelscan.core.models import ScanStarted, ScanState
from wheelscan.store import Store
from wheelscan.tui.app import WheelscanApp
from wheelscan.tui.messages import (
    MarketChecked,
    ResultsLoaded,
    ScanEnded,
    ScanEventPosted,
    WatchPolled,
)

SYMBOLS = ["AAPL", "AMD", "AMZN", "BAC", "KO", "MSFT", "NVDA", "SPY"]
SIZE = (100, 30)


def make_app(tmp_path: Path, **options: object) -> WheelscanApp:
    return WheelscanApp(
        Settings(source="demo", criteria=DEMO_CRITERIA, concurrency=2),
        symbols=SYMBOLS,
        export_dir=tmp_path,
        check_market=False,
        **options,  # type: ignore[arg-type]
    )


def wait_for_lock_release(timeout: float = 30) -> None:
    store = Store.for_source("demo")
    deadline = time.monotonic() + timeout
    while store.lock_holder() is not None:
        assert time.monotonic() < deadline, "the app's scan kept the lock after the app quit"
        time.sleep(0.05)
    store.close()


@pytest.mark.parametrize("how", ["q", "leaving run_test"])
async def test_quitting_mid_scan_raises_nothing_and_stops_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setenv("WHEELSCAN_DEMO_LATENCY", "0.05")
    app = make_app(tmp_path, idle_poll_s=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.scan.done >= 2, timeout=30)
        assert app.scan.mode == "scanning"
        if how == "q":
            await pilot.press("q")
    assert app._exception is None
    if how == "q":
        assert app.return_code == 0
    wait_for_lock_release()


HOLD_THE_LOCK = """
import sys
from wheelscan.store import Store
store = Store.for_source("demo")
handle = store.acquire_lock("held-elsewhere", "watchlist", source="demo")
print("locked" if handle else "busy", flush=True)
sys.stdin.readline()
store.release_lock(handle)
"""


async def test_quitting_while_a_watch_poll_is_pending_raises_nothing(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        app = make_app(tmp_path, idle_poll_s=None)
        polls: list[WatchPolled] = []
        async with app.run_test(size=SIZE, message_hook=_collect(polls)) as pilot:
            await wait_until(pilot, lambda: app.scan.mode == "watching" and len(polls) >= 2)
        assert app._exception is None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()


def _collect(polls: list[WatchPolled]):
    def hook(message: object) -> None:
        if isinstance(message, WatchPolled):
            polls.append(message)

    return hook


async def test_timers_and_messages_after_the_app_ended_do_nothing(tmp_path: Path) -> None:
    """What a shutting-down app may still be handed, handed after the end: no NoMatches."""
    app = make_app(tmp_path, idle_poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.query_one("#empty").display)
    store = Store.for_source("demo")
    published, status = store.read_results(), store.read_status()
    store.close()
    scan_before = app.scan
    app.tick()
    app.flush_due()
    app.look_for_other_scan()
    app.watch_poll_due()
    app.market_due()
    app.show_loaded(ResultsLoaded(published, status))
    app.show_market(MarketChecked(None, "calendar unavailable"))
    app.queue_scan_event(ScanEventPosted(ScanStarted(1, ("KO",))))
    app.follow_watched_scan(WatchPolled(status))
    app.scan_ended(ScanEnded(ScanState.SUCCEEDED, "Scan completed"))
    assert app.scan == scan_before
    assert app.pending_events == []
    assert app._exception is None
