"""Ctrl-C during `scan` and `refresh` (SPEC 7): one line, exit 130, lock released,
previous results kept, no asyncio traceback, and no wait for the hung requests.

Real processes on real files: the scan's demo requests hang (a huge
`WHEELSCAN_DEMO_LATENCY`) until the test interrupts it; every wait is a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from wheelscan.store import Store

HANGING = {"WHEELSCAN_DEMO_LATENCY": "3600"}


def wheelscan(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wheelscan", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def until(condition: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def scanning(store: Store) -> bool:
    """The scan holds the lock and has written its first progress record."""
    status = store.read_status()
    return status.lock is not None and status.progress is not None and status.progress.done == 0


@pytest.mark.parametrize("command", [["scan"], ["refresh"]])
def test_ctrl_c_cancels_with_one_line_and_exit_130_keeping_the_results(
    wheelscan_home: Path, command: list[str]
) -> None:
    store = Store.for_source("demo", wheelscan_home / "cache")
    published = wheelscan("refresh", "--source", "demo")
    assert published.communicate(timeout=300)[1] == "" and published.returncode == 0
    before = store.read_results()
    assert before.results and before.scan is not None

    # --fresh: the published scan's answers are in the answer cache and would be used.
    process = wheelscan(*command, "--source", "demo", "--fresh", env=HANGING)
    try:
        until(lambda: scanning(store), "the scan runs")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=60)

    assert process.returncode == 130, err
    assert err.splitlines() == ["wheelscan: interrupted"]
    assert out == ""
    assert store.lock_holder() is None, "the lock was released"
    after = store.read_results()
    assert after.results == before.results and after.scan == before.scan
    history, _ = store.read_history()
    assert [entry["state"] for entry in history[:2]] == ["CANCELLED", "SUCCEEDED"]
    progress, _ = store.read_progress()
    assert progress is not None and progress.state == "CANCELLED"
