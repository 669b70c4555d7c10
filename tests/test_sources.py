"""Source specs: one parser for config, command line and the Yahoo layer; the app's
command refuses a bad `--source` without loading yfinance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wheelscan.core.sources import SourceKind, SourceSpecError, parse_source
from wheelscan.yahoo.snapshot_dir import check_source

QQQ_DIR = Path(__file__).parent / "fixtures" / "qqq"


@pytest.mark.parametrize(
    ("text", "kind", "directory"),
    [
        ("yahoo", SourceKind.YAHOO, None),
        ("demo", SourceKind.DEMO, None),
        ("snapshot:~/snaps", SourceKind.SNAPSHOT, "~/snaps"),
        ("snapshot:/a b/", SourceKind.SNAPSHOT, "/a b/"),
        ("snapshot:snapshot:x", SourceKind.SNAPSHOT, "snapshot:x"),
    ],
)
def test_each_source_form_is_read(text: str, kind: SourceKind, directory: str | None) -> None:
    spec = parse_source(text)
    assert (spec.text, spec.kind, spec.directory) == (text, kind, directory)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "unknown source ''"),
        ("Yahoo", "unknown source 'Yahoo'"),
        (" demo", "unknown source ' demo'"),
        ("snapshot", "unknown source 'snapshot'"),
        ("snapshot:", "names no directory"),
        ("snapshot: \t", "names no directory"),
    ],
)
def test_other_texts_are_refused_in_one_line(text: str, needle: str) -> None:
    with pytest.raises(SourceSpecError, match=needle) as refusal:
        parse_source(text)
    assert "\n" not in str(refusal.value)


def test_a_snapshot_source_is_checked_on_disk(tmp_path: Path) -> None:
    check_source(parse_source(f"snapshot:{QQQ_DIR}"))
    with pytest.raises(SourceSpecError, match=r"holds no \.json"):
        check_source(parse_source(f"snapshot:{tmp_path}"))
    with pytest.raises(SourceSpecError, match="does not exist"):
        check_source(parse_source(f"snapshot:{tmp_path / 'missing'}"))


TUI_RUN = """
import sys
from wheelscan.cli import main
sys.argv = ["wheelscan", *sys.argv[1:]]
try:
    main.run()
except SystemExit as stop:
    print("exit", stop.code, "yfinance" in sys.modules)
"""


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["tui", "--help"], 0, ""),
        (["tui", "--source", "nowhere"], 2, "unknown source 'nowhere'"),
        (["tui", "--source", "snapshot:"], 2, "names no directory"),
        (["tui", "--source", "snapshot:{empty}"], 2, "holds no .json responses"),
    ],
)
def test_the_app_command_refuses_a_bad_source_without_loading_yfinance(
    args: list[str], code: int, needle: str, tmp_path: Path
) -> None:
    args = [arg.format(empty=tmp_path) for arg in args]
    done = subprocess.run(
        [sys.executable, "-c", TUI_RUN, *args], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == f"exit {code} False", done.stderr
    if needle:
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("wheelscan: error: ") and needle in line
