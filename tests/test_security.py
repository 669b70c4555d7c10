"""Security: private files, a cache that cannot run code, no secrets in the log.

Everything runs on a real WHEELSCAN_HOME; where yfinance looks for its caches at
import and what reaches a process's stderr are checked in real processes.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import diskcache
import pytest
import requests

import wheelscan.yahoo.source as source
from cli_support import wheelscan, wheelscan_process
from wheelscan.yahoo.transports import CRUMB, DemoTransport, options_request

DEMO = ["--source", "demo"]
TESTS_DIR = Path(__file__).parent
NO_LATENCY = {"WHEELSCAN_DEMO_LATENCY": "0"}


def demo_served_by(double: str) -> str:
    """`python -c` code: wheelscan, its demo source answered by `yahoo_doubles.<double>`."""
    return f"""
import sys
sys.path.insert(0, {str(TESTS_DIR)!r})
import yahoo_doubles
import wheelscan.yahoo.source as source
source.DemoTransport = yahoo_doubles.{double}
sys.argv = ["wheelscan", *sys.argv[1:]]
from wheelscan.cli.main import run
run()
"""


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """A usual umask: what wheelscan makes private, it must make so itself."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
def test_every_directory_is_0700_and_every_file_0600(wheelscan_home: Path) -> None:
    for args in (
        ["scan", *DEMO, "--json"],
        ["refresh", *DEMO],
        ["config", "set", "min_return_pct", "25"],
        ["watchlist", "add", "ZZZZ"],
    ):
        done = wheelscan(*args, env=NO_LATENCY)
        assert done.returncode == 0, (args, done.stderr)
    loose = []
    for path in [wheelscan_home, *wheelscan_home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode & ~wanted:
            loose.append(f"{path.relative_to(wheelscan_home)} {oct(mode)}")
    assert loose == []
    assert (wheelscan_home / "cache" / "cache.db").exists()
    assert (wheelscan_home / "logs" / "wheelscan.log").exists()


class Exploit:
    """Unpickling this writes a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_planted_pickle_in_the_cache_is_corruption_never_code(refreshed_home: Path) -> None:
    marker = refreshed_home.parent / "pwned"
    database = refreshed_home / "cache" / "cache.db"
    with sqlite3.connect(database) as db:
        rows = db.execute("UPDATE Cache SET mode = 4, value = ?", (pickle.dumps(Exploit(marker)),))
        assert rows.rowcount > 0

    # the scan published in the demo's namespace, so its readers read that one (history is shared)
    for args in (
        ["results", "--json", *DEMO],
        ["status", "--json", *DEMO],
        ["history", "--json"],
        ["results", *DEMO],
    ):
        done = wheelscan(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert "corrupt" in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert not marker.exists(), "the pickle was executed"


class LeakyResets(DemoTransport):
    """Every options request fails the way urllib3 reports it: with the URL, crumb and all."""

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> object:
        if options_request(request.url) is not None:
            raise requests.exceptions.ConnectionError(
                f"HTTPSConnectionPool(host='query2.finance.yahoo.com', port=443): Max retries "
                f"exceeded with url: {request.url} (Caused by ConnectionResetError(104))",
                request=request,
            )
        return super().send(request, *args, **kwargs)


def test_neither_the_log_nor_the_store_keep_the_crumb(
    wheelscan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "DemoTransport", LeakyResets)
    done = wheelscan("refresh", *DEMO, env=NO_LATENCY)
    assert done.returncode == 1, done.stderr  # no ticker could be fetched
    log = (wheelscan_home / "logs" / "wheelscan.log").read_text()
    assert "Max retries" in log, "the failure was logged"
    assert CRUMB not in log
    assert CRUMB not in done.stderr + done.stdout
    for args in (["history", "--json"], ["status", "--json"]):
        shown = wheelscan(*args)
        assert CRUMB not in shown.stdout, args
    with diskcache.Cache(str(wheelscan_home / "cache"), disk=diskcache.JSONDisk) as cache:
        stored = json.dumps({str(key): cache.get(key) for key in cache.iterkeys()})
    assert "Max retries" in stored, "the failure reasons are in the store"
    assert CRUMB not in stored


def plant_cookie_pickle(directory: Path, marker: Path) -> None:
    """A `cookies.db` as yfinance's cookie cache writes it, its cookie a pickle that runs code."""
    directory.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(directory / "cookies.db") as db:
        db.execute(
            'CREATE TABLE "_cookieschema" ("strategy" VARCHAR(255) NOT NULL PRIMARY KEY,'
            ' "fetch_date" DATETIME NOT NULL, "cookie_bytes" BLOB NOT NULL)'
        )
        db.execute(
            "INSERT INTO _cookieschema VALUES (?, ?, ?)",
            ("curlCffi", datetime.now().isoformat(), pickle.dumps(Exploit(marker))),
        )


def test_yfinance_never_unpickles_a_planted_cookie(wheelscan_home: Path, tmp_path: Path) -> None:
    """Where wheelscan pointed yfinance's caches, and where yfinance looks by default."""
    marker = tmp_path / "pwned"
    platform_cache = tmp_path / "xdg-cache"
    planted = [wheelscan_home / "cache" / "yfinance", platform_cache / "py-yfinance"]
    for directory in planted:
        plant_cookie_pickle(directory, marker)
    # A stale crumb makes yfinance drop its cookie and look for one in its cookie cache.
    done = wheelscan_process(
        "scan",
        "AAPL",
        "KO",
        *DEMO,
        "--json",
        code=demo_served_by("RefusesFirstAnswer"),
        env={**NO_LATENCY, "XDG_CACHE_HOME": str(platform_cache)},
    )
    assert not marker.exists(), "the pickle was executed"
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scan"]["errors"] == {}, "yfinance's retry got the answer"
    for directory in planted:
        assert [path.name for path in directory.iterdir()] == ["cookies.db"], "no cache written"


def test_yfinance_log_lines_go_to_the_log_file_never_to_stderr(wheelscan_home: Path) -> None:
    wheelscan_home.mkdir()
    (wheelscan_home / "watchlist.toml").write_text("[tickers.KO]\n[tickers.AAPL]\n")
    unreachable = demo_served_by("CrumbUnreachable")
    refreshed = wheelscan_process("refresh", *DEMO, code=unreachable, env=NO_LATENCY)
    assert refreshed.returncode == 0, refreshed.stderr
    assert refreshed.stderr == ""
    log = (wheelscan_home / "logs" / "wheelscan.log").read_text()
    assert "Cookie/crumb fetch failed (ConnectionError)" in log
    # --fresh: the refresh's answers are kept (SPEC 1.4) and would spare every request.
    scanned = wheelscan_process(
        "scan", "KO", *DEMO, "--json", "--fresh", code=unreachable, env=NO_LATENCY
    )
    assert scanned.returncode == 0, scanned.stderr
    assert "Cookie/crumb" not in scanned.stderr
