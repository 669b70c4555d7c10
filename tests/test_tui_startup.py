"""What `wheelscan tui --help` and the app's start-up load: no yfinance (about 1.6 s to import).

Each probe runs in a fresh interpreter and reports the heavy modules it found
in `sys.modules`; the app's probe starts the app the way `wheelscan tui` does
(headless), waits for its first frame to be painted, then quits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("yfinance", "curl_cffi", "textual")

HELP_PROBE = f"""
import json, sys
sys.argv = ["wheelscan", "tui", "--help"]
from wheelscan.cli.main import run
try:
    run()
except SystemExit as end:
    code = end.code
print(json.dumps({{"code": code, "loaded": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
"""

APP_PROBE = f"""
import json, sys
from wheelscan.cli.main import build_app

app = build_app("demo")
seen = {{}}

async def at_first_frame(pilot):
    await pilot.pause()
    seen["loaded"] = sorted(m for m in {HEAVY!r} if m in sys.modules)
    app.exit()

app.run(headless=True, auto_pilot=at_first_frame)
seen["return_code"] = app.return_code
print(json.dumps(seen))
"""


def probe(script: str, home: Path) -> dict[str, object]:
    env = {**os.environ, "WHEELSCAN_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tui_help_loads_neither_yfinance_nor_textual(wheelscan_home: Path) -> None:
    report = probe(HELP_PROBE, wheelscan_home)
    assert report == {"code": 0, "loaded": []}


def test_the_app_paints_its_first_frame_without_yfinance(wheelscan_home: Path) -> None:
    report = probe(APP_PROBE, wheelscan_home)
    assert report["loaded"] == ["textual"]
    assert report["return_code"] == 0
