"""Helpers for the app's tests: waiting on the app, reading its screen as text, golden files.

A screen snapshot here is the text a user sees, one string per terminal line,
read from the app's own SVG screenshot (`App.export_screenshot`). Colours and
styles are left out on purpose: the goldens in tests/snapshots/ change when what
the screen says changes, not when a theme does.

Regenerate the goldens after an intended change of the screens with

    WHEELSCAN_UPDATE_SNAPSHOTS=1 python -m pytest -q tests/test_tui_snapshots.py

and read the diff before committing it.
"""

from __future__ import annotations

import difflib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from textual.app import App
from textual.pilot import Pilot

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_ENV = "WHEELSCAN_UPDATE_SNAPSHOTS"
_SVG_TEXT = "{http://www.w3.org/2000/svg}text"


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
