"""config.toml: precedence, validation errors through the CLI, atomic writes."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheelscan import files
from wheelscan.cli.main import app
from wheelscan.cli.options import CriteriaOptions
from wheelscan.config import (
    COMMAND_LINE,
    CONFIG_FILE_ORIGIN,
    DEFAULT,
    Settings,
    effective_settings,
    key_line,
    load_settings,
    set_value,
)
from wheelscan.core.models import Criteria

runner = CliRunner()


def write_config(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


def test_defaults_are_the_spec_criteria_and_need_no_file(wheelscan_home: Path) -> None:
    settings = load_settings()
    assert settings.criteria == Criteria()
    assert (settings.results_ttl_minutes, settings.lock_ttl_s) == (45.0, 60.0)
    assert (settings.source, settings.concurrency, settings.allow_closed) == ("yahoo", 8, False)
    assert set(settings.origins.values()) == {DEFAULT}
    assert not wheelscan_home.exists(), "reading settings writes nothing"


def test_command_line_over_config_over_defaults(wheelscan_home: Path) -> None:
    write_config(
        wheelscan_home,
        "# mine\nweeks = 2\nmin_return_pct = 25\nmax_delta = 0.3\nsource = 'demo'\n"
        "concurrency = 3\nlock_ttl_s = 5\nallow_closed = true\n",
    )
    settings = effective_settings(CriteriaOptions(max_delta=0.25, min_oi=10), source="yahoo")
    criteria = settings.criteria
    assert criteria.max_dte == 14  # weeks from the file
    assert criteria.min_return_pct == 25.0  # the file
    assert criteria.max_delta == 0.25  # the command line beats the file
    assert criteria.min_open_interest == 10  # the command line beats the default
    assert criteria.min_dte == 1  # the default
    assert settings.source == "yahoo"
    assert (settings.concurrency, settings.lock_ttl_s, settings.allow_closed) == (3, 5.0, True)
    origins = settings.origins
    assert origins["max_delta"] == COMMAND_LINE
    assert origins["min_open_interest"] == COMMAND_LINE
    assert origins["source"] == COMMAND_LINE
    assert origins["min_return_pct"] == CONFIG_FILE_ORIGIN
    assert origins["max_dte"].startswith(CONFIG_FILE_ORIGIN)
    assert origins["min_dte"] == DEFAULT


def test_command_line_weeks_beats_config_max_dte(wheelscan_home: Path) -> None:
    write_config(wheelscan_home, "max_dte = 10\n")
    assert effective_settings(CriteriaOptions(weeks=3)).criteria.max_dte == 21
    assert effective_settings().criteria.max_dte == 10


def test_config_show_names_each_origin(wheelscan_home: Path) -> None:
    write_config(wheelscan_home, "min_return_pct = 12.5\n")
    result = runner.invoke(app, ["config", "show", "--json", "--max-delta", "0.4"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)["settings"]
    assert shown["min_return_pct"] == {"value": 12.5, "origin": CONFIG_FILE_ORIGIN}
    assert shown["max_delta"] == {"value": 0.4, "origin": COMMAND_LINE}
    assert shown["min_dte"] == {"value": 1, "origin": DEFAULT}
    assert shown["max_spread_pct"] == {"value": 40.0, "origin": DEFAULT}
    assert shown["min_bid"] == {"value": 0.05, "origin": DEFAULT}
    assert shown["earnings"] == {"value": "exclude", "origin": DEFAULT}


def test_config_set_validates_keeps_comments_and_is_private(wheelscan_home: Path) -> None:
    path = write_config(wheelscan_home, "# my scanner\nmin_dte = 2 # two days\n\nsource = 'demo'\n")
    result = runner.invoke(app, ["config", "set", "max_delta", "0.3"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["config", "set", "min_dte", "3"])
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith("# my scanner\nmin_dte = 3 # two days\n")
    assert text.index("source") < text.index("max_delta")
    assert load_settings().criteria.max_delta == 0.3
    assert path.stat().st_mode & 0o777 == 0o600


def test_config_set_creates_the_file_and_dir_privately(wheelscan_home: Path) -> None:
    result = runner.invoke(app, ["config", "set", "allow_closed", "yes"])
    assert result.exit_code == 0, result.output
    assert wheelscan_home.stat().st_mode & 0o777 == 0o700
    assert (wheelscan_home / "config.toml").stat().st_mode & 0o777 == 0o600
    assert load_settings().allow_closed is True


def test_weeks_and_max_dte_replace_each_other(wheelscan_home: Path) -> None:
    set_value("weeks", "2")
    _, removed = set_value("max_dte", "9")
    assert removed == ["weeks"]
    assert load_settings().criteria.max_dte == 9


def test_config_unset_restores_the_default(wheelscan_home: Path) -> None:
    set_value("concurrency", "4")
    assert runner.invoke(app, ["config", "unset", "concurrency"]).exit_code == 0
    assert load_settings().origins["concurrency"] == DEFAULT


BAD_FILES = [
    ("min_dte = [1\n", "not valid TOML"),
    ("min_dte = 1\nmin_dt = 2\n", ":2: unknown key 'min_dt' (did you mean 'min_dte'?)"),
    ("\n\nmax_delta = 'x'\n", ":3: max_delta must be a number, got 'x' (string)"),
    ("min_dte = 1.5\n", ":1: min_dte must be a whole number"),
    ("allow_closed = 1\n", ":1: allow_closed must be true or false"),
    ("concurrency = 0\n", ":1: concurrency must be in [1, 64]"),
    ("max_delta = 1.5\n", ":1: max_delta must be in (0, 1]"),
    ("source = 'web'\n", ":1: source must be one of"),
    ("min_return_pct = nan\n", ":1: min_return_pct must be a number, got nan"),
    ("[criteria]\nmin_dte = 1\n", ":1: unknown key 'criteria'"),
    ("weeks = 2\nmax_dte = 10\n", ":2: set weeks or max_dte, not both"),
    ("min_dte = 9\nmax_dte = 5\n", ":1: min DTE 9 is above max DTE 5"),
    ("source = 'demo'\nweeks = 1\nmin_dte = 9\n", ":2: min DTE 9 is above max DTE 7"),
    ("source = 'snapshot: '\n", ":1: source must be one of yahoo, demo or snapshot:DIR"),
    ("\nearnings = 'skip'\n", ":2: earnings must be one of exclude, flag, ignore, got 'skip'"),
    ("earnings = 1\n", ":1: earnings must be a string, got 1 (integer)"),
    ("min_bid = -0.01\n", ":1: min_bid must be >= 0, got -0.01"),
]


@pytest.mark.parametrize(("text", "needle"), BAD_FILES)
def test_a_bad_config_file_is_one_line_and_exit_2(
    wheelscan_home: Path, text: str, needle: str
) -> None:
    path = write_config(wheelscan_home, text)
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"wheelscan: error: {path}")
    assert needle in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["nope", "1"], "unknown key 'nope'"),
        (["min_dte", "two"], "min_dte must be a whole number, got 'two'"),
        (["max_delta", "0"], "max_delta must be in (0, 1]"),
        (["allow_closed", "maybe"], "allow_closed must be true or false"),
        (["results_ttl_minutes", "-1"], "results_ttl_minutes must be > 0"),
        (["earnings", "Exclude"], "earnings must be one of exclude, flag, ignore"),
        (["min_bid", "cheap"], "min_bid must be a number, got 'cheap'"),
    ],
)
def test_config_set_refuses_bad_values(wheelscan_home: Path, args: list[str], needle: str) -> None:
    result = runner.invoke(app, ["config", "set", *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("wheelscan: error: ")
    assert needle in lines[0]
    assert not (wheelscan_home / "config.toml").exists()


def test_a_bad_config_fails_a_real_scan_process_with_exit_2(wheelscan_home: Path) -> None:
    path = write_config(wheelscan_home, "max_delta = true\n")
    done = subprocess.run(
        [sys.executable, "-m", "wheelscan", "scan", "AAPL", "--source", "demo", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WHEELSCAN_HOME": str(wheelscan_home)},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"wheelscan: error: {path}:1: max_delta must be a number, got true (boolean)"
    ]


def test_config_set_refuses_a_value_that_would_break_the_file(wheelscan_home: Path) -> None:
    set_value("min_dte", "20")
    path = wheelscan_home / "config.toml"
    before = path.read_bytes()
    result = runner.invoke(app, ["config", "set", "max_dte", "10"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "wheelscan: error: config.toml not changed: min DTE 20 is above max DTE 10"
    )
    assert path.read_bytes() == before
    assert runner.invoke(app, ["config", "set", "weeks", "3"]).exit_code == 0
    assert load_settings().criteria.max_dte == 21


def test_core_records_and_config_load_no_numpy() -> None:
    script = (
        "import sys\n"
        "import wheelscan.config, wheelscan.core.models, wheelscan.core.sources\n"
        "import wheelscan.cli.options\n"
        "print(sorted(m for m in ('numpy', 'yfinance', 'diskcache') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_key_line_finds_quoted_keys_and_tables() -> None:
    text = 'a = 1\n"min_dte" = 2\n[ criteria ]\n'
    assert key_line(text, "min_dte") == 2
    assert key_line(text, "criteria") == 3
    assert key_line(text, "missing") is None


def test_max_spread_inf_round_trips(wheelscan_home: Path) -> None:
    set_value("max_spread_pct", "15")
    set_value("max_spread_pct", "inf")
    assert math.isinf(load_settings().criteria.max_spread_pct)


def test_atomic_write_survives_a_crash_before_the_rename(
    wheelscan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_value("min_dte", "2")
    path = wheelscan_home / "config.toml"
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("simulated crash between write and rename")

    with monkeypatch.context() as patch:
        patch.setattr(files.os, "replace", crash)
        with pytest.raises(OSError, match="simulated crash"):
            set_value("min_dte", "5")
    assert path.read_bytes() == before
    assert sorted(p.name for p in wheelscan_home.iterdir()) == ["config.toml"]
    assert load_settings().criteria.min_dte == 2


def test_a_scan_takes_its_source_and_criteria_from_the_config(wheelscan_home: Path) -> None:
    set_value("source", "demo")
    set_value("max_dte", "9")
    set_value("min_return_pct", "12")
    result = runner.invoke(app, ["scan", "KO", "--json", "--min-return", "15"])
    assert result.exit_code == 0, result.output
    scan = json.loads(result.stdout)["scan"]
    assert scan["source"] == "demo"
    assert scan["criteria"]["max_dte"] == 9
    assert scan["criteria"]["min_return_pct"] == 15.0


def test_settings_carry_every_setting_from_the_file(wheelscan_home: Path) -> None:
    write_config(
        wheelscan_home,
        "concurrency = 3\nrate_limit_per_s = 2\nresults_ttl_minutes = 5\nlock_ttl_s = 7\n",
    )
    settings = effective_settings(source="demo", allow_closed=True)
    assert (settings.source, settings.concurrency, settings.rate_limit_per_s) == ("demo", 3, 2.0)
    assert isinstance(settings.rate_limit_per_s, float)
    assert (settings.results_ttl_minutes, settings.lock_ttl_s, settings.allow_closed) == (
        5.0,
        7.0,
        True,
    )
    assert settings.criteria == Criteria()
    assert settings == Settings(
        source="demo",
        concurrency=3,
        rate_limit_per_s=2.0,
        results_ttl_minutes=5.0,
        lock_ttl_s=7.0,
        allow_closed=True,
    )


def test_the_v2_criteria_come_from_the_file_and_the_command_line(wheelscan_home: Path) -> None:
    write_config(wheelscan_home, "earnings = 'flag'\nmin_bid = 0.1\n")
    criteria = effective_settings().criteria
    assert (criteria.earnings, criteria.min_bid) == ("flag", 0.1)
    over = effective_settings(CriteriaOptions(earnings="ignore", min_bid=0.0)).criteria
    assert (over.earnings, over.min_bid) == ("ignore", 0.0)
    assert set_value("earnings", "exclude") == ("exclude", [])
    assert load_settings().criteria.earnings == "exclude"
