"""The terminal app under App.run_test(): real store, real scan processes of the demo.

`s` starts `wheelscan refresh --force --source demo` as a process of its own; the
app follows it through the store. Every wait is a condition polled against a
deadline (tui_support.wait_until), never a sleep standing in for one.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui_support import DEMO_CRITERIA, SNAPSHOTS, publish, use_watchlist, wait_until
from wheelscan.config import Settings
from wheelscan.core.models import ScanKind, ScanState
from wheelscan.scan.job import run_scan
from wheelscan.store import Store
from wheelscan.tui.app import WheelscanApp
from wheelscan.tui.puts_tree import NodeRef, PutsTree
from wheelscan.tui.widgets import DetailPanel

SEEDED = ["AAPL", "KO", "MSFT"]
SCANNED = ["AAPL", "AMD", "AMZN", "BAC", "KO", "MSFT", "NVDA", "SPY"]
SIZE = (120, 40)


async def seed_store(symbols: list[str] = SEEDED) -> dict:
    """Publish a real demo watchlist scan through the lifecycle; returns its results."""
    settings = Settings(source="demo", criteria=DEMO_CRITERIA)
    outcome = await asyncio.to_thread(run_scan, symbols, settings, kind=ScanKind.WATCHLIST)
    assert outcome.state is ScanState.SUCCEEDED
    return outcome.document["results"]


def make_app(tmp_path: Path, symbols: list[str] = SCANNED, concurrency: int = 8) -> WheelscanApp:
    """The app as `wheelscan tui --source demo` makes it, on a watchlist of `symbols`."""
    return WheelscanApp(
        use_watchlist(symbols, concurrency=concurrency),
        export_dir=tmp_path,
        check_market=False,
        idle_poll_s=None,
    )


def tree(app: WheelscanApp) -> PutsTree:
    return app.query_one(PutsTree)


def tickers(app: WheelscanApp) -> list[str]:
    return tree(app).symbols()


def labels(app: WheelscanApp) -> list[str]:
    return [str(tree(app).label(symbol)) for symbol in tickers(app)]


def progress_title(app: WheelscanApp) -> str:
    """The progress block's first line: the running scan, or how the last one ended."""
    return str(app.query_one("#scan-title").render())


def notifications(app: WheelscanApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def scan_process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_start_shows_the_cached_results(tmp_path: Path) -> None:
    results = await seed_store()
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(tickers(app)) == len(SEEDED))
        assert tickers(app) == SEEDED
        for symbol in SEEDED:
            candidates = results[symbol]["candidates"]
            label = str(tree(app).label(symbol))
            assert label.startswith(symbol)
            assert f"${results[symbol]['underlying_price']:,.2f}" in label
            assert f"{len(candidates)} put" in label
            best = max(c["annualized_return_pct"] for c in candidates)
            assert re.search(rf"best\s+{best:.1f}%", label)
            assert tree(app).contracts(symbol) == [c["contract"] for c in candidates]
        status = str(app.query_one("#status").render())
        assert "results fresh, just now" in status
        assert "DEMO" in status and "DEMO" in app.sub_title


async def test_s_starts_a_scan_process_whose_tickers_stream_into_the_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHEELSCAN_DEMO_LATENCY", "0.1")
    app = make_app(tmp_path, concurrency=1)
    seen: list[tuple[int, int, int]] = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main.tree.showing_hint)
        assert tickers(app) == []
        await pilot.press("s")
        assert app.scan.mode == "scanning"
        await wait_until(pilot, lambda: app.scan.pid is not None)
        pid = app.scan.pid
        assert pid != os.getpid()
        await wait_until(pilot, lambda: Store.for_source("demo").lock_holder() is not None)
        assert Store.for_source("demo").lock_holder().pid == pid
        bar = app.query_one("#scan-bar")
        while app.scan.mode == "scanning":
            seen.append((app.scan.done, len(tickers(app)), int(bar.progress)))
            await pilot.pause(0.05)
        await wait_until(pilot, lambda: len(tickers(app)) == len(SCANNED))
        assert "Last scan: succeeded · Scan completed" in progress_title(app)
    partial = [s for s in seen if 0 < s[0] < len(SCANNED)]
    assert len({done for done, _, _ in partial}) >= 3, seen
    for done, nodes, progress in partial:
        assert nodes <= done  # a ticker is drawn once its row is read, never before
        assert progress <= done
    assert app.scan.outcome is ScanState.SUCCEEDED
    assert sorted(Store.for_source("demo").read_results().results) == SCANNED
    assert scan_process_gone(pid)


async def test_c_stops_the_scan_process_and_the_previous_results_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous results are published without a scan, so none of their answers is
    cached and the scan asks for every ticker."""
    document = json.loads((SNAPSHOTS / "published.json").read_text())
    seeded, previous = document["results"], sorted(document["results"])
    publish(document)
    monkeypatch.setenv("WHEELSCAN_DEMO_LATENCY", "0.2")
    app = make_app(tmp_path, symbols=previous, concurrency=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: tickers(app) == previous)
        await pilot.press("s")
        await wait_until(pilot, lambda: app.scan.scan_id is not None, timeout=30)
        await wait_until(pilot, lambda: any("scanning…" in label for label in labels(app)))
        pid = app.scan.pid
        await pilot.press("c")
        assert app.scan.cancelling
        await wait_until(pilot, lambda: app.scan.mode == "idle", timeout=30)
        assert app.scan.outcome is ScanState.CANCELLED
        await wait_until(pilot, lambda: not any("scanning" in label for label in labels(app)))
        await wait_until(pilot, lambda: tickers(app) == previous)
        assert any("cancelled" in text for text in notifications(app))
        assert "Last scan: cancelled · The previous results stay." in progress_title(app)
    store = Store.for_source("demo")
    assert store.lock_holder() is None
    assert store.read_results().results == seeded
    assert scan_process_gone(pid)


async def test_a_scan_in_another_process_is_watched_then_reloaded(tmp_path: Path) -> None:
    await seed_store()
    env = {**os.environ, "WHEELSCAN_DEMO_LATENCY": "0.25"}
    command = [sys.executable, "-m", "wheelscan", "refresh", "--source", "demo"]
    app = make_app(tmp_path)
    app.idle_poll_s = 0.2
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(tickers(app)) == len(SEEDED))
        other = subprocess.Popen(command, env=env)
        try:
            await wait_until(pilot, lambda: app.scan.mode == "watching", timeout=30)
            await pilot.press("s")
            assert app.scan.mode == "watching"
            await wait_until(
                pilot, lambda: app.scan.done > 0 or app.scan.mode == "idle", timeout=30
            )
            await wait_until(pilot, lambda: app.scan.mode == "idle", timeout=60)
            assert other.wait(timeout=30) == 0
        finally:
            other.kill()
        published = Store.for_source("demo").read_results().results
        await wait_until(pilot, lambda: tickers(app) == sorted(published))
        assert len(published) > len(SEEDED)
        assert "Last scan: succeeded" in progress_title(app)


HOLD_THE_LOCK = """
import sys
from wheelscan.store import Store
store = Store.for_source("demo")
handle = store.acquire_lock("held-elsewhere", "watchlist", source="demo")
print("locked" if handle else "busy", flush=True)
sys.stdin.readline()
store.release_lock(handle)
"""


async def test_s_watches_the_scan_of_the_process_that_holds_the_lock(tmp_path: Path) -> None:
    """The app's scan process finds the lock held (exit 75); the app watches the holder."""
    await seed_store()
    app = make_app(tmp_path, symbols=SEEDED)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(tickers(app)) == len(SEEDED))
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_THE_LOCK],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "locked"
            assert app.scan.mode == "idle"
            await pilot.press("s")
            await wait_until(pilot, lambda: app.scan.mode == "watching", timeout=30)
            assert f"pid {holder.pid}" in app.scan.title
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.wait(timeout=10) == 0
        finally:
            holder.kill()
        await wait_until(pilot, lambda: app.scan.mode == "idle")
        assert tickers(app) == SEEDED
        await pilot.press("s")
        await wait_until(pilot, lambda: app.scan.outcome is ScanState.SUCCEEDED, timeout=60)


async def test_start_while_another_process_scans_shows_its_progress(tmp_path: Path) -> None:
    env = {**os.environ, "WHEELSCAN_DEMO_LATENCY": "0.25"}
    command = [sys.executable, "-m", "wheelscan", "refresh", "--source", "demo"]
    other = subprocess.Popen(command, env=env)
    try:
        store = Store.for_source("demo")
        deadline = time.monotonic() + 30
        while store.lock_holder() is None:
            assert time.monotonic() < deadline and other.poll() is None
            time.sleep(0.05)
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.scan.mode == "watching")
            assert app.query_one("#progress").display
            assert "Watching a watchlist scan by pid" in app.scan.title
            await wait_until(pilot, lambda: len(tickers(app)) > 0 and app.scan.mode == "watching")
            await wait_until(pilot, lambda: app.scan.mode == "idle", timeout=60)
            assert other.wait(timeout=30) == 0
            published = Store.for_source("demo").read_results().results
            await wait_until(pilot, lambda: tickers(app) == sorted(published))
    finally:
        other.kill()


async def test_export_writes_the_visible_results(tmp_path: Path) -> None:
    results = await seed_store()
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(tickers(app)) == len(SEEDED))
        await pilot.press("slash", *"ms", "enter")
        await pilot.press("e", "j")
        await wait_until(pilot, lambda: any("Exported to" in t for t in notifications(app)))
        await pilot.press("escape")
        await pilot.press("e", "c")
        await wait_until(pilot, lambda: len(list(tmp_path.glob("wheelscan-*"))) == 2)
        await app.workers.wait_for_complete()
    exported = json.loads(next(tmp_path.glob("wheelscan-*.json")).read_text())
    assert exported["filter"] == "ms"
    assert exported["results"] == {"MSFT": results["MSFT"]}
    with next(tmp_path.glob("wheelscan-*.csv")).open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["ticker"], r["contract"]) for r in rows] == [
        (symbol, c["contract"]) for symbol in SEEDED for c in results[symbol]["candidates"]
    ]
    first = results["AAPL"]["candidates"][0]
    assert float(rows[0]["breakeven_usd"]) == pytest.approx(first["breakeven"], abs=0.005)
    assert any(str(tmp_path) in text for text in notifications(app))


async def test_details_show_every_figure_of_the_highlighted_contract(tmp_path: Path) -> None:
    results = await seed_store()
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(tickers(app)) == len(SEEDED))
        await pilot.press("enter", "down", "enter")
        panel = app.query_one(DetailPanel)
        assert panel.display
        first = results["AAPL"]["candidates"][0]
        assert tree(app).cursor_ref == NodeRef("AAPL", first["contract"])
        text = _plain(panel)
        for figure in (
            first["contract"],
            f"${first['collateral']:,.0f}",
            f"${first['breakeven']:,.2f}",
            f"{first['prob_otm'] * 100:.1f}%",
            f"{first['delta']:.4f}",
            f"{first['annualized_return_pct']:.1f}%",
        ):
            assert figure in text
        await pilot.press("escape")
        assert not panel.display
        assert "AAPL" in tree(app).expanded_symbols
        await pilot.press("r")
        await wait_until(pilot, lambda: tree(app).is_expanded("AAPL"))


def _plain(widget: DetailPanel) -> str:
    from rich.console import Console

    console = Console(width=60, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    app = widget.app
    ref = app.query_one(PutsTree).cursor_ref
    console.print(widget.render_details(ref, app.book.rows[ref.symbol], app.clock()))
    return console.export_text()
