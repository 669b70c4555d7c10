"""The scan lock between real processes: one winner, SIGKILL recovery, `--wait`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from wheelscan.store import Store


def start(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wheelscan", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def wait_for_lock(store: Store, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if store.lock_holder() is not None:
            return
        time.sleep(0.05)
    raise AssertionError("no scan took the lock")


def test_of_eight_refreshes_started_at_once_exactly_one_scans(wheelscan_home: Path) -> None:
    # Long enough (~6 s) that every process starts while the winner still scans, even on a busy box.
    env = {"WHEELSCAN_DEMO_LATENCY": "0.5"}
    processes = [start("refresh", "--source", "demo", env=env) for _ in range(8)]
    finished = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    codes = sorted(code for code, _, _ in finished)
    assert codes == [0] + [75] * 7, finished
    for code, out, err in finished:
        assert out == ""
        if code == 0:
            assert err == "", "refresh is silent on success"
        else:
            assert "another scan holds the lock" in err and len(err.splitlines()) == 1
    history, _ = Store(wheelscan_home / "cache").read_history()
    assert len(history) == 1 and history[0]["state"] == "SUCCEEDED"
    log = (wheelscan_home / "logs" / "wheelscan.log").read_text()
    assert "crumb" not in log.lower() and "cookie" not in log.lower()


def test_a_killed_scans_lock_is_stale_then_expires(wheelscan_home: Path) -> None:
    # The TTL must outlast the start-up of `status` and of the blocked refresh on a busy box.
    env = {"WHEELSCAN_DEMO_LATENCY": "0.3", "WHEELSCAN_LOCK_TTL": "8"}
    store = Store(wheelscan_home / "cache")
    victim = start("refresh", "--source", "demo", env=env)
    wait_for_lock(store)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    status = subprocess.run(
        [sys.executable, "-m", "wheelscan", "status", "--json"],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env},
    )  # fmt: skip
    report = json.loads(status.stdout)
    assert report["lock"]["stale"] is True
    assert str(victim.pid) in report["lock"]["stale_reason"]
    blocked = start("refresh", "--source", "demo", env={**env, "WHEELSCAN_DEMO_LATENCY": "0"})
    assert blocked.wait(timeout=60) == 75
    holder = store.lock_holder()
    assert holder is not None
    time.sleep(holder.expires_in_s + 0.2)
    after = start("refresh", "--source", "demo", env={**env, "WHEELSCAN_DEMO_LATENCY": "0"})
    assert after.wait(timeout=60) == 0, after.communicate()
    assert store.read_results().results


def test_scan_wait_prints_the_running_scans_outcome(wheelscan_home: Path) -> None:
    env = {"WHEELSCAN_DEMO_LATENCY": "0.1"}
    # The running scan lasts ~7 s so the waiter starts while it runs, even on a busy box.
    runner = start("refresh", "--source", "demo", env={"WHEELSCAN_DEMO_LATENCY": "0.6"})
    wait_for_lock(Store(wheelscan_home / "cache"))
    waiter = start("scan", "--source", "demo", "--json", "--wait", env=env)
    out, err = waiter.communicate(timeout=120)
    assert runner.wait(timeout=120) == 0
    assert waiter.returncode == 0, err
    document = json.loads(out)
    history, _ = Store(wheelscan_home / "cache").read_history()
    assert len(history) == 1, "the waiter ran no scan of its own"
    assert document["scan"]["id"] == history[0]["id"]
    assert document["scan"]["state"] == "SUCCEEDED" and document["results"]
