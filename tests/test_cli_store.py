"""`status`, `results`, `history`, `cache clear` as a user runs them, and their imports."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cli_support import imports_of, wheelscan
from wheelscan.core.scan_record import SCHEMA_VERSION

if TYPE_CHECKING:
    from conftest import DemoRefreshed

HEAVY = ("pandas", "yfinance", "textual", "numpy", "exchange_calendars", "wheelscan.scan.engine")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, demo_refreshed: DemoRefreshed) -> Path:
    """One WHEELSCAN_HOME with a published demo watchlist scan and an ad-hoc scan."""
    home = demo_refreshed.copy_to(tmp_path_factory.mktemp("home"))
    done = wheelscan("scan", "ZZZZ", "--source", "demo", home=home)
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture
def home(published: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WHEELSCAN_HOME", str(published))
    return published


DEMO = ("--source", "demo")  # the fixture's scans are demo scans, in the demo namespace


@pytest.mark.parametrize(
    "args", [["status", "--json", *DEMO], ["results", "--json", *DEMO], ["results", *DEMO]]
)
def test_readers_never_import_the_heavy_libraries(home: Path, args: list[str]) -> None:
    probe = imports_of(*args, modules=HEAVY, entry="wheelscan.cli.main")
    assert probe.ran.returncode == 0, probe.ran.stderr
    assert probe.loaded == []


def test_results_json_is_the_published_document_with_its_age(home: Path) -> None:
    done = wheelscan("results", "--json", *DEMO)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == SCHEMA_VERSION
    assert document["scan"]["kind"] == "watchlist" and document["scan"]["state"] == "SUCCEEDED"
    assert "ZZZZ" not in document["results"], "ad-hoc scans are never published"
    assert len(document["results"]) > 10
    assert document["stale"] is False and 0 <= document["age_s"] < 600
    assert document["ttl_minutes"] == 45
    one = json.loads(wheelscan("results", "--json", "aapl", *DEMO).stdout)
    assert list(one["results"]) == ["AAPL"]
    assert wheelscan("results", "A/B", *DEMO).returncode == 2
    live = json.loads(wheelscan("results", "--json").stdout)
    assert live["scan"] is None and live["results"] == {}, "a demo scan never reads as live"


def test_status_and_history_describe_the_scans(home: Path) -> None:
    status = json.loads(wheelscan("status", "--json", *DEMO).stdout)
    assert status["running"] is False and status["lock"] is None
    assert status["progress"]["kind"] == "adhoc" and status["progress"]["state"] == "SUCCEEDED"
    assert status["last_run"].startswith("Scan completed at")
    text = wheelscan("status", *DEMO).stdout
    assert "No scan running." in text and "Last run: Scan completed" in text
    history = json.loads(wheelscan("history", "--json").stdout)
    assert [h["kind"] for h in history] == ["adhoc", "watchlist"]
    assert {"id", "state", "started_at", "finished_at", "duration_s", "tickers", "candidates",
            "errors", "criteria"} <= set(history[0])  # fmt: skip


def test_refresh_logs_privately(home: Path) -> None:
    log = home / "logs" / "wheelscan.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert "SUCCEEDED" in log.read_text()


def test_readers_on_a_corrupted_cache_say_so_in_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WHEELSCAN_HOME", str(tmp_path))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cache.db").write_bytes(b"garbage" * 1000)
    for args in (["results"], ["status", "--json"], ["history"]):
        done = wheelscan(*args)
        assert done.returncode == 0
        assert "Traceback" not in done.stderr
        assert done.stderr.count("\n") == 1 and "corrupted" in done.stderr
    cleared = wheelscan("cache", "clear")
    assert cleared.returncode == 0 and "removed" in cleared.stdout
    assert wheelscan("results").stderr == ""


def test_cache_clear_empties_the_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WHEELSCAN_HOME", str(tmp_path))
    assert wheelscan("scan", "KO", "--source", "demo").returncode == 0
    assert json.loads(wheelscan("history", "--json").stdout)
    done = wheelscan("cache", "clear")
    assert done.returncode == 0 and "Cleared" in done.stdout
    assert json.loads(wheelscan("history", "--json").stdout) == []
    assert "No results yet" in wheelscan("results").stdout


def _publish(
    home: Path, namespace: str, ago_s: float, errors: dict[str, str] | None = None
) -> None:
    """A published watchlist scan in `namespace`, finished `ago_s` seconds ago, its failed
    tickers `errors`."""
    import time

    from wheelscan.store import Store

    store = Store(home / "cache", namespace=namespace, clock=lambda: time.time() - ago_s)
    finished = datetime.fromtimestamp(store.clock(), UTC).isoformat()
    handle = store.acquire_lock(f"{namespace}-scan", "watchlist", source=namespace)
    assert handle is not None
    document = {
        "scan": {"id": f"{namespace}-scan", "kind": "watchlist", "state": "SUCCEEDED",
                 "source": namespace, "finished_at": finished, "errors": errors or {}},
        "results": {"KO": {"underlying_price": 60.0, "as_of": finished, "candidates": [],
                           "rejected": {}}},
    }  # fmt: skip
    assert store.publish(handle, document, "Scan completed")
    assert store.release_lock(handle)
    store.close()


def test_results_two_hours_old_stay_and_show_as_stale_with_their_age(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHEELSCAN_HOME", str(tmp_path))
    _publish(tmp_path, "yahoo", ago_s=2 * 3600)
    document = json.loads(wheelscan("results", "--json").stdout)
    assert list(document["results"]) == ["KO"] and document["stale"] is True
    assert 2 * 3600 <= document["age_s"] < 2 * 3600 + 600
    text = wheelscan("results").stdout
    assert "STALE" in text and "2.0 h ago" in text and "0 candidates from 1 ticker\n" in text


def test_live_readers_never_show_demo_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHEELSCAN_HOME", str(tmp_path))
    _publish(tmp_path, "demo", ago_s=0)
    document = json.loads(wheelscan("results", "--json").stdout)
    assert document["results"] == {} and document["scan"] is None
    _publish(tmp_path, "yahoo", ago_s=60)
    document = json.loads(wheelscan("results", "--json").stdout)
    assert document["scan"]["source"] == "yahoo" and document["stale"] is False
    cleared = wheelscan("cache", "clear")
    assert cleared.returncode == 0, cleared.stderr
    from wheelscan.store import Store

    assert Store(tmp_path / "cache", namespace="demo").read_results().scan is None


def test_status_on_a_lock_row_with_wrong_types_is_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wheelscan.store import Store

    monkeypatch.setenv("WHEELSCAN_HOME", str(tmp_path))
    store = Store(tmp_path / "cache")
    store._open().set(store.keys.lock, {"token": ["x"], "pid": "1", "ttl_s": "long"})
    store.close()
    for args in (["status", "--json"], ["status"]):
        done = wheelscan(*args)
        assert done.returncode == 0 and done.stderr.count("\n") == 1, done.stderr
        assert "lock record is unreadable" in done.stderr and "Traceback" not in done.stderr


def test_results_name_each_failed_ticker_and_count_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHEELSCAN_HOME", str(tmp_path))
    _publish(tmp_path, "yahoo", ago_s=60, errors={"ZZZZ": "no options listed", "QQQX": "HTTP 404"})
    lines = wheelscan("results").stdout.splitlines()
    assert "QQQX: failed: HTTP 404" in lines and "ZZZZ: failed: no options listed" in lines
    assert lines[-1] == "0 candidates from 3 tickers, 2 failed"
    assert wheelscan("results", "ko").stdout.splitlines()[-1] == "0 candidates from 1 ticker"


def test_results_say_demo_and_give_new_york_time_with_its_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wheelscan.core.expiry import NEW_YORK

    monkeypatch.setenv("WHEELSCAN_HOME", str(tmp_path))
    _publish(tmp_path, "demo", ago_s=0)
    shown = wheelscan("results", "--source", "demo", env={"TZ": "Asia/Tokyo"})
    header = shown.stdout.splitlines()[0]
    assert "(DEMO)" in header, header
    zone = datetime.now(NEW_YORK).strftime("%Z")
    assert zone in header and "JST" not in header, header


def test_a_ttl_under_a_minute_reads_in_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHEELSCAN_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text("results_ttl_minutes = 0.5\n")
    _publish(tmp_path, "yahoo", ago_s=120)
    text = wheelscan("results").stdout
    assert "STALE (older than 30 s)" in text, text
