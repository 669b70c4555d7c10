"""The app's views, filter, sort, copy and remembered state, driven with keys and clicks.

The results are tests/snapshots/published.json (a trimmed demo scan), published
through the real store. Expected rows are picked from that document by hand-written
rules, not by the app's own filter or sort.
"""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

from textual import events

import cli_support
from tui_support import SNAPSHOTS, publish, use_watchlist, wait_until
from wheelscan.config import effective_settings
from wheelscan.paths import state_dir
from wheelscan.tui.app import WheelscanApp
from wheelscan.tui.grid import RowsTable
from wheelscan.tui.puts_tree import PutsTree

SIZE = (120, 40)
DOCUMENT: dict[str, Any] = json.loads((SNAPSHOTS / "published.json").read_text())
RESULTS = DOCUMENT["results"]
SYMBOLS = sorted(RESULTS)


def make_app(tmp_path: Path) -> WheelscanApp:
    return WheelscanApp(
        use_watchlist(SYMBOLS), export_dir=tmp_path, check_market=False, idle_poll_s=None
    )


def tickers(app: WheelscanApp) -> list[str]:
    return app.query_one(PutsTree).symbols()


def leaves(app: WheelscanApp) -> dict[str, list[str]]:
    tree = app.query_one(PutsTree)
    return {symbol: tree.contracts(symbol) for symbol in tree.symbols()}


def table(app: WheelscanApp) -> RowsTable:
    return app.query_one("#candidates", RowsTable)


def every_candidate() -> list[tuple[str, dict[str, Any]]]:
    return [(s, c) for s in SYMBOLS for c in RESULTS[s]["candidates"]]


def last_notice(app: WheelscanApp) -> str:
    return list(app._notifications)[-1].message


def drawn(app: WheelscanApp) -> bool:
    """The tree shows every ticker the filter lets through (it draws them in batches)."""
    visible = app.book.visible(app.filter, app.order("puts"))
    wanted = {row.symbol: [c["contract"] for c in row.candidates] for row in visible}
    return tickers(app) == list(wanted) and leaves(app) == wanted


async def started(app: WheelscanApp, pilot: Any) -> None:
    await wait_until(pilot, lambda: len(app.book.rows) == len(SYMBOLS) and drawn(app))


async def test_number_keys_and_v_switch_views_and_each_says_what_it_holds(tmp_path: Path) -> None:
    publish(DOCUMENT)
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.main.view == "puts"
        await pilot.press("2")
        assert app.main.view == "all"
        best_first = sorted(every_candidate(), key=lambda p: -p[1]["annualized_return_pct"])
        assert table(app).keys == [c["contract"] for _, c in best_first]
        assert "Puts" in str(app.query_one("#views").render())
        await pilot.press("3")
        assert app.main.view == "calls"
        await wait_until(
            pilot, lambda: "No shares recorded" in str(app.query_one("#calls-note").render())
        )
        await pilot.press("4")
        plan_note = app.query_one("#plan-note")
        await wait_until(pilot, lambda: "Nothing to do today" in str(plan_note.render()))
        assert "no cash set" in str(plan_note.render())
        await pilot.press("v")
        assert app.main.view == "puts"
        await pilot.click("#views", offset=(12, 0))
        assert app.main.view == "all"


async def test_the_filter_applies_as_it_is_typed_and_esc_clears_it(tmp_path: Path) -> None:
    publish(DOCUMENT)
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("slash", "k")
        await wait_until(pilot, lambda: drawn(app))
        assert tickers(app) == ["KO"]
        await pilot.press("backspace", *"dte<=3 ann>30")
        await wait_until(pilot, lambda: drawn(app))
        wanted = {
            s: [c["contract"] for c in r["candidates"]
                if c["dte"] <= 3 and c["annualized_return_pct"] > 30]
            for s, r in RESULTS.items()
        }  # fmt: skip
        assert leaves(app) == {s: cs for s, cs in wanted.items() if cs}
        assert "filter dte<=3 ann>30" in str(app.query_one("#views").render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: drawn(app))
        assert not app.main.filter_open
        assert leaves(app) == {s: cs for s, cs in wanted.items() if cs}, "enter keeps it"
        await pilot.press("slash", *" badge:n/a")
        await wait_until(pilot, lambda: drawn(app))
        assert tickers(app) == ["SPY"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: drawn(app))
        assert tickers(app) == SYMBOLS
        assert app.filter.text == ""
        for key, character in (("slash", "/"), ("k", "k"), ("o", "o")):  # typed at once
            app.post_message(events.Key(key, character))
        await wait_until(pilot, lambda: app.filter.text == "ko" and drawn(app))
        assert tickers(app) == ["KO"]
        await pilot.press("ctrl+u", *"b/e<300")
        await wait_until(pilot, lambda: drawn(app))
        assert app.filter.text == "b/e<300"
        assert leaves(app) == {
            s: [c["contract"] for c in r["candidates"] if c["breakeven"] < 300]
            for s, r in RESULTS.items()
            if any(c["breakeven"] < 300 for c in r["candidates"])
        }
        await pilot.press("escape")
        await wait_until(pilot, lambda: drawn(app))
        await pilot.press("slash", *"nosuch>1")
        await wait_until(pilot, lambda: drawn(app))
        assert "unknown column 'nosuch'" in str(app.query_one("#views").render())
        assert tickers(app) == SYMBOLS


async def test_o_sorts_the_tree_and_a_heading_click_sorts_the_table(tmp_path: Path) -> None:
    publish(DOCUMENT)
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert tickers(app) == SYMBOLS
        await pilot.press("o")  # by annualized return, best first
        await wait_until(pilot, lambda: drawn(app))
        best = {
            s: max(c["annualized_return_pct"] for c in r["candidates"]) for s, r in RESULTS.items()
        }
        assert tickers(app) == sorted(SYMBOLS, key=lambda s: -best[s])
        ticker = tickers(app)[0]
        returns = [c["annualized_return_pct"] for c in RESULTS[ticker]["candidates"]]
        assert leaves(app)[ticker] == [
            c["contract"] for c in sorted(RESULTS[ticker]["candidates"],
                                          key=lambda c: -c["annualized_return_pct"])
        ] and len(returns) > 1  # fmt: skip
        await pilot.press("O")  # lowest first: each ticker by its lowest candidate
        await wait_until(pilot, lambda: drawn(app))
        lowest = {
            s: min(c["annualized_return_pct"] for c in r["candidates"]) for s, r in RESULTS.items()
        }
        assert tickers(app) == sorted(SYMBOLS, key=lambda s: lowest[s])
        await pilot.press("2")
        header = table(app).header.plain
        strike_at = header.index("strike")
        await pilot.click("#candidates", offset=(strike_at + 2, 0))
        ties = lambda p: (p[0], p[1]["expiration"])  # noqa: E731 - ties: symbol, expiry
        by_strike = sorted(every_candidate(), key=lambda p: (-p[1]["strike"], *ties(p)))
        assert table(app).keys == [c["contract"] for _, c in by_strike]
        await pilot.click("#candidates", offset=(strike_at + 2, 0))
        by_strike = sorted(every_candidate(), key=lambda p: (p[1]["strike"], *ties(p)))
        assert table(app).keys == [c["contract"] for _, c in by_strike]
        assert "strike" in table(app).header.plain and "↑" in table(app).header.plain


async def test_y_copies_the_contract_and_shift_y_its_order_ticket(tmp_path: Path) -> None:
    publish(DOCUMENT)
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("y")
        assert "Highlight a contract" in last_notice(app)  # a ticker row
        await pilot.press("enter", "down", "y")
        first = RESULTS["AAPL"]["candidates"][0]
        assert app.clipboard == first["contract"]
        await pilot.press("Y")
        strike = f"{first['strike']:g}"
        assert app.clipboard == (
            f"SELL \u22121 AAPL {first['expiration']} {strike} P @ {first['bid']:.2f} LMT"
        )
        assert last_notice(app) == app.clipboard
        await pilot.press("2", "down", "y")
        ranked = sorted(every_candidate(), key=lambda p: -p[1]["annualized_return_pct"])
        assert app.clipboard == ranked[1][1]["contract"]


async def test_view_sort_filter_expansion_details_and_theme_outlive_the_app(
    tmp_path: Path,
) -> None:
    publish(DOCUMENT)
    first = make_app(tmp_path)
    async with first.run_test(size=SIZE) as pilot:
        await started(first, pilot)
        await pilot.press("enter", "o", "slash", *"ann>20", "enter", "d")
        saved = state_dir() / "app.json"

        def kept() -> dict[str, Any]:
            return json.loads(saved.read_text()) if saved.exists() else {}

        # kept soon after each change, before any quit (a killed terminal loses nothing)
        await wait_until(pilot, lambda: kept().get("details") is True)
        assert kept()["filter"] == "ann>20" and kept()["expanded"] == ["AAPL"]
        first.theme = "textual-light"
        await pilot.press("2", "O", "q")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    again = make_app(tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await started(again, pilot)
        assert again.main.view == "all"
        assert again.filter.text == "ann>20"
        assert again.theme == "textual-light"
        assert again.main.details.display
        assert again.ui.sort("puts").key == "ann" and again.ui.sort("puts").descending
        assert again.ui.sort("all").key == "ann" and not again.ui.sort("all").descending
        await pilot.press("1")
        assert again.ui.expanded == ("AAPL",)
        tree = again.query_one(PutsTree)
        await wait_until(pilot, lambda: tree.is_expanded("AAPL"))
        assert [s for s in tree.symbols() if tree.is_expanded(s)] == ["AAPL"]


async def test_a_bad_state_file_is_ignored_with_a_warning(tmp_path: Path) -> None:
    publish(DOCUMENT)
    path = state_dir() / "app.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"view": "nowhere", "filter": 3, "sort": {"all": {"key": "x"}}}')
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.main.view == "puts" and app.filter.text == ""
        warning = next(n.message for n in app._notifications if n.title == "App state")
        assert str(path) in warning and "view" in warning and "filter" in warning
    path.write_text("{not json")
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert any("not valid JSON" in n.message for n in app._notifications)


def demo_json(command: str) -> dict[str, Any]:
    """`wheelscan COMMAND --json --source demo`'s document (the app's view must show it)."""
    done = cli_support.wheelscan(command, "--json", "--source", "demo")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_the_calls_view_shows_what_wheelscan_calls_finds(tmp_path: Path) -> None:
    """Shares recorded in the ledger; their answers kept by a scan (no request)."""
    from tui_support import DEMO_CRITERIA
    from wheelscan.config import Settings
    from wheelscan.core.models import ScanKind
    from wheelscan.scan.job import run_scan

    use_watchlist(SYMBOLS)
    settings = Settings(source="demo", criteria=DEMO_CRITERIA)
    await asyncio.to_thread(run_scan, SYMBOLS, settings, kind=ScanKind.WATCHLIST)
    for symbol, price in (("KO", "60"), ("MSFT", "400")):
        added = cli_support.wheelscan("positions", "add-shares", symbol, "200", price)
        assert added.returncode == 0, added.stderr
    expected = demo_json("calls")
    wanted = [c["contract"] for r in expected["results"].values() for c in r["candidates"]]
    assert wanted, "the demo should offer covered calls on these holdings"
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("3")
        calls = app.query_one("#calls-table", RowsTable)
        await wait_until(pilot, lambda: bool(calls.keys))
        assert calls.keys == wanted
        note = str(app.query_one("#calls-note").render())
        assert "KO" in note and "200 sh" in note
        await pilot.press("y")
        assert app.clipboard == wanted[0]


async def test_the_plan_view_lists_what_wheelscan_plan_does_and_copies_tickets(
    tmp_path: Path,
) -> None:
    publish(DOCUMENT)
    config = state_dir().parent / "config.toml"
    use_watchlist(SYMBOLS)
    config.write_text(config.read_text() + "cash = 300000\n")
    expected = demo_json("plan")
    tickets = [action["ticket"] for action in expected["actions"]]
    assert len(tickets) > 1, "with cash, the published puts make new-put actions"
    app = WheelscanApp(
        effective_settings(), export_dir=tmp_path, check_market=False, idle_poll_s=None
    )
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("4")
        plan = app.query_one("#plan-table", RowsTable)
        await wait_until(pilot, lambda: bool(plan.keys))
        assert [action["ticket"] for action in plan.data] == tickets
        assert "cash $300,000" in str(app.query_one("#plan-note").render())
        assert "why: fits free cash" in str(app.query_one("#plan-why").render())
        await pilot.press("down", "y")
        assert app.clipboard == tickets[1]


async def test_the_tree_scrolls_with_its_own_scrollbar_once_it_outgrows_the_window(
    tmp_path: Path,
) -> None:
    publish(DOCUMENT, None)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 16)) as pilot:
        await wait_until(pilot, lambda: tickers(app) == SYMBOLS)
        tree = app.query_one(PutsTree)
        width = tree.scrollable_content_region.width
        assert len(tree.lines) <= tree.scrollable_content_region.height
        assert tree.label_width == width
        for symbol in SYMBOLS:
            tree.expand(symbol)
        await pilot.pause()
        lines = len(SYMBOLS) + sum(len(RESULTS[s]["candidates"]) for s in SYMBOLS)
        assert len(tree.lines) == lines > tree.scrollable_content_region.height
        assert tree.label_width == width - 1  # the bar's cell
        assert not tree.show_vertical_scrollbar  # Textual's bar stays hidden
        await pilot.press("end")
        await wait_until(pilot, lambda: tree.scroll_y == tree.max_scroll_y > 0)
        assert tree.cursor == lines - 1
        assert (
            list(tree.bar_rows(lines, tree.scroll_y))[-1]
            == tree.scrollable_content_region.height - 1
        )
        await pilot.press("home")
        await wait_until(pilot, lambda: tree.scroll_y == 0)
        assert tree.bar_rows(lines, 0).start == 0
        for symbol in SYMBOLS:
            tree.expand(symbol, False)
        await pilot.pause()
        assert tree.label_width == width
