"""`--help` of every command as a user reads it: no value shown after a flag, `-h` the same
as `--help`, the criteria's defaults shown, shell completion offered; one-line refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli_support import wheelscan
from wheelscan.cli.main import app
from wheelscan.core.models import CRITERIA

runner = CliRunner()


def command_paths(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from command_paths(sub, (*path, name))


ALL_COMMANDS = list(command_paths(typer.main.get_command(app)))


def test_the_command_tree_is_walked() -> None:
    assert {("scan",), ("watchlist", "clear"), ("snapshot", "record")} <= set(ALL_COMMANDS)


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda path: " ".join(path) or "wheelscan")
def test_help_shows_no_value_after_a_flag_and_h_is_help(path: tuple[str, ...]) -> None:
    long = runner.invoke(app, [*path, "--help"], terminal_width=100)
    short = runner.invoke(app, [*path, "-h"], terminal_width=100)
    assert long.exit_code == 0, long.output
    assert short.output == long.output
    assert "<bool>" not in long.output
    assert "SPEC" not in long.output
    assert "Usage: wheelscan" in long.output


def option_help(text: str, option: str) -> str:
    """The help panel's rows of `option`, up to the next option, as one string."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if f"│ {option} " in line)
    end = next((i for i in range(start + 1, len(lines)) if "│ --" in lines[i]), len(lines))
    return " ".join(line.strip("│ ") for line in lines[start:end])


def test_help_shows_the_criteria_defaults_and_completion() -> None:
    text = runner.invoke(app, ["scan", "--help"]).output
    for option, name in (("--min-return", "min_return_pct"), ("--max-delta", "max_delta")):
        shown = option_help(text, option)
        assert f"[default: ({CRITERIA[name].default:g})]" in shown, shown
    assert "[default: (ann)]" in option_help(text, "--sort")
    assert "[default: (20)]" in option_help(text, "--top")
    root = runner.invoke(app, ["--help"], terminal_width=200).output
    assert "--install-completion" in root and "--show-completion" in root


def test_completion_script_names_the_program() -> None:
    done = wheelscan("--show-completion", "bash")
    assert done.returncode == 0, done.stderr
    assert "_WHEELSCAN_COMPLETE" in done.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["scan", "--top", "-1", "--source", "demo"], "--top"),
        (["scan", "--sort", "nonsense", "--source", "demo"], "--sort: unknown field 'nonsense'"),
        (["scan", "KO", "--json", "--top", "3", "--source", "demo"], "--json prints every"),
        (["results", "--sort", "nope"], "--sort"),
        (["scan", "--earnings", "sometimes", "--source", "demo"], "earnings must be one of"),
        (["--no-such-flag"], "No such option"),
    ],
)
def test_bad_table_options_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    done = wheelscan(*args)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("wheelscan: error: ") and needle in line


def test_a_group_without_a_command_shows_its_help_without_an_error_line() -> None:
    done = wheelscan("watchlist")
    assert "Usage: wheelscan watchlist" in done.stdout
    assert "error" not in done.stderr


def test_results_for_a_ticker_the_scan_did_not_cover_is_exit_2(refreshed_home: Path) -> None:
    demo = ["--source", "demo"]
    listed = json.loads(wheelscan("results", "--json", *demo).stdout)
    assert listed["results"] and "ZZZZ" not in listed["results"]
    for args in (["results", "ZZZZ"], ["results", "--json", "ZZZZ"], ["results", "zzzz", "--json"]):
        done = wheelscan(*args, *demo)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stdout == ""
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("wheelscan: error: ZZZZ is not in the latest results")
    symbol = next(iter(listed["results"]))
    shown = wheelscan("results", symbol, "--top", "0", *demo)
    assert shown.returncode == 0, shown.stderr
    assert "fresh" in shown.stdout.splitlines()[0]


def test_scan_hides_its_no_op_force_yet_accepts_it() -> None:
    help_text = runner.invoke(app, ["scan", "--help"], terminal_width=200).output
    assert "--force" not in help_text, "scan runs at any hour: --force would promise nothing"
    assert "--force" in runner.invoke(app, ["refresh", "--help"], terminal_width=200).output
    done = wheelscan("scan", "KO", "--source", "demo", "--force")
    assert done.returncode == 0, done.stderr


def test_config_show_says_only_the_pace_has_a_source_default() -> None:
    done = wheelscan("config", "show")
    assert done.returncode == 0, done.stderr
    shown = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert "(source default)" in shown["rate_limit_per_s"]
    assert "(not set)" in shown["cash"] and "source default" not in shown["cash"]
