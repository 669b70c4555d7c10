"""The scan's intrinsic values on recorded answers (SPEC 4): EPS and FCF values against an
oracle that reads the recorded files as JSON, badges and P/E at each strike, ETFs n/a,
and a snapshot that replays its fundamentals without a network.

The snapshot is recorded from the demo market by the real recording transport; replays
go through yfinance and the snapshot transport like any `--source snapshot:DIR` scan.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from wheelscan.config import Settings
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.models import Criteria, ScanState
from wheelscan.core.scan_record import report_results
from wheelscan.core.valuation import DcfParams
from wheelscan.scan.engine import ScanEngine
from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.source import YahooSource, make_source
from wheelscan.yahoo.transports import DemoTransport, RecordingTransport, SnapshotWriter

NOW = datetime(2026, 11, 18, 11, 0, tzinfo=NEW_YORK)
SYMBOLS = ["AAPL", "KO", "SPY"]
CRITERIA = Criteria(min_return_pct=5.0, max_delta=0.5)
DCF = DcfParams(growth_pct=20.0)  # AAPL's value then falls among its strikes
OVERRIDES = {"KO": {"method": "fcf", "growth_pct": 6.0}}
QQQ_DIR = Path(__file__).parent / "fixtures" / "qqq"


def settings(source: str) -> Settings:
    return Settings(source=source, criteria=CRITERIA, dcf=DCF)


def scan(source: YahooSource, spec: str, **options: Any) -> dict[str, Any]:
    engine = ScanEngine(source, settings(spec), SYMBOLS, value_overrides=OVERRIDES, **options)
    report = engine.run_blocking()
    assert report.state is ScanState.SUCCEEDED, report.errors
    return report_results(report)


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A snapshot of the demo market at NOW, and the results of the scan that recorded it."""
    writer = SnapshotWriter(tmp_path / "snapshot")
    transport = RecordingTransport(DemoTransport(DemoMarket(NOW)), writer)
    results = scan(YahooSource("demo", transport), "demo")
    return writer.directory, results


def recorded_quote(directory: Path, symbol: str) -> dict[str, Any]:
    body = json.loads((directory / f"{symbol}.json").read_text())
    return body["optionChain"]["result"][0]["quote"]


def newest_figure(directory: Path, symbol: str, row: str) -> int | float | None:
    """The raw figure of the latest TTM entry of `trailing<row>`, read as JSON."""
    body = json.loads((directory / f"{symbol}.fundamentals.json").read_text())
    for item in body["timeseries"]["result"]:
        entries = item.get(f"trailing{row}")
        if entries:
            return max(entries, key=lambda e: e["asOfDate"])["reportedValue"]["raw"]
    return None


def oracle_value(e: Fraction, growth_pct: int, discount_pct: int = 15) -> Fraction:
    """Closed form: with r = (1+g)/(1+d), E·r·(1 − r⁵)/(1 − r) + E·r⁵·20."""
    r = Fraction(100 + growth_pct, 100 + discount_pct)
    return e * r * (1 - r**5) / (1 - r) + e * r**5 * 20


def cents(value: Fraction | float) -> Decimal:
    exact = Fraction(value)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), ROUND_HALF_EVEN
    )


def test_the_eps_value_matches_the_recorded_quote_to_the_cent(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    directory, _ = recorded
    replayed = scan(make_source(f"snapshot:{directory}"), f"snapshot:{directory}")
    quote = recorded_quote(directory, "AAPL")
    eps = Fraction(repr(quote["epsTrailingTwelveMonths"]))
    expected = oracle_value(eps, 20)
    result = replayed["AAPL"]
    assert result["intrinsic_value_source"] == "dcf_eps"
    assert cents(result["intrinsic_value"]) == cents(expected)
    assert result["valuation"]["inputs"]["eps"] == quote["epsTrailingTwelveMonths"]
    assert result["valuation"]["quote"]["quoteType"] == "EQUITY"


def test_badges_and_pe_at_each_strike_follow_the_value(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    directory, results = recorded
    quote = recorded_quote(directory, "AAPL")
    eps = Fraction(repr(quote["epsTrailingTwelveMonths"]))
    value = oracle_value(eps, 20)
    candidates = results["AAPL"]["candidates"]
    badges = {c["badge"] for c in candidates}
    assert badges == {"good", "high"}, "the fixture's strikes lie either side of the value"
    for candidate in candidates:
        strike = Fraction(repr(candidate["strike"]))
        assert candidate["badge"] == ("good" if strike <= value else "high")
        assert candidate["pe_at_strike"] == pytest.approx(float(strike / eps), rel=1e-12)


def test_an_etf_is_not_valued_and_says_why(recorded: tuple[Path, dict[str, Any]]) -> None:
    _, results = recorded
    spy = results["SPY"]
    assert (spy["intrinsic_value"], spy["intrinsic_value_source"]) == (None, None)
    assert spy["valuation"]["reason"] == "not an equity (ETF)"
    assert spy["candidates"] and {c["badge"] for c in spy["candidates"]} == {"n/a"}
    assert {c["pe_at_strike"] for c in spy["candidates"]} == {None}


def test_the_recorded_qqq_answers_are_an_etf_without_a_value() -> None:
    spec = f"snapshot:{QQQ_DIR}"
    engine = ScanEngine(make_source(spec), Settings(source=spec, criteria=CRITERIA), ["QQQ"])
    result = engine.run_blocking().results["QQQ"]
    assert result.intrinsic_value is None and result.intrinsic_value_source is None
    assert result.valuation is not None and result.valuation["reason"] == "not an equity (ETF)"
    assert result.candidates and {c.badge for c in result.candidates} == {"n/a"}


def test_a_snapshot_replays_the_fcf_value_from_its_fundamentals_file(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    directory, recorded_results = recorded
    assert (directory / "KO.fundamentals.json").is_file()
    assert not (directory / "AAPL.fundamentals.json").exists(), "EPS symbols fetch nothing"
    assert not (directory / "SPY.fundamentals.json").exists()
    replayed = scan(make_source(f"snapshot:{directory}"), f"snapshot:{directory}")
    ko = replayed["KO"]
    free = newest_figure(directory, "KO", "FreeCashFlow")
    shares = recorded_quote(directory, "KO")["sharesOutstanding"]
    expected = oracle_value(Fraction(free) / Fraction(shares), 6)
    assert ko["intrinsic_value_source"] == "dcf_fcf"
    assert cents(ko["intrinsic_value"]) == cents(expected)
    assert ko["intrinsic_value"] == recorded_results["KO"]["intrinsic_value"]
    assert ko["valuation"]["inputs"]["shares_outstanding"] == shares


def test_without_its_fundamentals_file_a_replayed_fcf_symbol_is_n_a(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    directory, _ = recorded
    (directory / "KO.fundamentals.json").unlink()
    replayed = scan(make_source(f"snapshot:{directory}"), f"snapshot:{directory}")
    ko = replayed["KO"]
    assert ko["intrinsic_value"] is None
    assert ko["valuation"]["reason"] == "no free cash flow in the cash-flow data"
    assert {c["badge"] for c in ko["candidates"]} <= {"n/a"}


def test_a_broken_fundamentals_file_costs_only_the_value(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    directory, _ = recorded
    (directory / "KO.fundamentals.json").write_text('{"optionChain": {}}')
    replayed = scan(make_source(f"snapshot:{directory}"), f"snapshot:{directory}")
    assert replayed["KO"]["intrinsic_value"] is None
    assert replayed["KO"]["candidates"], "the chain is still scanned"
    assert replayed["AAPL"]["intrinsic_value_source"] == "dcf_eps"


def _timeseries(*types: str) -> bytes:
    items = [{"meta": {"type": [f"trailing{t}"]}, f"trailing{t}": [{"n": t}]} for t in types]
    return json.dumps({"timeseries": {"result": items, "error": None}}).encode()


def test_a_lone_fundamentals_answer_is_kept_as_it_came(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path)
    body = _timeseries("FreeCashFlow") + b"\n"
    assert writer.record_fundamentals("KO", body) == tmp_path / "KO.fundamentals.json"
    assert (tmp_path / "KO.fundamentals.json").read_bytes() == body
    assert writer.record_fundamentals("KO", b"<html>busy</html>") is None


def test_yfinances_chunked_answers_are_kept_together(tmp_path: Path) -> None:
    # After an empty answer yfinance asks again in chunks of types: replay must answer
    # each chunk's request with every figure.
    writer = SnapshotWriter(tmp_path)
    writer.record_fundamentals("KO", _timeseries())
    writer.record_fundamentals("KO", _timeseries("OperatingCashFlow"))
    writer.record_fundamentals("KO", _timeseries("CapitalExpenditure"))
    kept = json.loads((tmp_path / "KO.fundamentals.json").read_text())
    types = [item["meta"]["type"][0] for item in kept["timeseries"]["result"]]
    assert types == ["trailingOperatingCashFlow", "trailingCapitalExpenditure"]
    assert writer.written == [tmp_path / "KO.fundamentals.json"]
