"""A trader's day through the console entry (issue 13, "Done when").

Each test runs `wheelscan` commands on real files under the test's WHEELSCAN_HOME
(in this process, tests/cli_support.py; the refresh that is killed is a real
process): a demo refresh never reads as live data, yesterday's live
results two hours on show as stale with their age, and a refresh killed with
SIGKILL lets the next refresh scan at once. Old results are published through
the Store API on a clock set back, never waited for; a scan that must be running
while the test acts has demo requests that hang (`WHEELSCAN_DEMO_LATENCY`), and
every wait is a deadline polled in a loop.
"""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli_support import start, until, wheelscan
from wheelscan.core.models import Criteria, ScanKind, ScanState
from wheelscan.core.scan_record import scan_object
from wheelscan.store import Store

if TYPE_CHECKING:
    from conftest import FakeClock

TWO_HOURS_S = 2 * 3600
DEADLINE_S = 120
"""How long a child process gets before the test calls it hung."""


def results_json(*source: str) -> dict[str, Any]:
    done = wheelscan("results", "--json", *source)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return json.loads(done.stdout)


def active_watchlist() -> set[str]:
    """The symbols a watchlist scan covers."""
    done = wheelscan("watchlist", "list", "--json")
    assert done.returncode == 0, done.stderr
    return {t["symbol"] for t in json.loads(done.stdout)["tickers"] if t["active"]}


def publish_live_results(home: Path, clock: FakeClock) -> dict[str, Any]:
    """A live watchlist scan of KO published in the `yahoo` namespace at `clock`'s time."""
    store = Store.for_source("yahoo", home / "cache", clock=clock)
    finished = datetime.fromtimestamp(clock(), UTC)
    scan = scan_object(
        scan_id="live-yesterday", kind=ScanKind.WATCHLIST, state=ScanState.SUCCEEDED,
        started_at=finished, finished_at=finished, source="yahoo", criteria=Criteria(),
        tickers_scanned=1, requests=3, source_namespace=store.namespace, market_open=True,
    )  # fmt: skip
    results = {"KO": {"underlying_price": 61.5, "as_of": finished.isoformat(), "candidates": [],
                      "rejected": {"bid below min_bid": 4}}}  # fmt: skip
    handle = store.acquire_lock(scan["id"], str(ScanKind.WATCHLIST), source="yahoo")
    assert handle is not None
    assert store.publish(handle, {"scan": scan, "results": results}, "Scan completed")
    assert store.release_lock(handle)
    store.close()
    return results


def test_a_demo_refresh_never_shows_as_live_results(refreshed_home: Path) -> None:
    demo = results_json("--source", "demo")
    assert set(demo["results"]) == active_watchlist(), "the demo refresh published"
    assert demo["scan"]["source"] == "demo" and demo["scan"]["source_namespace"] == "demo"

    live = results_json()
    assert live["scan"] is None and live["results"] == {} and live["age_s"] is None
    text = wheelscan("results")
    assert text.returncode == 0 and text.stderr == "", text.stderr
    assert text.stdout.startswith("No results yet from yahoo"), text.stdout
    assert not any(symbol in text.stdout.split() for symbol in demo["results"])
    status = json.loads(wheelscan("status", "--json").stdout)
    assert status["progress"] is None and status["last_run"] is None and status["lock"] is None


def test_live_results_two_hours_old_show_as_stale_with_their_age(
    wheelscan_home: Path, fake_clock: FakeClock
) -> None:
    fake_clock.advance(-TWO_HOURS_S)
    published = publish_live_results(wheelscan_home, fake_clock)
    refreshed = wheelscan("refresh", "--source", "demo")  # the evening: a demo play
    assert refreshed.returncode == 0, refreshed.stderr

    live = results_json()
    assert live["results"] == published and live["scan"]["id"] == "live-yesterday"
    assert live["stale"] is True and live["ttl_minutes"] == 45
    assert TWO_HOURS_S <= live["age_s"] < TWO_HOURS_S + DEADLINE_S * 3
    text = wheelscan("results")
    assert text.returncode == 0, text.stderr
    head = text.stdout.splitlines()[0]
    assert "live-yesterday (yahoo)" in head and "2.0 h ago" in head, head
    assert "STALE (older than 45 min)" in head, head
    assert results_json("--source", "demo")["stale"] is False, "the demo's own scan is fresh"

    configured = wheelscan("config", "set", "results_ttl_minutes", "180")
    assert configured.returncode == 0, configured.stderr
    honoured = results_json()
    assert honoured["stale"] is False and honoured["ttl_minutes"] == 180
    assert "fresh" in wheelscan("results").stdout.splitlines()[0]


def test_a_refresh_killed_with_sigkill_lets_the_next_refresh_scan_at_once(
    wheelscan_home: Path, fake_clock: FakeClock
) -> None:
    live = publish_live_results(wheelscan_home, fake_clock)
    store = Store.for_source("demo", wheelscan_home / "cache")
    hanging = start("refresh", "--source", "demo", env={"WHEELSCAN_DEMO_LATENCY": "3600"})
    try:
        until(lambda: store.lock_holder() is not None or hanging.poll() is not None, "a lock")
        holder = store.lock_holder()
        assert holder is not None and holder.pid == hanging.pid, "the refresh took the lock"
    finally:
        hanging.send_signal(signal.SIGKILL)
        hanging.communicate(timeout=DEADLINE_S)
    assert hanging.returncode == -signal.SIGKILL

    again = wheelscan("refresh", "--source", "demo")
    assert again.returncode == 0, f"exit {again.returncode}: {again.stderr}"
    assert again.stdout == "" and again.stderr == ""
    demo = results_json("--source", "demo")
    assert demo["scan"]["state"] == "SUCCEEDED" and demo["scan"]["id"] != holder.scan_id
    assert set(demo["results"]) == active_watchlist()
    history = json.loads(wheelscan("history", "--json").stdout)
    assert [(h["id"], h["state"]) for h in history] == [(demo["scan"]["id"], "SUCCEEDED")]
    assert results_json()["results"] == live, "the live results are untouched"
    assert store.lock_holder() is None
