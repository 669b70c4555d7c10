"""SPEC v2 figures end to end: recorded Yahoo answers replayed through yfinance and the
scan engine, every figure checked against the row-by-row oracle (tests/criteria_oracle.py).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import criteria_oracle
from criteria_oracle import Rules
from wheelscan.config import Settings
from wheelscan.core.models import Criteria, ScanKind, ScanReport
from wheelscan.core.scan_record import SCHEMA_VERSION, report_document
from wheelscan.scan.engine import ScanEngine
from wheelscan.yahoo.source import make_source
from wheelscan.yahoo.transports import snapshot_file_name

QQQ_DIR = Path(__file__).parent / "fixtures" / "qqq"
NEAR_MONEY = "QQQ261124P00607000"
LOOSE = Rules(max_dte=3, min_return_pct=10, max_delta=0.35)


def criteria_of(rules: Rules) -> Criteria:
    return Criteria(
        min_dte=rules.min_dte,
        max_dte=rules.max_dte,
        min_bid=rules.min_bid,
        min_return_pct=rules.min_return_pct,
        max_delta=rules.max_delta,
        min_open_interest=int(rules.min_open_interest),
        max_spread_pct=rules.max_spread_pct,
        risk_free_rate_pct=rules.rate_pct,
        earnings=rules.earnings,
    )


def _result(directory: Path, name: str | None = None) -> dict[str, Any]:
    path = directory / (name or "QQQ.json")
    return json.loads(path.read_text())["optionChain"]["result"][0]


def _write(directory: Path, name: str, result: dict[str, Any]) -> None:
    (directory / name).write_text(json.dumps({"optionChain": {"result": [result], "error": None}}))


async def scan(directory: Path, rules: Rules, symbols: list[str]) -> tuple[ScanReport, Any]:
    source = make_source(f"snapshot:{directory}")
    report = await ScanEngine(source, Settings(criteria=criteria_of(rules)), symbols).run()
    return report, source.transport


def fetched_answers(
    directory: Path, requests: list[tuple[str, int | None]]
) -> list[criteria_oracle.Answer]:
    """The answers the scan got, in the order it asked for them (a missing file: none)."""
    answers = []
    for symbol, epoch in requests:
        path = directory / snapshot_file_name(symbol, epoch)
        if path.exists():
            chain = _result(directory, path.name)["options"][0]
            day = datetime.fromtimestamp(chain["expirationDate"], tz=UTC).date().isoformat()
            answers.append((day, chain["calls"], chain["puts"]))
    return answers


def oracle_outcome(
    directory: Path, requests: list[tuple[str, int | None]], rules: Rules
) -> criteria_oracle.Outcome:
    quote = _result(directory)["quote"]
    return criteria_oracle.evaluate("QQQ", quote, fetched_answers(directory, requests), rules)


@pytest.mark.parametrize("rules", [Rules(), LOOSE], ids=["defaults", "loose"])
async def test_recorded_qqq_gives_every_figure_of_the_oracle(rules: Rules) -> None:
    report, transport = await scan(QQQ_DIR, rules, ["QQQ"])
    result = report.results["QQQ"]
    expected = oracle_outcome(QQQ_DIR, transport.options_requests, rules)
    criteria_oracle.assert_matches(result, expected, tolerance=1e-9)
    assert result.underlying_price == 612.34
    assert result.market_state == "REGULAR" and result.next_earnings is None
    fetched = sum(len(puts) for _, _, puts in fetched_answers(QQQ_DIR, transport.options_requests))
    assert len(result.candidates) + sum(result.rejected.values()) == fetched
    if rules == LOOSE:
        assert len(result.candidates) >= 5
        assert report.requests == 3  # the no-date request, then DTE 1 and DTE 2


@pytest.fixture
def edited_qqq(tmp_path: Path) -> Path:
    """The recording with what real answers also hold: an estimated earnings window, Yahoo's
    junk IV on a two-sided near-the-money put, an adjusted QQQ1 contract, a mid no σ prices,
    and tickers whose quote lacks its price or its time."""
    for path in QQQ_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    first = _result(tmp_path)
    first["quote"]["earningsTimestampStart"] = 1795604400  # 2026-11-25 06:00 New York
    first["quote"]["earningsTimestampEnd"] = 1796122800  # 2026-12-01
    _write(tmp_path, "QQQ.json", first)
    for name, lost in (("NOPRICE", "regularMarketPrice"), ("NOTIME", "regularMarketTime")):
        broken = _result(tmp_path)
        del broken["quote"][lost]
        _write(tmp_path, f"{name}.json", broken)

    name = snapshot_file_name("QQQ", 1795478400)
    dated = _result(tmp_path, name)
    puts = dated["options"][0]["puts"]
    near = next(row for row in puts if row["contractSymbol"] == NEAR_MONEY)
    near["impliedVolatility"] = 0.0625
    adjusted = {**near, "contractSymbol": "QQQ1261124P00607000", "impliedVolatility": 0.2}
    unpriceable = {**near, "contractSymbol": "QQQ261124P00590000", "strike": 590.0}
    unpriceable |= {"bid": 100.0, "ask": 100.5, "impliedVolatility": 0.3}
    puts += [adjusted, unpriceable]
    _write(tmp_path, name, dated)
    return tmp_path


async def test_junk_yahoo_iv_adjusted_contracts_earnings_and_unpriceable_mids(
    edited_qqq: Path,
) -> None:
    rules = Rules(max_dte=3, min_return_pct=10, max_delta=0.35, earnings="flag")
    report, transport = await scan(edited_qqq, rules, ["QQQ", "NOPRICE", "NOTIME"])
    result = report.results["QQQ"]
    requests = [r for r in transport.options_requests if r[0] == "QQQ"]
    criteria_oracle.assert_matches(result, oracle_outcome(edited_qqq, requests, rules))

    by_contract = {c.contract: c for c in result.candidates}
    near = by_contract[NEAR_MONEY]
    assert near.iv_yahoo == 0.0625 and near.iv > 0.1, "σ from the mid, not Yahoo's junk"
    assert near.delta < -0.1 and near.spans_earnings is False
    assert result.rejected["nonstandard"] == 1 and result.rejected["no_iv"] == 1
    assert {c.spans_earnings for c in result.candidates if c.expiration == "2026-11-25"} == {True}
    assert result.next_earnings is not None and result.next_earnings.estimated
    assert str(result.next_earnings.date) == "2026-11-25"

    assert "NOPRICE" not in report.results and "regularMarketPrice" in report.errors["NOPRICE"]
    assert "NOTIME" not in report.results and "regularMarketTime" in report.errors["NOTIME"]

    excluded, _ = await scan(edited_qqq, Rules(max_dte=3, min_return_pct=10), ["QQQ"])
    assert excluded.results["QQQ"].rejected["earnings"] > 0
    assert all(not c.spans_earnings for c in excluded.results["QQQ"].candidates)


async def test_the_document_is_schema_2_with_every_new_field() -> None:
    report, _ = await scan(QQQ_DIR, LOOSE, ["QQQ"])
    document = report_document(
        report, "abc", ScanKind.ADHOC, source_namespace="snapshot:1234", market_open=False
    )
    assert document["schema"] == SCHEMA_VERSION == 2
    scan_object = document["scan"]
    assert scan_object["source_namespace"] == "snapshot:1234"
    assert scan_object["market_open"] is False and scan_object["cached_answers"] == 0
    assert scan_object["criteria"]["earnings"] == "exclude"
    assert scan_object["criteria"]["min_bid"] == 0.05
    ticker = document["results"]["QQQ"]
    assert {
        "market_state",
        "next_earnings",
        "intrinsic_value_source",
        "expirations",
        "top_rejections",
    } <= set(ticker)
    assert [e["expiration"] for e in ticker["expirations"]] == [
        "2026-11-23",
        "2026-11-24",
        "2026-11-25",
    ]
    assert set(ticker["expirations"][0]) == {
        "expiration",
        "dte",
        "forward",
        "forward_source",
        "atm_iv",
        "expected_move",
        "expected_move_pct",
    }
    counts = sorted(ticker["rejected"].values(), reverse=True)
    assert [r["count"] for r in ticker["top_rejections"]] == counts[:2]
    for candidate in ticker["candidates"]:
        assert {"iv_yahoo", "pop", "cushion_pct", "spans_earnings"} <= set(candidate)
    json.dumps(document, allow_nan=False)  # strict JSON
