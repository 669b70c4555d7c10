"""The console entry's fast path for `status --json` / `results --json [TICKER]`.

It must print exactly what the typer commands print, never load typer (or
pydantic, which typer loads to parse options), and hand every other command
line to typer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wheelscan.cli.fast import fast_reader

VIA_TYPER = "import sys; from wheelscan.cli.main import run; sys.argv[0] = 'wheelscan'; run()"
PROBE = """
import json, sys
sys.argv = ["wheelscan", *sys.argv[1:]]
from wheelscan.cli.fast import run
try:
    run()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in ("typer", "pydantic", "rich") if m in sys.modules)),
      file=sys.stderr)
"""


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WHEELSCAN_HOME": str(home)}
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)


def _without_age(text: str) -> list[str]:
    """The printed lines but the one that holds `age_s` (the two runs are moments apart)."""
    return [line for line in text.splitlines() if not line.startswith('  "age_s": ')]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    done = _run([sys.executable, "-m", "wheelscan", "refresh", "--source", "demo"], home)
    assert done.returncode == 0, done.stderr
    return home


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--json", "--source", "demo"],
        ["results", "--json", "--source", "demo"],
        ["results", "AAPL", "--json", "--source=demo"],
    ],
)
def test_fast_path_prints_what_typer_prints(published: Path, args: list[str]) -> None:
    fast = _run([sys.executable, "-m", "wheelscan", *args], published)
    typer_path = _run([sys.executable, "-c", VIA_TYPER, *args], published)
    assert fast.returncode == typer_path.returncode == 0
    fast_doc, typer_doc = json.loads(fast.stdout), json.loads(typer_path.stdout)
    for doc in (fast_doc, typer_doc):
        doc.pop("age_s", None)
    assert fast_doc == typer_doc
    assert _without_age(fast.stdout) == _without_age(typer_path.stdout), "same bytes"
    if args[0] == "results":
        assert fast_doc["results"], "the published demo scan is read"


def test_fast_path_loads_neither_typer_nor_pydantic(published: Path) -> None:
    probe = _run([sys.executable, "-c", PROBE, "results", "--json", "--source", "demo"], published)
    assert json.loads(probe.stderr.strip().splitlines()[-1]) == []
    help_probe = _run([sys.executable, "-c", PROBE, "status", "--help"], published)
    assert "typer" in json.loads(help_probe.stderr.strip().splitlines()[-1])


def test_without_source_the_configured_source_is_read(published: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(published, home)
    live = json.loads(_run([sys.executable, "-m", "wheelscan", "results", "--json"], home).stdout)
    assert live["scan"] is None, "the demo refresh published into the demo namespace only"
    configured = _run([sys.executable, "-m", "wheelscan", "config", "set", "source", "demo"], home)
    assert configured.returncode == 0, configured.stderr
    for command in ([sys.executable, "-m", "wheelscan"], [sys.executable, "-c", VIA_TYPER]):
        document = json.loads(_run([*command, "results", "--json"], home).stdout)
        assert document["scan"]["source"] == "demo" and document["results"]


def test_bad_ticker_is_one_line_and_exit_2(published: Path) -> None:
    done = _run([sys.executable, "-m", "wheelscan", "results", "--json", "BAD/../X"], published)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("wheelscan: error:")
    assert done.stdout == ""
    done = _run([sys.executable, "-m", "wheelscan", "status", "--json", "--source", "x"], published)
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
