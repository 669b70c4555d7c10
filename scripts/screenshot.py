"""Regenerate docs/screenshot.svg: the terminal app on the demo market, saved by the app itself.

    python scripts/screenshot.py [OUTPUT.svg]

Runs a real demo watchlist scan into a throw-away WHEELSCAN_HOME, opens the app
headless (App.run_test), expands a ticker with a handful of candidates, shows a
contract's details and saves the screen as SVG.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

SIZE = (132, 36)
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.svg"


async def capture(output: Path) -> None:
    from wheelscan.config import Settings
    from wheelscan.core.models import ScanKind
    from wheelscan.scan.job import run_scan
    from wheelscan.tui.app import WheelscanApp
    from wheelscan.tui.puts_tree import NodeRef, PutsTree
    from wheelscan.watchlist import default_symbols

    settings = Settings(source="demo")
    symbols = default_symbols()
    outcome = await asyncio.to_thread(run_scan, symbols, settings, kind=ScanKind.WATCHLIST)
    results = outcome.document["results"]
    small = [s for s in results if 3 <= len(results[s]["candidates"]) <= 8] or list(results)
    best = max(
        small, key=lambda s: max(c["annualized_return_pct"] for c in results[s]["candidates"])
    )
    app = WheelscanApp(settings, idle_poll_s=None, state_file=None)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.query_one(PutsTree)
        while len(tree.symbols()) < len(results):
            await pilot.pause(0.05)
        tree.move_to(NodeRef(best))
        await pilot.press("enter", "down", "down", "enter")
        await pilot.pause(1.0)
        app.save_screenshot(output.name, str(output.parent))


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        os.environ["WHEELSCAN_HOME"] = home
        os.environ.pop("WHEELSCAN_DEMO_LATENCY", None)
        asyncio.run(capture(output))
    print(output)


if __name__ == "__main__":
    main()
