"""`wheelscan value` through the console entry, in its own WHEELSCAN_HOME: it agrees with
the scan's badges, says why an ETF has no value, and replays a snapshot's fundamentals."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from cli_support import Ran, wheelscan
from wheelscan.core.scan_record import SCHEMA_VERSION

NOW = "2026-11-18T11:00:00-05:00"
LOOSE = ("--min-return", "5", "--max-delta", "0.5")


def run(home: Path, *args: str) -> Ran:
    return wheelscan(*args, home=home, env={"WHEELSCAN_DEMO_NOW": NOW})


def document(home: Path, *args: str) -> dict[str, Any]:
    done = run(home, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def said(price: float, value: float) -> str:
    """How far the price is from the value, as a trader says it (whole percent of the value)."""
    pct = (value - price) / value * 100
    return f"{abs(pct):.0f} % {'below' if pct > 0 else 'above'} value"


def test_value_agrees_with_the_scans_badges(wheelscan_home: Path) -> None:
    wheelscan_home.mkdir()
    (wheelscan_home / "config.toml").write_text("dcf_growth_pct = 20\n")
    scanned = document(wheelscan_home, "scan", "AAPL", "SPY", "--source", "demo", *LOOSE)
    valued = document(wheelscan_home, "value", "AAPL", "SPY", "--source", "demo")
    assert valued["schema"] == SCHEMA_VERSION
    assert valued["source_namespace"] == "demo"
    aapl = valued["values"]["AAPL"]
    assert aapl["quote_from"] == "answer cache", "the quote the scan used"
    assert aapl["intrinsic_value_source"] == "dcf_eps"
    assert aapl["inputs"]["growth_pct"] == 20.0
    result = scanned["results"]["AAPL"]
    assert aapl["intrinsic_value"] == result["intrinsic_value"]
    assert aapl["price"] == result["underlying_price"]
    value = Fraction(aapl["intrinsic_value"])
    badges = [(c["badge"], Fraction(c["strike"]) <= value) for c in result["candidates"]]
    assert {badge for badge, _ in badges} == {"good", "high"}
    assert all((badge == "good") == below for badge, below in badges)
    assert aapl["price_vs_value"] == said(aapl["price"], aapl["intrinsic_value"])
    spy = valued["values"]["SPY"]
    assert (spy["intrinsic_value"], spy["intrinsic_value_source"]) == (None, None)
    assert spy["reason"] == "not an equity (ETF)"
    assert {c["badge"] for c in scanned["results"]["SPY"]["candidates"]} == {"n/a"}


def test_value_without_a_scan_asks_once_and_reads_like_a_sentence(wheelscan_home: Path) -> None:
    first = document(wheelscan_home, "value", "KO", "--source", "demo")
    assert first["values"]["KO"]["quote_from"] == "source"
    done = run(wheelscan_home, "value", "KO", "SPY", "--source", "demo")
    assert done.returncode == 0, done.stderr
    banner, *lines = done.stdout.splitlines()
    assert banner.startswith("DEMO")
    ko = first["values"]["KO"]
    price, value = ko["price"], ko["intrinsic_value"]
    assert lines[0].startswith(f"KO     price {price:,.2f}  value {value:,.2f}")
    assert lines[0].endswith(f"(dcf_eps)  {said(price, value)}")
    eps = ko["inputs"]["eps"]
    assert lines[1].split() == [
        *f"EPS {eps:g} · growth 10 % · discount 15 % · multiple 20 · 5 years".split()
    ]
    assert lines[2].endswith("value n/a: not an equity (ETF)")
    assert max(len(line) for line in lines) <= 80


def test_a_snapshot_records_and_replays_the_fcf_value(wheelscan_home: Path, tmp_path: Path) -> None:
    wheelscan_home.mkdir()
    (wheelscan_home / "watchlist.toml").write_text(
        '[tickers.AAPL]\nactive = true\n\n[tickers.KO]\nvaluation = "fcf"\n'
    )
    snapshot = tmp_path / "snapshot"
    done = run(wheelscan_home, "snapshot", "record", str(snapshot), "--source", "demo", *LOOSE)
    assert done.returncode == 0, done.stderr
    assert (snapshot / "KO.fundamentals.json").is_file()
    assert not (snapshot / "AAPL.fundamentals.json").exists()
    source = f"snapshot:{snapshot}"
    valued = document(wheelscan_home, "value", "--source", source)
    ko = valued["values"]["KO"]
    assert ko["quote_from"] == "source" and ko["intrinsic_value_source"] == "dcf_fcf"
    quote = json.loads((snapshot / "KO.json").read_text())["optionChain"]["result"][0]["quote"]
    assert ko["inputs"]["shares_outstanding"] == quote["sharesOutstanding"]
    replayed = document(wheelscan_home, "scan", "--source", source, *LOOSE)
    assert replayed["results"]["KO"]["intrinsic_value"] == ko["intrinsic_value"]
    assert replayed["results"]["KO"]["intrinsic_value_source"] == "dcf_fcf"
    assert valued["values"]["AAPL"]["intrinsic_value_source"] == "dcf_eps"


def test_a_bad_override_is_one_line_naming_the_file_and_exit_2(wheelscan_home: Path) -> None:
    wheelscan_home.mkdir()
    path = wheelscan_home / "watchlist.toml"
    path.write_text("[tickers.AAPL]\nactive = true\n\n[tickers.KO]\ndcf_years = 0\n")
    done = run(wheelscan_home, "value", "--source", "demo")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"wheelscan: error: {path}:4: KO.dcf_years must be in [1, 50], got 0"
    ]


def test_a_symbol_without_a_quote_is_its_error_line(wheelscan_home: Path) -> None:
    qqq = Path(__file__).parent / "fixtures" / "qqq"
    done = run(wheelscan_home, "value", "QQQ", "ZZZZ", "--source", f"snapshot:{qqq}", "--json")
    assert done.returncode == 0, done.stderr
    valued = json.loads(done.stdout)
    assert valued["values"]["QQQ"]["reason"] == "not an equity (ETF)"
    assert list(valued["errors"]) == ["ZZZZ"]
    assert done.stderr.startswith("wheelscan: warning: ZZZZ: ")
    done = run(wheelscan_home, "value", "ZZZZ", "--source", f"snapshot:{qqq}")
    assert done.returncode == 1


def test_demo_values_say_demo_and_live_ones_do_not_pretend(wheelscan_home: Path) -> None:
    done = run(wheelscan_home, "value", "KO", "--source", "demo")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "DEMO market: simulated prices, not live"
    assert done.stdout.count("DEMO") == 1, "one marker, not one per line"
