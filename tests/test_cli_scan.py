"""`wheelscan scan` as a user runs it: the JSON document and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import wheelscan
from wheelscan.core.scan_record import SCHEMA_VERSION

QQQ_DIR = Path(__file__).parent / "fixtures" / "qqq"

CANDIDATE_KEYS = {
    "contract", "expiration", "dte", "strike", "bid", "ask", "mid", "last", "iv", "delta",
    "prob_otm", "annualized_return_pct", "otm_pct", "spread_pct", "open_interest", "volume",
    "collateral", "breakeven", "badge", "iv_yahoo", "pop", "cushion_pct", "spans_earnings",
    "pe_at_strike", "fits",
}  # fmt: skip
SCAN_KEYS = {
    "id", "kind", "state", "started_at", "finished_at", "duration_s", "as_of", "source",
    "criteria", "tickers_scanned", "requests", "errors", "source_namespace", "market_open",
    "cached_answers", "message",
}  # fmt: skip
RESULT_KEYS = {
    "underlying_price", "as_of", "intrinsic_value", "rejected", "candidates", "market_state",
    "next_earnings", "intrinsic_value_source", "valuation", "expirations", "top_rejections",
}  # fmt: skip


def test_scan_json_is_one_document_of_the_current_schema() -> None:
    done = wheelscan(
        "scan", "QQQ", "--source", f"snapshot:{QQQ_DIR}", "--max-dte", "3",
        "--min-return", "10", "--max-delta", "0.35", "--rate", "4", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # stdout holds the document and nothing else
    assert document["schema"] == SCHEMA_VERSION
    assert set(document["scan"]) == SCAN_KEYS
    scan = document["scan"]
    assert scan["kind"] == "adhoc"
    assert scan["state"] == "SUCCEEDED"
    assert scan["requests"] == 3
    assert scan["criteria"]["max_dte"] == 3
    assert scan["as_of"] == "2026-11-23T15:45:02-05:00"
    result = document["results"]["QQQ"]
    assert set(result) == RESULT_KEYS
    assert result["candidates"], "the fixture has candidates under these criteria"
    for candidate in result["candidates"]:
        assert set(candidate) == CANDIDATE_KEYS
        assert len(candidate["expiration"]) == 10
    keys = [(c["expiration"], -c["strike"]) for c in result["candidates"]]
    assert keys == sorted(keys)


def test_demo_watchlist_scan_prints_a_table() -> None:
    done = wheelscan("scan", "--source", "demo")
    assert done.returncode == 0, done.stderr
    assert "SUCCEEDED" in done.stdout
    assert "Strike" in done.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["scan", "--source", "nowhere"], "unknown source"),
        (["scan", "--source", "snapshot:/no/such/dir"], "does not exist"),
        (["scan", "A/B", "--source", "demo"], "invalid symbol"),
        (["scan", "--weeks", "0", "--source", "demo"], "weeks"),
        (["scan", "--min-return", "-5", "--source", "demo"], "min return"),
        (["scan", "--max-delta", "1.5", "--source", "demo"], "delta"),
        (["scan", "--max-delta", "0", "--source", "demo"], "delta"),
        (["scan", "--min-dte", "abc"], "--min-dte"),
        (["scan", "--no-such-option"], "no-such-option"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], needle: str) -> None:
    done = wheelscan(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert needle in lines[0]
    assert "Traceback" not in done.stderr


def test_a_scan_where_nothing_can_be_fetched_exits_1(tmp_path: Path) -> None:
    (tmp_path / "OTHER.json").write_text((QQQ_DIR / "QQQ.json").read_text())
    done = wheelscan("scan", "AAA", "BBB", "--source", f"snapshot:{tmp_path}", "--json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["scan"]["state"] == "FAILED"
    assert set(document["scan"]["errors"]) == {"AAA", "BBB"}
