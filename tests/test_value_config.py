"""The DCF model's config keys and per-symbol watchlist overrides (SPEC 4), and which wins."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheelscan.cli.main import app
from wheelscan.config import ConfigError, load_settings, set_value
from wheelscan.core.valuation import DcfParams, TrailingCashFlow, ValuationPlan
from wheelscan.watchlist import WatchlistError, load_watchlist, parse_watchlist

runner = CliRunner()

ACME_QUOTE = {"quoteType": "EQUITY", "epsTrailingTwelveMonths": 6.0, "sharesOutstanding": 1e9}
ETF_QUOTE = {"quoteType": "ETF", "sharesOutstanding": 1e9}


def dcf(e: Fraction, g: int, d: int, m: int, n: int) -> float:
    """Year by year, in exact fractions (the product folds the same sum in floats)."""
    growth, discount = 1 + Fraction(g, 100), 1 + Fraction(d, 100)
    years = sum(e * growth**t / discount**t for t in range(1, n + 1))
    return float(years + e * growth**n * m / discount**n)


def test_the_config_keys_set_every_dcf_parameter(wheelscan_home: Path) -> None:
    wheelscan_home.mkdir()
    (wheelscan_home / "config.toml").write_text(
        "dcf_growth_pct = 8\ndcf_discount_pct = 12.5\ndcf_terminal_multiple = 15\n"
        'dcf_years = 7\nvaluation = "fcf"\n'
    )
    settings = load_settings()
    assert settings.dcf == DcfParams(
        growth_pct=8.0, discount_pct=12.5, terminal_multiple=15.0, years=7, method="fcf"
    )
    rows = {key: (value, origin) for key, value, origin in settings.rows()}
    assert rows["dcf_years"] == (7, "config file")
    assert rows["valuation"] == ("fcf", "config file")


def test_without_a_file_the_dcf_defaults_are_the_spec(wheelscan_home: Path) -> None:
    rows = {key: value for key, value, _ in load_settings().rows()}
    assert [rows[k] for k in ("dcf_growth_pct", "dcf_discount_pct", "dcf_terminal_multiple")] == [
        10.0,
        15.0,
        20.0,
    ]
    assert (rows["dcf_years"], rows["valuation"]) == (5, "eps")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("\n\ndcf_discount_pct = -1\n", ":3: dcf_discount_pct must be in [0, 100], got -1"),
        ("dcf_years = 2.5\n", ":1: dcf_years must be a whole number, got 2.5"),
        ('dcf_growth_pct = "ten"\n', ":1: dcf_growth_pct must be a number"),
        ('valuation = "pe"\n', ":1: valuation must be one of eps, fcf, got 'pe'"),
        ("dcf_terminal_multiple = inf\n", ":1: dcf_terminal_multiple must be a finite number"),
    ],
)
def test_a_bad_dcf_key_names_its_line(wheelscan_home: Path, text: str, needle: str) -> None:
    wheelscan_home.mkdir()
    path = wheelscan_home / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"{path}{needle}")


def test_config_set_takes_a_dcf_key_and_refuses_a_bad_one(wheelscan_home: Path) -> None:
    assert set_value("dcf_growth_pct", "7")[0] == 7.0
    assert load_settings().dcf.growth_pct == 7.0
    result = runner.invoke(app, ["config", "set", "dcf_years", "0"])
    assert result.exit_code == 2
    assert result.output.strip() == "wheelscan: error: dcf_years must be in [1, 50], got 0"


WATCHLIST = """\
[tickers.AAPL]
active = true

[tickers.KO]
valuation = "fcf"
dcf_growth_pct = 6
dcf_years = 10

[tickers.MSFT]
intrinsic_value = 400.0
valuation = "fcf"
"""


def test_watchlist_overrides_are_read_per_symbol(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.toml"
    path.write_text(WATCHLIST)
    watchlist = load_watchlist(path)
    assert watchlist.value_overrides() == {
        "KO": {"method": "fcf", "growth_pct": 6.0, "years": 10},
        "MSFT": {"method": "fcf"},
    }
    assert watchlist.get("KO").to_json()["overrides"] == {
        "valuation": "fcf",
        "dcf_growth_pct": 6.0,
        "dcf_years": 10,
    }


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("dcf_growth_pct = -100", "KO.dcf_growth_pct must be in (-100, 100], got -100"),
        ("dcf_years = 5.5", "KO.dcf_years must be a whole number, got 5.5"),
        ('valuation = "book"', "KO.valuation must be one of eps, fcf, got 'book'"),
        ("dcf_discount_pct = true", "KO.dcf_discount_pct must be a number, got True"),
        ("dcf_growth = 5", "unknown key 'dcf_growth' for KO"),
    ],
)
def test_a_bad_override_names_the_file_and_the_symbols_line(
    tmp_path: Path, override: str, needle: str
) -> None:
    path = tmp_path / "watchlist.toml"
    text = f"[tickers.AAPL]\nactive = true\n\n[tickers.KO]\n{override}\n"
    with pytest.raises(WatchlistError) as caught:
        parse_watchlist(text, path)
    assert str(caught.value).startswith(f"{path}:4: ")
    assert needle in str(caught.value)


def test_overrides_sit_on_the_config_defaults_and_a_manual_value_wins(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.toml"
    path.write_text(WATCHLIST)
    watchlist = load_watchlist(path)
    defaults = DcfParams(discount_pct=12.0)
    plan = ValuationPlan(defaults, watchlist.intrinsic_values(), watchlist.value_overrides())
    assert plan.params_for("KO") == DcfParams(
        growth_pct=6.0, discount_pct=12.0, years=10, method="fcf"
    )
    assert plan.params_for("AAPL") == defaults
    cash_flow = TrailingCashFlow(free_cash_flow=3e9)
    manual = plan.value("MSFT", ACME_QUOTE, cash_flow)
    assert (manual.value, manual.source, manual.method) == (400.0, "manual", "fcf")
    assert not plan.needs_cash_flow("MSFT", ACME_QUOTE), "a manual value needs no request"
    fcf = plan.value("KO", ACME_QUOTE, cash_flow)
    assert fcf.source == "dcf_fcf"
    assert math.isclose(fcf.value, dcf(Fraction(3), 6, 12, 20, 10), rel_tol=1e-12)
    eps = plan.value("AAPL", ACME_QUOTE)
    assert eps.source == "dcf_eps"
    assert math.isclose(eps.value, dcf(Fraction(6), 10, 12, 20, 5), rel_tol=1e-12)


def test_only_an_fcf_equity_without_a_manual_value_needs_its_cash_flow() -> None:
    plan = ValuationPlan(overrides={"KO": {"method": "fcf"}, "SPY": {"method": "fcf"}})
    assert plan.needs_cash_flow("KO", ACME_QUOTE)
    assert not plan.needs_cash_flow("SPY", ETF_QUOTE)
    assert not plan.needs_cash_flow("AAPL", ACME_QUOTE)
    etf = plan.value("SPY", ETF_QUOTE)
    assert (etf.value, etf.source, etf.reason) == (None, None, "not an equity (ETF)")
