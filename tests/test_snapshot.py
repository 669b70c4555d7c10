"""Snapshot replay: the recorded QQQ response gives the SPEC 2–3 figures; demo round trip."""

from __future__ import annotations

import json
import math
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
        (lambda d: (d / "X.json").write_text("{not json"), "not valid JSON"),
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
