"""Config `cash`, the covered-call config keys, and marks in `positions list` (SPEC 9)."""

from __future__ import annotations

import json
import re
import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import oracle
from wheelscan.cli.main import app
from wheelscan.config import ConfigError, load_settings, set_value
from wheelscan.core.cash import fits, free_cash, with_fits
from wheelscan.core.ledger import SELL, SHARES, Event
from wheelscan.core.positions import fold
from wheelscan.positions import append_events
from wheelscan.store import Store
from wheelscan.store.answers import read_answer
from wheelscan.yahoo.demo import DemoMarket, _epoch

runner = CliRunner()


def test_free_cash_is_cash_less_the_open_puts_collateral() -> None:
    day = datetime(2026, 11, 2).date()
    state = fold(
        [
            Event(SELL, day, 2, 1.10, contract="KO261218P00060000"),
            Event(SHARES, day, 100, 50.0, "T"),
            Event(SELL, day, 1, 0.30, contract="T261218C00055000"),  # a call holds no cash
        ]
    )
    assert free_cash(None, state) is None
    assert free_cash(20_000.0, state) == 20_000.0 - 2 * 60 * 100
    assert fits(8_000.0, 8_000.0) is True and fits(8_000.01, 8_000.0) is False
    assert fits(100.0, None) is None
    results = {
        "KO": {"candidates": [{"collateral": 5_500.0}, {"collateral": 9_000.0}], "rejected": {}},
        "PEP": {"candidates": []},
    }
    marked = with_fits(results, free_cash(20_000.0, state))
    assert [c["fits"] for c in marked["KO"]["candidates"]] == [True, False]
    assert marked["PEP"]["candidates"] == [] and "fits" not in results["KO"]["candidates"][0]


def test_call_criteria_and_cash_are_config_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    set_value("call_max_delta", "0.25", path)
    set_value("call_min_strike", "basis", path)
    set_value("cash", "25000", path)
    settings = load_settings(path)
    assert settings.calls.max_delta == 0.25 and settings.calls.min_strike == "basis"
    assert settings.calls.min_return_pct == 12.0 and settings.cash == 25_000.0
    assert settings.value("call_max_delta") == 0.25
    with pytest.raises(ConfigError, match="call_min_strike must be one of adjusted, basis, none"):
        set_value("call_min_strike", "low", path)
    with pytest.raises(ConfigError, match="cash must be >= 0"):
        set_value("cash", "-1", path)
    path.write_text("cash = 1000\n\ncall_min_dte = 9\ncall_max_dte = 7\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert str(refused.value).startswith(f"{path}:3: call min DTE 9 is above call max DTE 7")


def _next_friday(today: Any, days: int) -> Any:
    day = today + timedelta(days=days)
    return day + timedelta(days=(4 - day.weekday()) % 7)


def test_positions_list_marks_shorts_from_the_kept_answers(wheelscan_home: Path) -> None:
    """After `calls` kept KO's answers, `positions list` marks the open call from them with
    no request; the put on a symbol without shares needs `--fetch`."""
    wheelscan_home.mkdir(parents=True, exist_ok=True)
    (wheelscan_home / "config.toml").write_text('source = "demo"\ncash = 30000\n')
    market = DemoMarket()
    today = datetime.now(oracle.NY).date()
    expiration = next(d for d in market.expirations("KO") if (d - today).days >= 7)
    spot = market.day("KO").price
    calls = market.options_json("KO", _epoch(expiration))["optionChain"]["result"][0]
    call = next(
        row["contractSymbol"]
        for row in calls["options"][0]["calls"]
        if row.get("strike", 0) > spot + 2 and row.get("ask", 0) >= row.get("bid", 0) > 0
    )
    put_day = next(d for d in market.expirations("PEP") if (d - today).days >= 7)
    puts = market.options_json("PEP", _epoch(put_day))["optionChain"]["result"][0]
    put = next(
        row["contractSymbol"]
        for row in reversed(puts["options"][0]["puts"])
        if row.get("strike", 1e9) < market.day("PEP").price * 0.95
        and row.get("ask", 0) >= row.get("bid", 0) > 0
    )
    append_events(
        [
            Event(SHARES, today, 200, 60.0, "KO"),
            Event(SELL, today, 1, 0.50, contract=call),
            Event(SELL, today, 1, 1.00, contract=put),
        ]
    )
    listed = json.loads(runner.invoke(app, ["positions", "list", "--json"]).stdout)
    shorts = {s["contract"]: s for p in listed["positions"] for s in p["short_options"]}
    assert shorts[call]["mark"] is None and shorts[put]["mark"] is None
    put_strike = float(put[-8:]) / 1000
    assert listed["cash"] == {
        "cash": 30000.0,
        "put_collateral": put_strike * 100,
        "free_cash": round(30000.0 - put_strike * 100, 2),
    }

    assert runner.invoke(app, ["calls", "--json"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["positions", "list", "--json"]).stdout)
    shorts = {s["contract"]: s for p in listed["positions"] for s in p["short_options"]}
    kept = read_answer(Store.for_source("demo"), "KO", _epoch(expiration), 600)
    assert kept is not None
    row = next(r for r in kept["body"]["calls"] if r["contractSymbol"] == call)
    mid = (row["bid"] + row["ask"]) / 2
    mark = shorts[call]["mark"]
    assert mark["mid"] == pytest.approx(mid, abs=1e-4)
    assert mark["pl"] == pytest.approx(50.0 - mid * 100, abs=0.01)
    assert mark["pl_pct_of_max"] == pytest.approx((50.0 - mid * 100) / 50.0 * 100, abs=0.1)
    assert mark["itm"] is (kept["body"]["underlying"]["regularMarketPrice"] > row["strike"])
    as_of = datetime.fromtimestamp(kept["body"]["underlying"]["regularMarketTime"], UTC)
    assert mark["dte"] == (expiration - as_of.astimezone(oracle.NY).date()).days
    assert shorts[put]["mark"] is None, "PEP was never asked for"

    fetched = runner.invoke(app, ["positions", "list", "--fetch"])
    assert fetched.exit_code == 0 and fetched.stderr == ""
    assert f"short put  {put}" in fetched.stdout and "% of max)" in fetched.stdout.split(put)[1]


def readme_wheel_commands() -> list[tuple[list[str], str]]:
    """(argv after `wheelscan`, its comment) of each command in README's "Running the
    wheel" code blocks, in order."""
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Running the wheel") :]
    section = section[: section.index("\n## ", 1)]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, re.S):
        for line in block.splitlines():
            command, _, comment = line.partition("#")
            words = shlex.split(command)
            if words:
                assert words[0] == "wheelscan", line
                commands.append((words[1:], comment))
    return commands


def test_the_readmes_wheel_runs_as_printed_and_shows_the_figures_it_names(
    wheelscan_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every command of README's "Running the wheel", on the demo market (config source),
    exits 0 in order; each figure a `positions list` comment names (65.00, +365.00) is in
    that command's output."""
    wheelscan_home.mkdir(parents=True, exist_ok=True)
    (wheelscan_home / "config.toml").write_text('source = "demo"\n')
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broker.csv").write_text("Symbol,Quantity,Average Cost\nMSFT,100,410.50\n")
    commands = readme_wheel_commands()
    assert [words[:2] for words, _ in commands].count(["positions", "assign"]) == 2
    for words, comment in commands:
        done = runner.invoke(app, words)
        assert done.exit_code == 0, (words, done.output)
        if words[:2] == ["positions", "list"]:
            for figure in re.findall(r"[+-]?\d+\.\d\d", comment):
                assert figure in done.stdout, (words, comment, done.stdout)
    state = json.loads(runner.invoke(app, ["positions", "list", "--json"]).stdout)
    assert state, "the ledger holds the cycle"
