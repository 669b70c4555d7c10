"""Helpers for the app's tests: criteria, waiting on the app, its screen as text, goldens.

A screen snapshot here is the text a user sees, one string per terminal line,
read from the app's own SVG screenshot (`App.export_screenshot`). Colours and
styles are left out on purpose: the goldens in tests/snapshots/ change when what
the screen says changes, not when a theme does.

Regenerate the goldens after an intended change of the screens with

    WHEELSCAN_UPDATE_SNAPSHOTS=1 python -m pytest -q tests/test_tui_snapshots.py

and read the diff before committing it.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from textual.app import App
from textual.pilot import Pilot

from wheelscan.config import Settings, effective_settings
from wheelscan.core.models import Criteria
from wheelscan.paths import config_dir
from wheelscan.store import Store
from wheelscan.watchlist import watchlist_path

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_ENV = "WHEELSCAN_UPDATE_SNAPSHOTS"
_SVG_TEXT = "{http://www.w3.org/2000/svg}text"

# Criteria the tests scan the demo market with, spelled out so that the app's
# tests follow neither the default criteria nor how demanding they are.
DEMO_CRITERIA = Criteria(
    min_dte=1,
    max_dte=28,
    min_return_pct=10.0,
    max_delta=0.3,
    min_open_interest=0,
    max_spread_pct=math.inf,
    risk_free_rate_pct=4.0,
)


def use_watchlist(
    symbols: list[str], criteria: Criteria = DEMO_CRITERIA, concurrency: int = 8
) -> Settings:
    """Write config.toml (`criteria`, demo source) and watchlist.toml (`symbols`) in
    $WHEELSCAN_HOME, as a user would: the app's scan process reads them. Returns the
    settings the app then runs with (config.toml's, as `wheelscan tui` has them)."""
    lines = ['source = "demo"', f"concurrency = {concurrency}"]
    for name, value in dataclasses.asdict(criteria).items():
        if isinstance(value, str):
            lines.append(f"{name} = {json.dumps(value)}")
        elif isinstance(value, float) and math.isinf(value):
            lines.append(f"{name} = inf")
        else:
            lines.append(f"{name} = {value}")
    home = config_dir()
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    tickers = "".join(f"[tickers.{symbol}]\n" for symbol in symbols)
    watchlist_path().write_text(tickers, encoding="utf-8")
    return effective_settings()


def publish(document: dict[str, Any], at: datetime | None = None) -> None:
    """Publish `document` in the demo namespace as a watchlist scan would, through the
    store, at time `at` (default now), without scanning (so no answer is cached)."""
    store = Store.for_source("demo", clock=at.timestamp) if at else Store.for_source("demo")
    handle = store.acquire_lock("published-by-a-test", "watchlist", source="demo")
    assert handle is not None
    assert store.publish(handle, document, "Scan completed (published by a test)")
    assert store.release_lock(handle)
    store.close()


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 15) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def screen_lines(svg: str, width: int, height: int) -> list[str]:
    """The text of an exported SVG screenshot, one string per terminal line.

    Each text run carries its line (clip-path `…-line-N`) and its x; dividing x by
    the cell width (textLength / characters of the run) gives its column.
    """
    lines = [[" "] * width for _ in range(height)]
    for element in ElementTree.fromstring(svg).iter(_SVG_TEXT):
        line = re.search(r"-line-(\d+)\)", element.get("clip-path", ""))
        text = "".join(element.itertext()).replace("\xa0", " ")
        if line is None or not text:
            continue
        cell = float(element.get("textLength", 0)) / len(text)
        column = round(float(element.get("x", 0)) / cell) if cell else 0
        row = lines[int(line.group(1))]
        row[column : column + len(text)] = list(text)
    return ["".join(row)[:width] for row in lines]


async def settled_screen(
    pilot: Pilot, app: App[object], steady: int = 3, timeout: float = 15
) -> list[str]:
    """The screen's text once it stops changing: the same on `steady` captures in a row
    (a scrollbar appears a repaint after the text that needs it), toasts cleared (their
    text holds paths and process ids, and they time out on their own)."""
    app.clear_notifications()
    width, height = app.size
    deadline = time.monotonic() + timeout
    captures: list[list[str]] = []
    while len(captures) < steady or any(c != captures[-1] for c in captures[-steady:]):
        if time.monotonic() > deadline:
            raise AssertionError("the screen kept changing")
        await pilot.pause(0.05)
        captures.append(screen_lines(app.export_screenshot(), width, height))
    return captures[-1]


def assert_matches_golden(name: str, lines: list[str]) -> None:
    """Compare with tests/snapshots/NAME.txt (trailing spaces dropped); with
    $WHEELSCAN_UPDATE_SNAPSHOTS set, write the golden instead."""
    text = "\n".join(line.rstrip() for line in lines) + "\n"
    golden = SNAPSHOTS / f"{name}.txt"
    if os.environ.get(UPDATE_ENV):
        golden.write_text(text, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8") if golden.exists() else ""
    if text != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(), text.splitlines(), "golden", "screen", lineterm=""
            )
        )
        raise AssertionError(
            f"the {name!r} screen differs from {golden.name} "
            f"(regenerate with {UPDATE_ENV}=1 if the change is intended):\n{diff}"
        )
