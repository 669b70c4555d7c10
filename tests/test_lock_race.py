"""The scan lock between real processes: one winner, SIGKILL recovery, `--wait`.

Nothing here depends on how fast the machine is: a scan that must still be running
while other processes try the lock has demo requests that hang (a huge
`WHEELSCAN_DEMO_LATENCY`) until the test ends it, and every wait is a deadline.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cli_support import start, until, wheelscan
from wheelscan.store import Store

HANGING = {"WHEELSCAN_DEMO_LATENCY": "3600"}


@contextmanager
def killed_at_exit(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """A process whose requests hang: SIGKILL it whatever happens (its threads never end)."""
    try:
        yield process
    finally:
        process.kill()
        process.communicate(timeout=60)


def test_of_eight_refreshes_started_at_once_exactly_one_takes_the_lock(
    wheelscan_home: Path,
) -> None:
    store = Store.for_source("demo", wheelscan_home / "cache")
    processes = [start("refresh", "--source", "demo", env=HANGING) for _ in range(8)]
    try:
        until(lambda: sum(p.poll() is not None for p in processes) == 7, "seven refreshes end")
        (winner,) = [p for p in processes if p.poll() is None]
        holder = store.lock_holder()
        assert holder is not None and holder.pid == winner.pid
        live = Store.for_source("yahoo", wheelscan_home / "cache")
        assert live.lock_holder() is None, "a demo scan never blocks a live one"
        losers = [(p.returncode, *p.communicate(timeout=60)) for p in processes if p is not winner]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=60)
    for code, out, err in losers:
        assert code == 75, err
        assert out == ""
        assert "another scan holds the lock" in err and len(err.splitlines()) == 1
    history, _ = store.read_history()
    assert history == [], "no refresh that was refused recorded a scan"
    log = (wheelscan_home / "logs" / "wheelscan.log").read_text()
    assert log.count("another scan holds the lock") == 7
    assert "crumb" not in log.lower() and "cookie" not in log.lower()


def test_a_killed_scans_lock_is_taken_over_at_once(wheelscan_home: Path) -> None:
    store = Store.for_source("demo", wheelscan_home / "cache")
    victim = start("refresh", "--source", "demo", env=HANGING)
    until(
        lambda: store.lock_holder() is not None and store.read_status().header is not None,
        "the refresh takes the lock and writes its first progress",
    )
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=60)
    report = json.loads(wheelscan("status", "--source", "demo", "--json").stdout)
    assert report["lock"] is None, "a provably dead owner holds nothing"
    assert report["interrupted"] is True and report["progress"]["state"] == "RUNNING"
    after = wheelscan("refresh", "--source", "demo")
    assert after.returncode == 0, after.stderr
    assert store.read_results().results
    history, _ = store.read_history()
    assert [h["state"] for h in history] == ["SUCCEEDED"], "the killed scan recorded nothing"


def test_scan_wait_prints_the_running_scans_outcome(wheelscan_home: Path) -> None:
    store = Store.for_source("demo", wheelscan_home / "cache")
    with killed_at_exit(start("refresh", "--source", "demo", env=HANGING)) as runner:
        until(lambda: store.lock_holder() is not None, "the refresh takes the lock")
        waiter = start("scan", "--source", "demo", "--json", "--wait")
        assert waiter.stderr is not None
        notice = waiter.stderr.readline()
        assert "waiting for it to finish" in notice, notice
        runner.send_signal(signal.SIGTERM)  # the running scan ends, cancelled
        out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 1, err
    document = json.loads(out)
    history, _ = store.read_history()
    assert len(history) == 1, "the waiter ran no scan of its own"
    assert document["scan"]["id"] == history[0]["id"]
    assert document["scan"]["kind"] == "watchlist" and document["scan"]["state"] == "CANCELLED"
    assert "Scan cancelled" in err
