"""The console entry's fast path for `status --json` / `results --json [TICKER]`.

It must print exactly what the typer commands print, never load typer (or
pydantic, which typer loads to parse options), nor the rulebooks a reader does
not use, and hand every other command line to typer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cli_support import Ran, imports_of, wheelscan, wheelscan_process
from wheelscan.cli import main
from wheelscan.cli.fast import fast_reader
from wheelscan.config import effective_settings, reader_settings

if TYPE_CHECKING:
    from conftest import DemoRefreshed

HEAVY = (
    "typer",
    "pydantic",
    "rich",
    "numpy",
    "yfinance",
    "textual",
    "wheelscan.core.valuation",
    "wheelscan.core.call_criteria",
    "wheelscan.core.plan_inputs",
    "wheelscan.core.plan",
)
"""What the two readers must not import: a command-line parser, the scan stack, the app,
and the DCF, covered-call and plan rulebooks, whose imports cost more than their reads."""


def fast_path(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`wheelscan ARGS` as a user runs it, in a process of its own: it starts cheap, and
    nothing another command imported in this process can stand in for what it imports."""
    return wheelscan_process(*args, home=home)


def via_typer(*args: str, home: Path) -> Ran:
    """`wheelscan ARGS` through the typer app alone, never the fast path (in this process)."""
    return wheelscan(*args, home=home, entry=main.run)


def _without_age(text: str) -> list[str]:
    """The printed lines but the one that holds `age_s` (the two runs are moments apart)."""
    return [line for line in text.splitlines() if not line.startswith('  "age_s": ')]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, demo_refreshed: DemoRefreshed) -> Path:
    return demo_refreshed.copy_to(tmp_path_factory.mktemp("home"))


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--json", "--source", "demo"],
        ["results", "--json", "--source", "demo"],
        ["results", "AAPL", "--json", "--source=demo"],
    ],
)
def test_fast_path_prints_what_typer_prints(published: Path, args: list[str]) -> None:
    fast = fast_path(*args, home=published)
    typer_path = via_typer(*args, home=published)
    assert fast.returncode == typer_path.returncode == 0
    fast_doc, typer_doc = json.loads(fast.stdout), json.loads(typer_path.stdout)
    for doc in (fast_doc, typer_doc):
        doc.pop("age_s", None)
    assert fast_doc == typer_doc
    assert _without_age(fast.stdout) == _without_age(typer_path.stdout), "same bytes"
    if args[0] == "results":
        assert fast_doc["results"], "the published demo scan is read"


def _loaded(args: list[str], home: Path) -> list[str]:
    """Which of HEAVY `wheelscan ARGS` loaded, in a process of its own."""
    return imports_of(*args, modules=HEAVY, home=home).loaded


def test_fast_path_loads_no_parser_nor_the_rulebooks_a_reader_does_not_use(
    published: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(published, home)
    configured = "cash = 50000.0\nresults_ttl_minutes = 30.0\nmax_delta = 0.25\n"
    (home / "config.toml").write_text(configured)
    for args in (["status", "--json"], ["results", "--json", "--source", "demo"]):
        assert _loaded(args, home) == [], args
    assert "typer" in _loaded(["status", "--help"], home)
    (home / "config.toml").write_text(configured + "call_max_delta = 0.2\n")
    assert "wheelscan.core.call_criteria" in _loaded(["status", "--json"], home), (
        "a file setting a rulebook's key is checked by that rulebook"
    )


def test_a_bad_rulebook_key_stops_the_fast_path_as_it_stops_typer(
    published: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(published, home)
    (home / "config.toml").write_text("cash = 1000\ncall_min_dte = 30\ncall_max_dte = 7\n")
    for done in (
        fast_path("status", "--json", home=home),
        via_typer("status", "--json", home=home),
    ):
        assert done.returncode == 2
        assert done.stderr.startswith("wheelscan: error: ") and "config.toml:2" in done.stderr
        assert done.stdout == ""


def test_without_source_the_configured_source_is_read(published: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(published, home)
    live = json.loads(fast_path("results", "--json", home=home).stdout)
    assert live["scan"] is None, "the demo refresh published into the demo namespace only"
    configured = wheelscan("config", "set", "source", "demo", home=home)
    assert configured.returncode == 0, configured.stderr
    for done in (
        fast_path("results", "--json", home=home),
        via_typer("results", "--json", home=home),
    ):
        document = json.loads(done.stdout)
        assert document["scan"]["source"] == "demo" and document["results"]


def test_bad_ticker_is_one_line_and_exit_2(published: Path) -> None:
    done = fast_path("results", "--json", "BAD/../X", home=published)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("wheelscan: error:")
    assert done.stdout == ""
    done = fast_path("status", "--json", "--source", "x", home=published)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("wheelscan: error:")
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["status", "--json"], ("status", None, None)),
        (["results", "--json"], ("results", None, None)),
        (["results", "--json", "KO"], ("results", "KO", None)),
        (["results", "KO", "--json"], ("results", "KO", None)),
        (["results", "--source", "demo", "--json", "KO"], ("results", "KO", "demo")),
        (["status", "--json", "--source=snapshot:/x"], ("status", None, "snapshot:/x")),
        (["status"], None),
        (["results", "KO"], None),
        (["status", "--json", "--help"], None),
        (["status", "--json", "--json"], None),
        (["status", "--json", "KO"], None),
        (["status", "--json", "--source"], None),
        (["status", "--json", "--source", "a", "--source", "b"], None),
        (["results", "--json", "KO", "MSFT"], None),
        (["results", "--json", "--top", "3"], None),
        (["scan", "--json"], None),
        ([], None),
    ],
)
def test_only_the_two_json_readers_take_the_fast_path(
    args: list[str], expected: tuple[str, str | None, str | None] | None
) -> None:
    assert fast_reader(args) == expected


def test_the_readers_plain_settings_are_what_the_full_settings_hold(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'source = "demo"\ncash = 50000\nresults_ttl_minutes = 30\nmax_delta = 0.25\n'
        "call_max_delta = 0.2\nmax_rolls = 2\n"
    )
    for file in (path, tmp_path / "missing.toml"):
        for source in (None, "yahoo"):
            plain = reader_settings(source, file)
            full = effective_settings(source=source, path=file)
            assert plain == {key: full.value(key) for key in plain}
    assert reader_settings(None, path)["source"] == "demo"
    assert repr(reader_settings(None, path)["cash"]) == "50000.0", "a float, as Settings holds it"
