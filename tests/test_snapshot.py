"""Snapshot replay: unknown symbols, demo round trip, hostile entries; the recorded QQQ
answers' SPEC v2 figures are checked in tests/test_scan_figures.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from wheelscan.config import Settings
from wheelscan.core.models import Criteria, ScanKind, ScanState
from wheelscan.core.scan_record import report_document
from wheelscan.core.sources import SourceSpecError
from wheelscan.scan.engine import ScanEngine
from wheelscan.yahoo.source import make_source
from wheelscan.yahoo.transports import snapshot_file_name
from yahoo_doubles import CountingDemo, source_over

QQQ_DIR = Path(__file__).parent / "fixtures" / "qqq"
CRITERIA = Criteria(max_dte=3, min_return_pct=10, max_delta=0.35, risk_free_rate_pct=4)


async def test_unknown_symbol_in_a_snapshot_is_reported_and_the_scan_goes_on() -> None:
    source = make_source(f"snapshot:{QQQ_DIR}")
    report = await ScanEngine(source, Settings(criteria=CRITERIA), ["QQQ", "NOPE"]).run()
    assert report.state is ScanState.SUCCEEDED
    assert "QQQ" in report.results
    assert "unknown symbol" in report.errors["NOPE"]


async def test_demo_recorded_to_files_replays_to_identical_results(tmp_path: Path) -> None:
    transport = CountingDemo()
    symbols = ["AAPL", "BRK-B", "KO"]
    live = await ScanEngine(source_over(transport), Settings(), symbols).run()
    for symbol, epoch in transport.options_requests:
        body = transport.market.options_json(symbol, epoch)
        (tmp_path / snapshot_file_name(symbol, epoch)).write_text(json.dumps(body))

    replayed = await ScanEngine(make_source(f"snapshot:{tmp_path}"), Settings(), symbols).run()
    live_doc = report_document(live, "a", ScanKind.ADHOC)
    replay_doc = report_document(replayed, "a", ScanKind.ADHOC)
    assert replay_doc["results"] == live_doc["results"]
    assert replayed.requests == live.requests


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "holds no .json"),
        (lambda d: (d / "X.json").write_text("{not json"), "does not parse"),
        (lambda d: (d / "X.json").write_text('{"chart": {}}'), "not a Yahoo options response"),
    ],
)
def test_malformed_snapshot_directories_are_refused(tmp_path: Path, setup, message: str) -> None:
    setup(tmp_path)
    with pytest.raises(SourceSpecError, match=message):
        make_source(f"snapshot:{tmp_path}")


def test_snapshot_never_reads_outside_its_directory(tmp_path: Path) -> None:
    inside = tmp_path / "snap"
    inside.mkdir()
    (inside / "QQQ.json").write_text((QQQ_DIR / "QQQ.json").read_text())
    (tmp_path / "SECRET.json").write_text((QQQ_DIR / "QQQ.json").read_text())
    source = make_source(f"snapshot:{inside}")
    assert source.transport is not None
    _status, body = source.transport.answer_options("../SECRET", None)
    assert json.loads(body)["optionChain"]["result"] == []


def test_expiration_dates_in_the_fixture_are_what_the_test_says() -> None:
    first = json.loads((QQQ_DIR / "QQQ.json").read_text())["optionChain"]["result"][0]
    days = [datetime.fromtimestamp(e, tz=UTC).date() for e in first["expirationDates"][:4]]
    assert days == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)]


# --- hostile entries (SPEC 1.2 v2): each is that ticker's error, never a hang or a crash ---

SNAPSHOT_LIMIT = 16 * 1024 * 1024
NOT_REGULAR = "not a regular file"
# Within 3 days, return ≥ 10 %, |delta| ≤ 0.35: the recording's puts that qualify.
LOOSE_JSON = ["--json", "--max-dte", "3", "--min-return", "10", "--max-delta", "0.35"]


def _hostile_snapshot(directory: Path) -> dict[str, str]:
    """The QQQ fixture plus one hostile entry per symbol; returns symbol -> expected reason."""
    directory.mkdir()
    for path in QQQ_DIR.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    os.mkfifo(directory / "FIFO.json")
    (directory / "DIRX.json").mkdir()
    (directory / "ZERO.json").symlink_to("/dev/zero")
    (directory / "NULL.json").symlink_to("/dev/null")
    (directory / "GOOD.json").symlink_to(directory / "QQQ.json")  # a link inside is refused too
    with (directory / "BIG.json").open("wb") as big:  # valid JSON, one byte over the limit
        big.write(b'{"optionChain": {"result": []}}')
        big.write(b" " * (SNAPSHOT_LIMIT + 1 - big.tell()))
    depth = 200_000
    (directory / "DEEP.json").write_text('{"optionChain": ' + "[" * depth + "]" * depth + "}")
    (directory / "BAD.json").write_text('{"optionChain": {"result": [')
    (directory / "CHART.json").write_text('{"chart": {"result": []}}')
    return {
        "FIFO": NOT_REGULAR,
        "DIRX": NOT_REGULAR,
        "ZERO": NOT_REGULAR,
        "NULL": NOT_REGULAR,
        "GOOD": NOT_REGULAR,
        "BIG": "larger than 16 MiB",
        "DEEP": "does not parse",
        "BAD": "does not parse",
        "CHART": "not a Yahoo options response",
    }


def _scan_in_a_process(directory: Path, *symbols: str) -> subprocess.CompletedProcess[str]:
    """A real `wheelscan scan`; a hang is killed at the deadline and fails the test."""
    source = f"snapshot:{directory}"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "wheelscan",
            "scan",
            *symbols,
            "--source",
            source,
            *LOOSE_JSON,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hostile_snapshot_entries_are_each_their_tickers_error(tmp_path: Path) -> None:
    directory = tmp_path / "snap"
    expected = _hostile_snapshot(directory)
    done = _scan_in_a_process(directory, "QQQ", *expected)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    errors = document["scan"]["errors"]
    assert set(errors) == set(expected), errors
    for symbol, reason in expected.items():
        assert reason in errors[symbol], (symbol, errors[symbol])
        assert f"{symbol}.json" in errors[symbol], errors[symbol]
        assert "\n" not in errors[symbol]
    assert document["results"]["QQQ"]["candidates"], "the intact ticker is still scanned"


def test_a_hostile_dated_entry_fails_that_expiration_only(tmp_path: Path) -> None:
    directory = tmp_path / "snap"
    directory.mkdir()
    for path in QQQ_DIR.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    dated = directory / snapshot_file_name("QQQ", 1795564800)
    dated.unlink()
    os.mkfifo(dated)
    done = _scan_in_a_process(directory, "QQQ")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["results"]["QQQ"]["candidates"], "the other expirations are scanned"
    assert NOT_REGULAR in document["scan"]["errors"]["QQQ"]
    assert dated.name in document["scan"]["errors"]["QQQ"]


def test_a_directory_of_only_hostile_entries_is_a_bad_source(tmp_path: Path) -> None:
    directory = tmp_path / "snap"
    directory.mkdir()
    os.mkfifo(directory / "FIFO.json")
    (directory / "ZERO.json").symlink_to("/dev/zero")
    done = _scan_in_a_process(directory, "FIFO")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wheelscan: error:"), done.stderr
    assert "FIFO.json" in lines[0] and NOT_REGULAR in lines[0]
