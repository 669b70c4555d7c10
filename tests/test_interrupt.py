"""Ctrl-C during `scan` and `refresh` (SPEC 7): one line, exit 130, lock released,
previous results kept, no asyncio traceback, and no wait for the hung requests.

Real processes on real files: the scan's demo requests hang (a huge
`WHEELSCAN_DEMO_LATENCY`) until the test interrupts it; every wait is a deadline.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from cli_support import start, until
from wheelscan.store import Store

HANGING = {"WHEELSCAN_DEMO_LATENCY": "3600"}


def scanning(store: Store) -> bool:
    """The scan holds the lock and has written its first progress record."""
    status = store.read_status()
    return status.lock is not None and status.progress is not None and status.progress.done == 0


@pytest.mark.parametrize("command", [["scan"], ["refresh"]])
def test_ctrl_c_cancels_with_one_line_and_exit_130_keeping_the_results(
    refreshed_home: Path, command: list[str]
) -> None:
    store = Store.for_source("demo", refreshed_home / "cache")
    before = store.read_results()
    assert before.results and before.scan is not None

    # --fresh: the published scan's answers are in the answer cache and would be used.
    process = start(*command, "--source", "demo", "--fresh", env=HANGING)
    try:
        until(lambda: scanning(store) or process.poll() is not None, "the scan runs")
        assert process.poll() is None, process.communicate(timeout=60)[1]
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
