"""`wheelscan snapshot record`: record a scan's raw responses, replay them to the same results."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheelscan.cli.main import app
from wheelscan.core.symbols import SymbolError
from wheelscan.watchlist import load_watchlist
from wheelscan.yahoo._yfinance import new_session
from wheelscan.yahoo.recording import recording_source, with_recording
from wheelscan.yahoo.source import _http_failure
from wheelscan.yahoo.transports import (
    DemoTransport,
    RecordingTransport,
    SnapshotWriter,
    offline_session,
)

runner = CliRunner()


def run_json(*args: str) -> dict:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_recording_the_demo_replays_to_identical_results(
    wheelscan_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A demo Monday at 10:00; PLTR's IV gives puts that meet the default criteria.
    monkeypatch.setenv("WHEELSCAN_DEMO_NOW", "2026-11-23T10:00:00-05:00")
    assert runner.invoke(app, ["watchlist", "set-value", "PLTR", "150"]).exit_code == 0
    assert runner.invoke(app, ["watchlist", "set-value", "KO", "20"]).exit_code == 0
    snap = tmp_path / "snap"
    recorded = run_json("snapshot", "record", str(snap), "--source", "demo", "--json")
    active = load_watchlist().active_symbols()
    assert set(recorded["results"]) == set(active)
    for symbol in active:
        assert (snap / f"{symbol}.json").is_file()
    dated = list(snap.glob("*_*.json"))
    assert dated, "the 4-week window needs dated requests"
    assert len(list(snap.iterdir())) == recorded["scan"]["requests"]

    replayed = run_json("scan", "--source", f"snapshot:{snap}", "--json")
    assert replayed["results"] == recorded["results"]
    assert replayed["scan"]["requests"] == recorded["scan"]["requests"]
    assert replayed["scan"]["errors"] == {}

    badges = {c["badge"] for c in replayed["results"]["PLTR"]["candidates"]}
    assert replayed["results"]["PLTR"]["intrinsic_value"] == 150.0
    assert badges and badges <= {"good", "high"}
    assert {c["badge"] for c in replayed["results"]["MSFT"]["candidates"]} <= {"n/a"}


def test_recording_named_tickers_writes_only_those(wheelscan_home: Path, tmp_path: Path) -> None:
    snap = tmp_path / "two"
    result = runner.invoke(
        app, ["snapshot", "record", str(snap), "nvda", "spy", "--source", "demo"]
    )
    assert result.exit_code == 0, result.output
    assert "replay with --source snapshot:" in result.stdout
    assert {p.name.split("_")[0].removesuffix(".json") for p in snap.iterdir()} == {"NVDA", "SPY"}


@pytest.mark.parametrize(
    ("symbol", "epoch"),
    [("../evil", None), ("/etc/passwd", None), ("A\x00B", None), ("..", None), ("aapl", None)],
)
def test_the_writer_never_leaves_its_directory(
    tmp_path: Path, symbol: str, epoch: int | None
) -> None:
    writer = SnapshotWriter(tmp_path / "snap")
    with pytest.raises(SymbolError):
        writer.record(symbol, epoch, b'{"optionChain": {"result": []}}')
    assert list(tmp_path.rglob("*.json")) == []


def test_the_writer_refuses_a_malformed_date_and_skips_non_json(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path)
    with pytest.raises(ValueError, match="malformed date"):
        writer.record("AAPL", -1, b'{"optionChain": {}}')
    assert writer.record("AAPL", None, b"<html>busy</html>") is None
    assert writer.record("AAPL", None, b'{"finance": {"error": "x"}}') is None
    assert list(tmp_path.iterdir()) == []


def test_a_url_cannot_make_the_recorder_write_outside(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    transport = RecordingTransport(DemoTransport(latency=0), SnapshotWriter(snap))
    session = offline_session(transport)
    with pytest.raises(SymbolError):
        session.get("https://query2.finance.yahoo.com/v7/finance/options/..%2F..%2Fevil")
    session.get("https://query2.finance.yahoo.com/v7/finance/options/KO?date=1796342400")
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["KO_1796342400.json"]


class _FakeYahoo(BaseHTTPRequestHandler):
    """A loopback HTTP server standing in for Yahoo, for the live (yfinance session) recorder."""

    def do_GET(self) -> None:
        status = 503 if self.path.startswith("/v7/finance/options/DOWN") else 200
        if self.path.startswith("/v7/finance/options/HTML"):
            body, kind = b"<html>rate limited</html>", "text/html"
        elif self.path.startswith("/v7/finance/options/"):
            body, kind = (
                json.dumps({"optionChain": {"path": self.path}}).encode(),
                "application/json",
            )
        else:
            body, kind = b"crumb", "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def fake_yahoo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeYahoo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_live_session_records_the_raw_bodies_it_receives(
    tmp_path: Path, fake_yahoo: str
) -> None:
    writer = SnapshotWriter(tmp_path)
    session = with_recording(new_session(), writer)  # yfinance's own kind of session
    first = session.get(f"{fake_yahoo}/v7/finance/options/QQQ", params={"crumb": "c"})
    dated = session.get(
        f"{fake_yahoo}/v7/finance/options/QQQ", params={"date": 1796342400, "crumb": "c"}
    )
    session.get(f"{fake_yahoo}/v1/test/getcrumb")
    session.get(f"{fake_yahoo}/v7/finance/options/HTML")
    assert (tmp_path / "QQQ.json").read_bytes() == first.content
    assert (tmp_path / "QQQ_1796342400.json").read_bytes() == dated.content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["QQQ.json", "QQQ_1796342400.json"]


def test_the_live_recording_source_still_reads_an_error_status_as_one(
    tmp_path: Path, fake_yahoo: str
) -> None:
    """A 503 with a JSON body must not read as "no options listed" while recording."""
    source, _writer = recording_source("yahoo", tmp_path)
    source.session.get(f"{fake_yahoo}/v7/finance/options/DOWN", params={"crumb": "c"})
    failure = _http_failure("DOWN")
    assert failure is not None and failure.transient
    assert "HTTP 503" in str(failure)
    assert list(tmp_path.iterdir()) == [], "an error answer is not recorded"
