"""The terminal app under App.run_test(): real store, real demo scans, real processes."""

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

from tui_support import DEMO_CRITERIA, SNAPSHOTS, publish, wait_until
from wheelscan.config import Settings
from wheelscan.core.models import ScanKind, ScanState
from wheelscan.scan.job import run_scan
from wheelscan.store import Store
from wheelscan.tui.app import WheelscanApp
from wheelscan.tui.messages import ScanEnded
from wheelscan.tui.widgets import DetailPanel, NodeRef, ResultsTree

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
    return WheelscanApp(
        Settings(source="demo", criteria=DEMO_CRITERIA, concurrency=concurrency),
        symbols=symbols,
        export_dir=tmp_path,
        check_market=False,
        idle_poll_s=None,
    )


def ticker_nodes(app: WheelscanApp) -> dict[str, object]:
    tree = app.query_one(ResultsTree)
    return {node.data.symbol: node for node in tree.root.children}


def notifications(app: WheelscanApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def test_start_shows_the_cached_results(tmp_path: Path) -> None:
    results = await seed_store()
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(ticker_nodes(app)) == len(SEEDED))
        nodes = ticker_nodes(app)
        assert list(nodes) == SEEDED
        for symbol, node in nodes.items():
            candidates = results[symbol]["candidates"]
            label = str(node.label)
            assert label.startswith(symbol)
            assert f"${results[symbol]['underlying_price']:,.2f}" in label
            assert f"{len(candidates)} put" in label
            best = max(c["annualized_return_pct"] for c in candidates)
            assert re.search(rf"best\s+{best:.1f}%", label)
            assert [leaf.data.contract for leaf in node.children] == [
                c["contract"] for c in candidates
            ]
        assert "results: just now" in str(app.query_one("#status").render())


async def test_scan_streams_tickers_into_the_tree_before_it_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHEELSCAN_DEMO_LATENCY", "0.05")
    app = make_app(tmp_path, concurrency=1)
    seen: list[tuple[int, int, int]] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        assert ticker_nodes(app) == {}
        await pilot.press("s")
        assert app.scan.mode == "scanning"
        bar = app.query_one("#scan-bar")
        while app.scan.mode == "scanning":
            seen.append((app.scan.done, len(ticker_nodes(app)), int(bar.progress)))
            await pilot.pause(0.02)
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: len(ticker_nodes(app)) == len(SCANNED))
    partial = [s for s in seen if 0 < s[0] < len(SCANNED)]
    assert partial, "no intermediate state was seen"
    for done, nodes, progress in partial:
        assert nodes == done
        assert progress <= done
    assert len({done for done, _, _ in partial}) >= 3
    assert app.scan.outcome is ScanState.SUCCEEDED
    assert any("Scan succeeded" in text for text in notifications(app))
    assert sorted(Store.for_source("demo").read_results().results) == SCANNED


def watch_scan_end(app: WheelscanApp) -> dict[str, object]:
    """What the tree and the counters show right after the app has handled ScanEnded.

    The reload of the published results starts there and lands later, so this is
    what the streamed events alone put in the tree.
    """
    seen: dict[str, object] = {}

    def record(message: object) -> None:
        if isinstance(message, ScanEnded) and not seen:
            nodes = ticker_nodes(app)
            seen["leaves"] = {
                symbol: [leaf.data.contract for leaf in node.children]
                for symbol, node in nodes.items()
            }
            seen["labels"] = {symbol: str(node.label) for symbol, node in nodes.items()}
            seen["expanded"] = [symbol for symbol, node in nodes.items() if node.is_expanded]
            seen["counts"] = (app.scan.done, app.scan.total)
            seen["queued"] = len(app.pending_events)

    app.message_signal.subscribe(app, record, immediate=True)
    return seen


async def test_a_burst_of_results_is_all_in_the_tree_when_the_scan_ends(tmp_path: Path) -> None:
    """No latency: the results arrive in a burst, queued and applied in batches; the
    scan's end applies what is still queued, so every ticker is there before the reload."""
    await seed_store()
    symbols = [*SCANNED, "DIS", "GOOG", "INTC", "JPM", "META", "TSLA", "WMT", "XOM"]
    app = make_app(tmp_path, symbols=symbols)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(ticker_nodes(app)) == len(SEEDED))
        at_end = watch_scan_end(app)
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(at_end), timeout=30)
        await app.workers.wait_for_complete()
    assert app.scan.outcome is ScanState.SUCCEEDED
    published = Store.for_source("demo").read_results().results
    assert sorted(published) == sorted(symbols)
    assert at_end["leaves"] == {
        symbol: [c["contract"] for c in published[symbol]["candidates"]]
        for symbol in sorted(symbols)
    }
    assert list(at_end["leaves"]) == sorted(symbols)
    for symbol, label in at_end["labels"].items():
        count = len(published[symbol]["candidates"])
        assert re.search(rf"^{symbol}\s+\$[\d,.]+\s+{count} puts?", label), label
        assert "scanning" not in label
    assert at_end["counts"] == (len(symbols), len(symbols))
    assert at_end["queued"] == 0


async def test_streamed_results_keep_the_filter_and_the_expanded_tickers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_store()
    monkeypatch.setenv("WHEELSCAN_DEMO_LATENCY", "0.02")
    with_a = [symbol for symbol in SCANNED if "A" in symbol]
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(ticker_nodes(app)) == len(SEEDED))
        await pilot.press("slash", "a", "enter")
        assert list(ticker_nodes(app)) == ["AAPL"]
        ticker_nodes(app)["AAPL"].expand()
        await wait_until(pilot, lambda: "AAPL" in app.query_one(ResultsTree).expanded_symbols)
        at_end = watch_scan_end(app)
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(at_end), timeout=30)
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: list(ticker_nodes(app)) == with_a)
        assert ticker_nodes(app)["AAPL"].is_expanded
    assert app.scan.outcome is ScanState.SUCCEEDED
    published = Store.for_source("demo").read_results().results
    assert list(at_end["leaves"]) == with_a
    assert at_end["leaves"]["AMZN"] == [c["contract"] for c in published["AMZN"]["candidates"]]
    assert at_end["expanded"] == ["AAPL"]


async def test_cancel_mid_scan_keeps_the_previous_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous results are published without a scan, so none of their answers is
    cached and their tickers take requests (and show "scanning…") like the others."""
    document = json.loads((SNAPSHOTS / "published.json").read_text())
    seeded, previous = document["results"], sorted(document["results"])
    publish(document)
    monkeypatch.setenv("WHEELSCAN_DEMO_LATENCY", "0.1")
    app = make_app(tmp_path, concurrency=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: list(ticker_nodes(app)) == previous)
        await pilot.press("s")
        await wait_until(pilot, lambda: "scanning…" in str(ticker_nodes(app)["MSFT"].label))
        await wait_until(pilot, lambda: app.scan.done >= 2)
        await pilot.press("c")
        await wait_until(pilot, lambda: app.scan.mode == "idle")
        assert not any("scanning" in str(node.label) for node in ticker_nodes(app).values())
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: list(ticker_nodes(app)) == previous)
        assert app.scan.outcome is ScanState.CANCELLED
        assert any("cancelled" in text for text in notifications(app))
    store = Store.for_source("demo")
    assert store.lock_holder() is None
    assert store.read_results().results == seeded


async def test_a_scan_in_another_process_is_watched_then_reloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_store()
    env = {**os.environ, "WHEELSCAN_DEMO_LATENCY": "0.25"}
    command = [sys.executable, "-m", "wheelscan", "refresh", "--source", "demo"]
    app = make_app(tmp_path)
    app.idle_poll_s = 0.2
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(ticker_nodes(app)) == len(SEEDED))
        other = subprocess.Popen(command, env=env)
        try:
            await wait_until(pilot, lambda: app.scan.mode == "watching", timeout=30)
            await pilot.press("s")
            assert app.scan.mode == "watching"
            await wait_until(
                pilot, lambda: app.scan.done > 0 or app.scan.mode == "idle", timeout=30
            )
            partial_nodes = len(ticker_nodes(app))
            await wait_until(pilot, lambda: app.scan.mode == "idle", timeout=60)
            assert other.wait(timeout=30) == 0
        finally:
            other.kill()
        published = Store.for_source("demo").read_results().results
        await wait_until(pilot, lambda: list(ticker_nodes(app)) == sorted(published))
        assert len(published) > len(SEEDED)
        assert partial_nodes >= len(SEEDED)
        assert any("Scan succeeded" in text for text in notifications(app)), notifications(app)


HOLD_THE_LOCK = """
import sys, time
from wheelscan.store import Store
store = Store.for_source("demo")
handle = store.acquire_lock("held-elsewhere", "watchlist", source="demo")
print("locked" if handle else "busy", flush=True)
sys.stdin.readline()
store.release_lock(handle)
"""


async def test_scan_key_watches_when_another_process_holds_the_lock(tmp_path: Path) -> None:
    await seed_store()
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(ticker_nodes(app)) == len(SEEDED))
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
            await wait_until(pilot, lambda: app.scan.mode == "watching")
            assert f"pid {holder.pid}" in app.scan.title
            await pilot.pause(0.3)
            assert app.scan.mode == "watching"
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.wait(timeout=10) == 0
        finally:
            holder.kill()
        await wait_until(pilot, lambda: app.scan.mode == "idle")
        assert list(ticker_nodes(app)) == SEEDED
        await pilot.press("s")
        await wait_until(pilot, lambda: app.scan.mode == "idle" and app.scan.outcome is not None)
        assert app.scan.outcome is ScanState.SUCCEEDED
        await app.workers.wait_for_complete()


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
            await wait_until(
                pilot, lambda: len(ticker_nodes(app)) > 0 and app.scan.mode == "watching"
            )
            await wait_until(pilot, lambda: app.scan.mode == "idle", timeout=60)
            assert other.wait(timeout=30) == 0
            published = Store.for_source("demo").read_results().results
            await wait_until(pilot, lambda: list(ticker_nodes(app)) == sorted(published))
    finally:
        other.kill()


async def test_filter_by_ticker_and_by_minimum_return(tmp_path: Path) -> None:
    results = await seed_store()
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(ticker_nodes(app)) == len(SEEDED))
        await pilot.press("slash", "k", "enter")
        assert list(ticker_nodes(app)) == ["KO"]
        await pilot.press("slash", "ctrl+u", *"60", "enter")
        expected = {
            symbol: [c["contract"] for c in r["candidates"] if c["annualized_return_pct"] >= 60]
            for symbol, r in results.items()
        }
        expected = {s: contracts for s, contracts in expected.items() if contracts}
        shown = {
            s: [leaf.data.contract for leaf in n.children] for s, n in ticker_nodes(app).items()
        }
        assert shown == expected
        assert "annualized ≥ 60%" in str(app.query_one("#status").render())
        await pilot.press("slash", "ctrl+u", "enter")
        assert list(ticker_nodes(app)) == SEEDED
        await pilot.press("slash", "k", "escape")
        assert not app.query_one("#filter").display
        assert list(ticker_nodes(app)) == SEEDED, "escape leaves the filter as it was"


async def test_export_writes_the_visible_results(tmp_path: Path) -> None:
    results = await seed_store()
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(ticker_nodes(app)) == len(SEEDED))
        await pilot.press("slash", *"ms", "enter")
        await pilot.press("e", "j")
        await wait_until(pilot, lambda: any("Exported to" in t for t in notifications(app)))
        await pilot.press("slash", "ctrl+u", "enter")
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
    assert float(rows[0]["breakeven"]) == pytest.approx(first["breakeven"])
    assert any(str(tmp_path) in text for text in notifications(app))


async def test_details_show_every_figure_of_the_highlighted_contract(tmp_path: Path) -> None:
    results = await seed_store()
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(ticker_nodes(app)) == len(SEEDED))
        await pilot.press("enter", "down", "enter")
        panel = app.query_one(DetailPanel)
        assert panel.display
        tree = app.query_one(ResultsTree)
        first = results["AAPL"]["candidates"][0]
        assert tree.cursor_node.data == NodeRef("AAPL", first["contract"])
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
        assert "AAPL" in tree.expanded_symbols
        await pilot.press("r")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        assert ticker_nodes(app)["AAPL"].is_expanded


def _plain(widget: DetailPanel) -> str:
    from rich.console import Console

    console = Console(width=60, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(widget.render_details(*widget_state(widget), app_now(widget)))
    return console.export_text()


def app_now(widget: DetailPanel) -> object:
    return widget.app.clock()


def widget_state(widget: DetailPanel) -> tuple[NodeRef, object]:
    app = widget.app
    ref = app.query_one(ResultsTree).cursor_node.data
    return ref, app.book.rows[ref.symbol]
