"""Quitting the app at awkward moments: mid-scan, with a watch poll pending, late messages.

While Textual shuts an app down, timers that fell due and messages its threads
posted are still handled after the widgets are gone; none of that may raise
(run_test re-raises whatever crashed the app, and `_exception` keeps it). A
scan the app started is a process of its own: it outlives the app, like cron's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui_support import use_watchlist, wait_until
from wheelscan.store import Store
from wheelscan.tui.app import WheelscanApp
from wheelscan.tui.child import BACKGROUND_NICENESS, ScanChild
from wheelscan.tui.messages import (
    CallsLoaded,
    MarketChecked,
    PlanLoaded,
    ResultsLoaded,
    ScanLaunched,
    ScanPolled,
    StoreLooked,
)
from wheelscan.tui.scan_state import StorePoll

SYMBOLS = ["AAPL", "AMD", "AMZN", "BAC", "KO", "MSFT", "NVDA", "SPY"]
SIZE = (100, 30)


def make_app(tmp_path: Path, **options: object) -> WheelscanApp:
    return WheelscanApp(
        use_watchlist(SYMBOLS, concurrency=2),
        export_dir=tmp_path,
        check_market=False,
        **options,  # type: ignore[arg-type]
    )


def wait_for_the_scan_to_publish(child: ScanChild, timeout: float = 60) -> None:
    """The scan process ends on its own (the test's process is its parent: it reaps it)."""
    store = Store.for_source("demo")
    deadline = time.monotonic() + timeout
    while child.exit_code() is None or store.lock_holder() is not None:
        assert time.monotonic() < deadline, "the scan process did not finish"
        time.sleep(0.05)
    assert child.exit_code() == 0
    assert sorted(store.read_results().results) == SYMBOLS
    store.close()


@pytest.mark.parametrize("how", ["q", "leaving run_test"])
async def test_quitting_mid_scan_raises_nothing_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], how: str
) -> None:
    monkeypatch.setenv("WHEELSCAN_DEMO_LATENCY", "0.1")
    app = make_app(tmp_path, idle_poll_s=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.scan.done >= 2, timeout=30)
        assert app.scan.mode == "scanning"
        child = app.child
        assert child is not None and child.pid == app.scan.pid
        pid = child.pid
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(own + BACKGROUND_NICENESS, 19)
        if how == "q":
            await pilot.press("q")
    assert app._exception is None
    assert child.exit_code() is None, "the scan process keeps running after the app"
    if how == "q":
        assert app.return_code == 0
        said = " ".join(capfd.readouterr().err.split())
        assert f"the scan (pid {pid}) keeps running and publishes when it ends" in said
    wait_for_the_scan_to_publish(child)


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
        polls: list[ScanPolled] = []
        async with app.run_test(size=SIZE, message_hook=_collect(polls)) as pilot:
            await wait_until(pilot, lambda: app.scan.mode == "watching" and len(polls) >= 2)
        assert app._exception is None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()


def _collect(polls: list[ScanPolled]):
    def hook(message: object) -> None:
        if isinstance(message, ScanPolled):
            polls.append(message)

    return hook


async def test_timers_and_messages_after_the_app_ended_do_nothing(tmp_path: Path) -> None:
    """What a shutting-down app may still be handed, handed after the end: no NoMatches."""
    app = make_app(tmp_path, idle_poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main.tree.showing_hint)
    store = Store.for_source("demo")
    published = store.read_results()
    store.close()
    scan_before = app.scan
    app.tick()
    app.redraw_due()
    app.save_due()
    app.look_for_other_scan()
    app.watch_poll_due()
    app.market_due()
    app.show_loaded(ResultsLoaded(published, None))
    app.show_market(MarketChecked(None, "calendar unavailable"))
    app.on_scan_launched(ScanLaunched(None, datetime.now(UTC), "could not start"))
    app.on_scan_polled(ScanPolled(StorePoll(None, None)))
    app.show_calls(CallsLoaded(None, "no ledger"))
    app.show_plan(PlanLoaded(None, "no ledger"))
    app.on_store_looked(StoreLooked(None, None))
    assert app.scan == scan_before
    assert app._exception is None
