"""Screen snapshots of the app: main screen, a scan in progress, details, export at 100×30;
the main screen, all candidates with details below, and the help at 80×24.

Everything on screen is fixed: the published results come from
tests/snapshots/published.json, written through the real store at a fixed time;
the app tells time by the same fixed clock, local time is UTC, the market check
is off and the criteria are spelled out. The scan in progress is another
process's (a child holding the scan lock and a progress record), the way the app
follows every scan it does not run itself. See tests/tui_support.py for how to
regenerate the goldens.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui_support import (
    SNAPSHOTS,
    assert_matches_golden,
    publish,
    settled_screen,
    use_watchlist,
    wait_until,
)
from wheelscan.tui.app import WheelscanApp
from wheelscan.tui.help import HelpScreen
from wheelscan.tui.puts_tree import PutsTree
from wheelscan.tui.widgets import DetailPanel, ExportDialog

SIZE = (100, 30)
NOW = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
PUBLISHED_AT = NOW - timedelta(minutes=5)
DOCUMENT: dict[str, Any] = json.loads((SNAPSHOTS / "published.json").read_text())
SYMBOLS = sorted(DOCUMENT["results"])


pytestmark = pytest.mark.usefixtures("utc_local_time")


def make_app(tmp_path: Path) -> WheelscanApp:
    return WheelscanApp(
        use_watchlist(SYMBOLS),
        export_dir=tmp_path,
        check_market=False,
        idle_poll_s=None,
        clock=lambda: NOW,
    )


def tickers_shown(app: WheelscanApp) -> list[str]:
    return app.query_one(PutsTree).symbols()


async def published_screen(
    tmp_path: Path,
    size: tuple[int, int],
    keys: tuple[str, ...] = (),
    shown: Callable[[WheelscanApp], bool] | None = None,
    then: tuple[str, ...] = (),
) -> list[str]:
    """The screen once the app shows the published DOCUMENT at `size` and `keys` were
    pressed, when `shown` holds; `then` is pressed after the capture, before leaving."""
    publish(DOCUMENT, PUBLISHED_AT)
    app = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: tickers_shown(app) == SYMBOLS)
        if keys:
            await pilot.press(*keys)
        if shown is not None:
            await wait_until(pilot, lambda: shown(app))
        lines = await settled_screen(pilot, app)
        if then:
            await pilot.press(*then)
    return lines


async def test_main_screen(tmp_path: Path) -> None:
    assert_matches_golden("main", await published_screen(tmp_path, SIZE))


async def test_details_of_a_contract(tmp_path: Path) -> None:
    lines = await published_screen(
        tmp_path, SIZE, ("enter", "down", "enter"), lambda app: app.query_one(DetailPanel).display
    )
    assert_matches_golden("details", lines)


async def test_export_dialog(tmp_path: Path) -> None:
    lines = await published_screen(
        tmp_path,
        SIZE,
        ("slash", "k", "enter", "e"),
        lambda app: isinstance(app.screen, ExportDialog),
        then=("escape",),
    )
    assert_matches_golden("export", lines)


HOLD_A_SCAN = """
import json, sys
from wheelscan.store import ProgressHeader, ProgressRow, Store
store = Store.for_source("demo", clock=lambda: float(sys.argv[1]))
handle = store.acquire_lock("watched-scan", "watchlist", source="demo")
record = json.loads(sys.stdin.readline())
rows = [ProgressRow(**row) for row in record.pop("rows")]
assert handle is not None and store.append_progress(handle, ProgressHeader(**record), rows)
print("scanning", flush=True)
sys.stdin.readline()
store.release_lock(handle)
"""


def progress_record() -> dict[str, Any]:
    """Three of the four tickers done: two with results, one failed; SPY in flight."""
    results = {s: DOCUMENT["results"][s] for s in ("AAPL", "KO")}
    return {
        "scan_id": "watched-scan",
        "kind": "watchlist",
        "source": "demo",
        "state": "RUNNING",
        "done": 3,
        "total": 4,
        "current": "SPY",
        "candidates": sum(len(r["candidates"]) for r in results.values()),
        "errors": 1,
        "started": (NOW - timedelta(seconds=42)).isoformat(),
        "updated": NOW.isoformat(),
        "rows": [
            *({"symbol": s, "result": r} for s, r in results.items()),
            {"symbol": "MSFT", "error": "HTTP 429"},
        ],
    }


def without_process(lines: list[str]) -> list[str]:
    """The holder's pid and host name change from run to run."""
    return [re.sub(r"pid \d+ on \S+", "pid PID on HOST", line) for line in lines]


async def test_a_scan_in_progress(tmp_path: Path) -> None:
    publish(DOCUMENT, PUBLISHED_AT)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_SCAN, str(NOW.timestamp())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        holder.stdin.write(json.dumps(progress_record()) + "\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "scanning"
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.scan.mode == "watching" and app.scan.done == 3)
            await wait_until(pilot, lambda: app.book.rows["MSFT"].error is not None)
            lines = await settled_screen(pilot, app)
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
    assert_matches_golden("scanning", without_process(lines))


NARROW = (80, 24)


async def test_main_screen_at_80_columns(tmp_path: Path) -> None:
    assert_matches_golden("main-80x24", await published_screen(tmp_path, NARROW, ("enter",)))


async def test_all_candidates_with_details_below_at_80_columns(tmp_path: Path) -> None:
    lines = await published_screen(
        tmp_path, NARROW, ("2", "enter"), lambda app: app.query_one(DetailPanel).display
    )
    assert_matches_golden("all-80x24", lines)


async def test_help_at_80_columns(tmp_path: Path) -> None:
    lines = await published_screen(
        tmp_path, NARROW, ("question_mark",), lambda app: isinstance(app.screen, HelpScreen)
    )
    assert_matches_golden("help-80x24", lines)
