"""Snapshot replay: the recorded QQQ response gives the SPEC 2–3 figures; demo round trip."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from statistics import NormalDist
from zoneinfo import ZoneInfo

import pytest

from wheelscan.config import Settings
from wheelscan.core.models import Criteria, ScanKind, ScanState
from wheelscan.core.scan_record import report_document
from wheelscan.core.sources import SourceSpecError
from wheelscan.scan.engine import ScanEngine
from wheelscan.yahoo.source import make_source
from wheelscan.yahoo.transports import snapshot_file_name
from yahoo_doubles import CountingDemo, source_over

QQQ_DIR = Path(__file__).parent / "fixtures" / "qqq"
NY = ZoneInfo("America/New_York")
CRITERIA = Criteria(max_dte=3, min_return_pct=10, max_delta=0.35, risk_free_rate_pct=4)


def expected_from_raw_json(directory: Path, criteria: Criteria) -> dict[str, dict[str, float]]:
    """An independent row-by-row reading of SPEC 2–3 over the raw files: the oracle."""
    first = json.loads((directory / "QQQ.json").read_text())["optionChain"]["result"][0]
    quote = first["quote"]
    spot, q = quote["regularMarketPrice"], quote.get("trailingAnnualDividendYield", 0.0)
    as_of = datetime.fromtimestamp(quote["regularMarketTime"], tz=UTC)
    expected = {}
    for path in sorted(directory.glob("QQQ*.json")):
        chain = json.loads(path.read_text())["optionChain"]["result"][0]["options"][0]
        expiry = datetime.fromtimestamp(chain["expirationDate"], tz=UTC).date()
        dte = (expiry - as_of.astimezone(NY).date()).days
        close = datetime.combine(expiry, time(16), tzinfo=NY).astimezone(UTC)
        years = (close - as_of).total_seconds() / (365 * 86400)
        for row in chain["puts"]:
            k, bid, ask, iv = row["strike"], row["bid"], row["ask"], row["impliedVolatility"]
            if not criteria.min_dte <= dte <= criteria.max_dte or k >= spot or bid <= 0:
                continue
            if ask < bid or iv < 0.01:
                continue
            annual = bid / k * 365 / max(dte, 1) * 100
            vol_t = iv * math.sqrt(years)
            d1 = (math.log(spot / k) + (0.04 - q + iv * iv / 2) * years) / vol_t
            delta = -math.exp(-q * years) * NormalDist().cdf(-d1)
            if annual < criteria.min_return_pct or delta < -criteria.max_delta:
                continue
            expected[row["contractSymbol"]] = {
                "dte": dte,
                "delta": delta,
                "prob_otm": NormalDist().cdf(d1 - vol_t),
                "annualized_return_pct": annual,
                "otm_pct": (spot - k) / spot * 100,
                "breakeven": k - bid,
                "collateral": k * 100,
            }
    return expected


async def test_recorded_qqq_gives_the_spec_figures() -> None:
    source = make_source(f"snapshot:{QQQ_DIR}")
    report = await ScanEngine(source, Settings(criteria=CRITERIA), ["QQQ"]).run()

    assert report.state is ScanState.SUCCEEDED
    assert report.requests == 3  # the no-date request, then DTE 1 and DTE 2; DTE 4 is outside
    assert source.transport is not None
    assert sorted(e for _, e in source.transport.options_requests if e) == [1795478400, 1795564800]
    result = report.results["QQQ"]
    assert result.underlying_price == 612.34
    assert result.as_of == datetime(2026, 11, 23, 15, 45, 2, tzinfo=NY)

    expected = expected_from_raw_json(QQQ_DIR, CRITERIA)
    got = {c.contract: c for c in result.candidates}
    assert set(got) == set(expected)
    assert len(got) >= 5
    for contract, figures in expected.items():
        for name, value in figures.items():
            assert getattr(got[contract], name) == pytest.approx(value, rel=1e-9), (contract, name)
    # Every contract fetched is either a candidate or counted once under a reason.
    fetched = sum(
        len(
            json.loads((QQQ_DIR / snapshot_file_name("QQQ", e)).read_text())["optionChain"][
                "result"
            ][0]["options"][0]["puts"]
        )
        for e in (None, 1795478400, 1795564800)
    )
    assert len(result.candidates) + sum(result.rejected.values()) == fetched
    assert result.rejected["dte"] > 0  # the same-day expiration is fetched but out of the window
    assert result.rejected["bad_quote"] > 0  # a bid with ask 0
    assert result.rejected["itm"] > 0  # including the rows with Yahoo's 1e-05 IV placeholder


async def test_unknown_symbol_in_a_snapshot_is_reported_and_the_scan_goes_on() -> None:
    source = make_source(f"snapshot:{QQQ_DIR}")
    report = await ScanEngine(source, Settings(criteria=CRITERIA), ["QQQ", "NOPE"]).run()
    assert report.state is ScanState.SUCCEEDED
    assert "QQQ" in report.results
    assert "unknown symbol" in report.errors["NOPE"]


async def test_demo_recorded_to_files_replays_to_identical_results(tmp_path: Path) -> None:
    transport = CountingDemo()
    symbols = ["AAPL", "BRK-B", "KO"]
    live = await ScanEngine(source_over(transport), Settings(), symbols).run()
    for symbol, epoch in transport.options_requests:
        body = transport.market.options_json(symbol, epoch)
        (tmp_path / snapshot_file_name(symbol, epoch)).write_text(json.dumps(body))

    replayed = await ScanEngine(make_source(f"snapshot:{tmp_path}"), Settings(), symbols).run()
    live_doc = report_document(live, "a", ScanKind.ADHOC)
    replay_doc = report_document(replayed, "a", ScanKind.ADHOC)
    assert replay_doc["results"] == live_doc["results"]
    assert replayed.requests == live.requests


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "holds no .json"),
        (lambda d: (d / "X.json").write_text("{not json"), "does not parse"),
        (lambda d: (d / "X.json").write_text('{"chart": {}}'), "not a Yahoo options response"),
    ],
)
def test_malformed_snapshot_directories_are_refused(tmp_path: Path, setup, message: str) -> None:
    setup(tmp_path)
    with pytest.raises(SourceSpecError, match=message):
        make_source(f"snapshot:{tmp_path}")


def test_snapshot_never_reads_outside_its_directory(tmp_path: Path) -> None:
    inside = tmp_path / "snap"
    inside.mkdir()
    (inside / "QQQ.json").write_text((QQQ_DIR / "QQQ.json").read_text())
    (tmp_path / "SECRET.json").write_text((QQQ_DIR / "QQQ.json").read_text())
    source = make_source(f"snapshot:{inside}")
    assert source.transport is not None
    _status, body = source.transport.answer_options("../SECRET", None)
    assert json.loads(body)["optionChain"]["result"] == []


def test_expiration_dates_in_the_fixture_are_what_the_test_says() -> None:
    first = json.loads((QQQ_DIR / "QQQ.json").read_text())["optionChain"]["result"][0]
    days = [datetime.fromtimestamp(e, tz=UTC).date() for e in first["expirationDates"][:4]]
    assert days == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)]


# --- hostile entries (SPEC 1.2 v2): each is that ticker's error, never a hang or a crash ---

SNAPSHOT_LIMIT = 16 * 1024 * 1024
NOT_REGULAR = "not a regular file"
JSON_WITHIN_3_DAYS = ["--json", "--max-dte", "3"]


def _hostile_snapshot(directory: Path) -> dict[str, str]:
    """The QQQ fixture plus one hostile entry per symbol; returns symbol -> expected reason."""
    directory.mkdir()
    for path in QQQ_DIR.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    os.mkfifo(directory / "FIFO.json")
    (directory / "DIRX.json").mkdir()
    (directory / "ZERO.json").symlink_to("/dev/zero")
    (directory / "NULL.json").symlink_to("/dev/null")
    (directory / "GOOD.json").symlink_to(directory / "QQQ.json")  # a link inside is refused too
    with (directory / "BIG.json").open("wb") as big:  # valid JSON, one byte over the limit
        big.write(b'{"optionChain": {"result": []}}')
        big.write(b" " * (SNAPSHOT_LIMIT + 1 - big.tell()))
    depth = 200_000
    (directory / "DEEP.json").write_text('{"optionChain": ' + "[" * depth + "]" * depth + "}")
    (directory / "BAD.json").write_text('{"optionChain": {"result": [')
    (directory / "CHART.json").write_text('{"chart": {"result": []}}')
    return {
        "FIFO": NOT_REGULAR,
        "DIRX": NOT_REGULAR,
        "ZERO": NOT_REGULAR,
        "NULL": NOT_REGULAR,
        "GOOD": NOT_REGULAR,
        "BIG": "larger than 16 MiB",
        "DEEP": "does not parse",
        "BAD": "does not parse",
        "CHART": "not a Yahoo options response",
    }


def _scan_in_a_process(directory: Path, *symbols: str) -> subprocess.CompletedProcess[str]:
    """A real `wheelscan scan`; a hang is killed at the deadline and fails the test."""
    source = f"snapshot:{directory}"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "wheelscan",
            "scan",
            *symbols,
            "--source",
            source,
            *JSON_WITHIN_3_DAYS,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hostile_snapshot_entries_are_each_their_tickers_error(tmp_path: Path) -> None:
    directory = tmp_path / "snap"
    expected = _hostile_snapshot(directory)
    done = _scan_in_a_process(directory, "QQQ", *expected)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    errors = document["scan"]["errors"]
    assert set(errors) == set(expected), errors
    for symbol, reason in expected.items():
        assert reason in errors[symbol], (symbol, errors[symbol])
        assert f"{symbol}.json" in errors[symbol], errors[symbol]
        assert "\n" not in errors[symbol]
    assert document["results"]["QQQ"]["candidates"], "the intact ticker is still scanned"


def test_a_hostile_dated_entry_fails_that_expiration_only(tmp_path: Path) -> None:
    directory = tmp_path / "snap"
    directory.mkdir()
    for path in QQQ_DIR.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    dated = directory / snapshot_file_name("QQQ", 1795564800)
    dated.unlink()
    os.mkfifo(dated)
    done = _scan_in_a_process(directory, "QQQ")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["results"]["QQQ"]["candidates"], "the other expirations are scanned"
    assert NOT_REGULAR in document["scan"]["errors"]["QQQ"]
    assert dated.name in document["scan"]["errors"]["QQQ"]


def test_a_directory_of_only_hostile_entries_is_a_bad_source(tmp_path: Path) -> None:
    directory = tmp_path / "snap"
    directory.mkdir()
    os.mkfifo(directory / "FIFO.json")
    (directory / "ZERO.json").symlink_to("/dev/zero")
    done = _scan_in_a_process(directory, "FIFO")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wheelscan: error:"), done.stderr
    assert "FIFO.json" in lines[0] and NOT_REGULAR in lines[0]
