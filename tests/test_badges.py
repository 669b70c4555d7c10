"""Intrinsic-value badges (SPEC 4) in the JSON document and the table, and the valuation line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheelscan.cli.main import app
from wheelscan.cli.tables import valuation_lines
from wheelscan.core.valuation import badge_for, discount_pct

runner = CliRunner()


@pytest.mark.parametrize(
    ("strike", "value", "badge"),
    [
        (100.0, 100.0, "good"),  # K equal to the value is good
        (99.99, 100.0, "good"),
        (100.01, 100.0, "high"),
        (100.0, None, "n/a"),
    ],
)
def test_badge_boundaries(strike: float, value: float | None, badge: str) -> None:
    assert badge_for(strike, value) == badge


def test_discount_is_value_minus_price_over_value() -> None:
    assert discount_pct(180.0, 200.0) == pytest.approx(10.0)
    assert discount_pct(220.0, 200.0) == pytest.approx(-10.0)
    assert discount_pct(180.0, None) is None


LOOSE = ["--min-return", "1", "--max-delta", "0.5"]  # candidates whatever the demo's day


def scan_json(*args: str) -> dict:
    result = runner.invoke(app, ["scan", *args, *LOOSE, "--source", "demo", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_candidate_carries_the_badge_of_its_watchlist_value(wheelscan_home: Path) -> None:
    before = scan_json("AAPL")["results"]["AAPL"]
    strikes = sorted({c["strike"] for c in before["candidates"]})
    assert len(strikes) >= 2, "the demo gives several candidate strikes"
    assert before["intrinsic_value_source"] != "manual"
    value = strikes[len(strikes) // 2]  # exactly one candidate's strike: the boundary
    assert runner.invoke(app, ["watchlist", "set-value", "aapl", str(value)]).exit_code == 0

    after = scan_json("AAPL")["results"]["AAPL"]
    assert after["intrinsic_value"] == value and after["intrinsic_value_source"] == "manual"
    badges = {c["strike"]: c["badge"] for c in after["candidates"]}
    assert badges[value] == "good"
    for strike, badge in badges.items():
        assert badge == ("good" if strike <= value else "high")
    assert set(badges.values()) == {"good", "high"}


def test_the_table_shows_badges_and_a_valuation_line(wheelscan_home: Path) -> None:
    assert runner.invoke(app, ["watchlist", "set-value", "KO", "1000"]).exit_code == 0
    wide = {"COLUMNS": "160"}  # the Badge column is dropped first at narrow widths
    result = runner.invoke(
        app, ["scan", "KO", "SPY", *LOOSE, "--source", "demo", "--top", "0"], env=wide
    )
    assert result.exit_code == 0, result.output
    document = scan_json("KO", "SPY")
    price = document["results"]["KO"]["underlying_price"]
    below = round((1000 - price) / 1000 * 100)
    ko_lines = [line for line in result.stdout.splitlines() if line.startswith("KO: price")]
    assert ko_lines == [
        f"KO: price {price:.2f}, intrinsic value 1000.00, {below} % below value"
        f" ({len(document['results']['KO']['candidates'])} good)"
    ]
    assert not any(line.startswith("SPY: price") for line in result.stdout.splitlines()), (
        "an ETF has no intrinsic value"
    )
    assert "good" in result.stdout and "n/a" in result.stdout


def test_valuation_lines_say_above_or_below_value_and_skip_tickers_without_one() -> None:
    results = {
        "A": {"underlying_price": 90.0, "intrinsic_value": 100.0, "candidates": []},
        "B": {"underlying_price": 90.0, "intrinsic_value": None, "candidates": []},
        "C": {"underlying_price": 111.6, "intrinsic_value": 100.0, "candidates": []},
    }
    assert valuation_lines(results) == [
        "A: price 90.00, intrinsic value 100.00, 10 % below value",
        "C: price 111.60, intrinsic value 100.00, 12 % above value",
    ]
