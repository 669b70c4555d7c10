"""`wheelscan snapshot record`: record a scan's raw responses, replay them to the same results."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheelscan.cli.main import app
from wheelscan.core.call_criteria import ExDividend
from wheelscan.core.symbols import SymbolError
from wheelscan.watchlist import load_watchlist
from wheelscan.yahoo._yfinance import new_session
from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.dividends import DividendUnavailable, fetch_ex_dividend
from wheelscan.yahoo.recording import recording_source, with_recording
from wheelscan.yahoo.source import _http_failure
from wheelscan.yahoo.transports import (
    DemoTransport,
    RecordingTransport,
    SnapshotTransport,
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


def test_a_watchlist_recording_holds_what_a_scan_with_the_ledger_asks_and_replays_it(
    wheelscan_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SPEC 1.3 with a ledger: KO (on the watchlist) holds shares and two short puts, one
    past the put window and one whose rolls reach past it; DIS (not on it) holds shares.
    The recording holds exactly the requests worked out here from the demo's listed
    expirations, the held symbols' quoteSummary answers among them, and a replay of the
    watchlist with that ledger gives the same results with KO's dividend amount."""
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 New York
    monkeypatch.setenv("WHEELSCAN_DEMO_NOW", now.isoformat())
    today = date(2026, 11, 23)
    for args in (
        ["add-shares", "KO", "100", "60", "--date", "2026-11-02"],
        ["add-shares", "DIS", "200", "90", "--date", "2026-11-02"],
        ["sell", "KO261218P00065000", "1", "0.80", "--date", "2026-11-20"],
        ["sell", "KO270115P00062500", "1", "1.10", "--date", "2026-11-20"],
    ):
        done = runner.invoke(app, ["positions", *args])
        assert done.exit_code == 0, done.output
    snap = tmp_path / "snap"
    recorded = run_json("snapshot", "record", str(snap), "--source", "demo", "--json")

    market = DemoMarket(now=now)
    put_window, call_window, roll_window = (1, 28), (1, 28), (26, 45)  # rolls: after 12-18
    windows = {symbol: [put_window] for symbol in load_watchlist().active_symbols()}
    windows["KO"] += [call_window, roll_window]
    windows["DIS"] = [call_window]
    also = {"KO": {date(2027, 1, 15)}}
    expected = {f"{symbol}.json" for symbol in windows} | {"KO.summary.json", "DIS.summary.json"}
    for symbol, spans in windows.items():
        for day in market.expirations(symbol)[1:]:
            dte = (day - today).days
            if any(low <= dte <= high for low, high in spans) or day in also.get(symbol, ()):
                stamp = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
                expected.add(f"{symbol}_{stamp}.json")
    files = {p.name for p in snap.iterdir() if not p.name.endswith(".fundamentals.json")}
    assert files == expected
    assert "KO_1799971200.json" in files, "the 2027-01-15 short's own expiration"

    replayed = run_json("scan", "--source", f"snapshot:{snap}", "--json")
    assert replayed["scan"]["errors"] == {}
    assert replayed["results"] == recorded["results"]
    ko = replayed["results"]["KO"]
    assert set(ko["short_quotes"]) == {"KO261218P00065000", "KO270115P00062500"}
    assert ko["covered_calls"]["ex_dividend"] == {"date": "2026-12-01", "amount": 0.52}
    dis = replayed["results"]["DIS"]["covered_calls"]
    assert dis["ex_dividend"] == {"date": "2026-12-02", "amount": market.day("DIS").dividend.amount}
    assert dis["ex_dividend_known"] is True


def test_a_snapshot_answers_the_ex_dividend_lookup_from_its_file_or_as_yahoo_does(
    tmp_path: Path,
) -> None:
    """DIR/<TICKER>.summary.json answers the quoteSummary request; without the file, Yahoo's
    not-found body (no dividend listed); a file that does not parse leaves it unknown."""
    url = "https://query2.finance.yahoo.com/v10/finance/quoteSummary/KO"
    market = DemoMarket(now=datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    answer = market.answer(f"{url}?modules=calendarEvents,defaultKeyStatistics")
    assert answer is not None
    (tmp_path / "KO.summary.json").write_bytes(answer[1])
    (tmp_path / "BAD.summary.json").write_text("{not json")
    session = offline_session(SnapshotTransport(tmp_path))
    assert fetch_ex_dividend(session, "KO") == ExDividend(date(2026, 12, 1), 0.52)
    missing = session.get(url.replace("KO", "ZZZZ")).json()["quoteSummary"]
    assert missing["result"] is None and missing["error"]["code"] == "Not Found"
    assert fetch_ex_dividend(session, "ZZZZ") is None
    with pytest.raises(DividendUnavailable, match=r"BAD\.summary\.json"):
        fetch_ex_dividend(session, "BAD")


def test_the_recorders_keep_quote_summary_answers_and_only_those(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path)
    transport = RecordingTransport(DemoTransport(latency=0), writer)
    session = offline_session(transport)
    base = "https://query2.finance.yahoo.com/v10/finance/quoteSummary"
    served = session.get(f"{base}/KO?modules=calendarEvents,defaultKeyStatistics")
    assert (tmp_path / "KO.summary.json").read_bytes() == served.content
    assert writer.record_summary("PEP", b'{"finance": {}}') is None
    with pytest.raises(SymbolError):
        session.get(f"{base}/..%2Fevil?modules=calendarEvents")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["KO.summary.json"]
