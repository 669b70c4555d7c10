"""Hostile input through the CLI entry: generated symbols, criteria, sources, config and
watchlist files. Every run must end with its documented code and, when it refuses, one
line on stderr; never a traceback. Symbols never reach outside a snapshot directory.

In-process runs go through the console-script entry (`wheelscan.cli.fast.run`, which
turns errors into one line) inside typer's CliRunner isolation (tests/cli_support.py); a few
run as real processes: what the interpreter does with an argument before wheelscan sees it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cli_support import PROCESS_TIMEOUT_S, Ran
from cli_support import wheelscan as run_cli
from wheelscan.config import KEYS
from wheelscan.yahoo.snapshot_files import SnapshotFileError
from wheelscan.yahoo.transports import EMPTY_RESULT, SnapshotTransport

QQQ_DIR = Path(__file__).parent / "fixtures" / "qqq"
HOSTILE = settings(
    max_examples=int(os.environ.get("WHEELSCAN_HOSTILE_EXAMPLES", "25")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PATHLIKE_SYMBOLS = [
    "../secret",
    "../../etc/passwd",
    "/etc/passwd",
    "..",
    ".",
    "A\x00B",
    "..\\secret",
    "%2e%2e/secret",
    "QQQ/../../secret",
    "~",
    "$HOME",
    "AAPL;rm -rf",
    "\udcff",
    "A" * 300,
]


def assert_clean_ending(ran: Ran, allowed: tuple[int, ...] = (0, 2)) -> None:
    """A documented exit code; a refusal is one line on stderr; no traceback anywhere."""
    assert ran.returncode in allowed, (ran.returncode, ran.stderr[-800:])
    assert "Traceback" not in ran.stdout + ran.stderr
    if ran.returncode == 2:
        lines = [line for line in ran.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, ran.stderr
        assert lines[0].startswith("wheelscan: error:"), lines[0]


symbol_text = st.one_of(
    st.text(max_size=14),
    st.from_regex(r"[A-Za-z0-9.\-^=]{1,12}", fullmatch=True),
    st.sampled_from(PATHLIKE_SYMBOLS),
)


@HOSTILE
@given(symbols=st.lists(symbol_text, min_size=1, max_size=3))
@example(symbols=["../secret"])
@example(symbols=["aapl", "AAPL", "brk.b"])
def test_generated_symbols_scan_or_are_refused_in_one_line(symbols: list[str]) -> None:
    ran = run_cli("scan", "--source", "demo", "--json", "--max-dte", "7", "--", *symbols)
    assert_clean_ending(ran)
    if ran.returncode == 0:
        document = json.loads(ran.stdout)
        scanned = set(document["results"]) | set(document["scan"]["errors"])
        assert scanned == {s.strip().upper() for s in symbols}


option_value = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e309", "-0", "0x10", "", " ", "1_000", "½"]),
    st.text(max_size=8),
)
CRITERIA_OPTIONS = [
    "--weeks",
    "--min-dte",
    "--max-dte",
    "--min-return",
    "--max-delta",
    "--min-oi",
    "--max-spread",
    "--rate",
]


@HOSTILE
@given(chosen=st.dictionaries(st.sampled_from(CRITERIA_OPTIONS), option_value, min_size=1))
@example(chosen={"--max-delta": "nan"})
@example(chosen={"--min-return": "inf"})
@example(chosen={"--min-oi": str(10**30)})
@example(chosen={"--max-dte": str(10**30), "--min-dte": str(10**30)})
def test_generated_criteria_scan_or_are_refused_in_one_line(chosen: dict[str, str]) -> None:
    args = [item for pair in chosen.items() for item in pair]
    ran = run_cli("scan", "KO", "--source", "demo", "--json", *args)
    assert_clean_ending(ran)
    if ran.returncode == 0:
        assert json.loads(ran.stdout)["scan"]["state"] == "SUCCEEDED"


@HOSTILE
@given(spec=st.one_of(st.text(max_size=20), st.text(max_size=20).map("snapshot:".__add__)))
@example(spec="snapshot:")
@example(spec="snapshot:/etc")
@example(spec="snapshot:\x00")
@example(spec="snapshot:~0")  # a home dir that cannot be found: was exit 1 "unexpected error"
@example(spec=f"snapshot:{QQQ_DIR}/../../..")
def test_generated_sources_are_refused_in_one_line(spec: str) -> None:
    ran = run_cli("scan", "KO", "--source", spec, "--json")
    # A real snapshot directory without KO scans and fails: exit 1 is the documented answer.
    assert_clean_ending(ran, allowed=(0, 1, 2))
    if ran.returncode == 1:
        assert json.loads(ran.stdout)["scan"]["state"] == "FAILED"


toml_value = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda x: (
            "nan"
            if x != x
            else ("inf" if x == float("inf") else ("-inf" if x < -1e308 else repr(x)))
        )
    ),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(max_size=12).map(json.dumps),
    st.sampled_from(
        ['"demo"', '"yahoo"', '"snapshot:/nowhere"', "[1, 2]", "{ a = 1 }", "1979-05-27"]
    ),
)
config_text = st.one_of(
    st.dictionaries(
        st.one_of(st.sampled_from(list(KEYS)), st.from_regex(r"[a-z_]{1,10}", fullmatch=True)),
        toml_value,
        max_size=5,
    ).map(lambda d: "".join(f"{k} = {v}\n" for k, v in d.items())),
    st.text(max_size=60),
)


@HOSTILE
@given(text=config_text)
@example(text="concurrency = 0\n")
@example(text='source = "snapshot:../.."\n')
@example(text="rate_limit_per_s = 1e-9\nconcurrency = 1\n")
@example(text="max_delta = nan\n")
@example(text="[tickers.AAPL]\n")
def test_generated_config_files_load_or_are_refused_in_one_line(
    text: str, wheelscan_home: Path
) -> None:
    wheelscan_home.mkdir(parents=True, exist_ok=True)
    (wheelscan_home / "config.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    shown = run_cli("config", "show")
    assert_clean_ending(shown)
    ran = run_cli("scan", "KO", "--source", "demo", "--json", "--max-dte", "7")
    assert_clean_ending(ran)
    assert shown.returncode == ran.returncode, (
        "the file is either usable or refused, by every command"
    )


watchlist_entry = st.fixed_dictionaries(
    {},
    optional={
        "active": st.sampled_from(["true", "false", '"yes"', "1"]),
        "notes": st.one_of(st.text(max_size=10).map(json.dumps), st.just("3")),
        "intrinsic_value": st.sampled_from(["100.0", "0", "-5", "nan", "inf", '"x"', "1e308"]),
        "extra": st.just("1"),
    },
)
watchlist_text = st.one_of(
    st.dictionaries(symbol_text, watchlist_entry, max_size=4).map(
        lambda d: "".join(
            f"[tickers.{json.dumps(s)}]\n" + "".join(f"{k} = {v}\n" for k, v in e.items())
            for s, e in d.items()
        )
    ),
    st.text(max_size=60),
)


@HOSTILE
@given(text=watchlist_text)
@example(text='[tickers."../../etc"]\n')
@example(text="[tickers.AAPL]\nactive = false\n")
@example(text="[tickers.aapl]\n[tickers.AAPL]\n")
@example(text="[tickers.AAPL]\nintrinsic_value = nan\n")
def test_generated_watchlist_files_load_or_are_refused_in_one_line(
    text: str, wheelscan_home: Path
) -> None:
    wheelscan_home.mkdir(parents=True, exist_ok=True)
    (wheelscan_home / "watchlist.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    listed = run_cli("watchlist", "list")
    assert_clean_ending(listed)
    ran = run_cli("scan", "--source", "demo", "--json", "--max-dte", "7")
    assert_clean_ending(ran)
    if ran.returncode == 0:
        assert json.loads(ran.stdout)["scan"]["kind"] == "watchlist"


# --- the snapshot directory is a jail ----------------------------------------------------


@pytest.fixture
def jail(tmp_path: Path) -> Path:
    """A snapshot dir (a copy of the QQQ fixture) with a secret response beside it."""
    directory = tmp_path / "snap"
    directory.mkdir()
    for path in QQQ_DIR.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    secret = (QQQ_DIR / "QQQ.json").read_bytes().replace(b"QQQ", b"SECRET")
    (tmp_path / "secret.json").write_bytes(secret)
    (tmp_path / "SECRET.json").write_bytes(secret)
    (directory / "LINK.json").symlink_to(tmp_path / "secret.json")
    return directory


def ask(transport: SnapshotTransport, symbol: str, epoch: str | None = None) -> bytes:
    """One options request for `symbol` as yfinance sends it, answered by `transport`."""
    path = quote(symbol, safe="", errors="surrogateescape")
    url = f"https://query2.finance.yahoo.com/v7/finance/options/{path}"
    if epoch is not None:
        url += f"?date={quote(epoch, errors='surrogateescape')}"
    prepared = requests.Request("GET", url).prepare()
    try:
        return transport.send(prepared).content
    except SnapshotFileError:  # a hostile entry (here the symlink) is refused, never read
        return b""


@HOSTILE
@given(
    symbol=st.one_of(st.text(max_size=30), st.sampled_from([*PATHLIKE_SYMBOLS, "LINK"])),
    epoch=st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["../../secret", "-1"])),
)
def test_no_symbol_or_date_reads_outside_the_snapshot_dir(
    symbol: str, epoch: str | None, jail: Path
) -> None:
    body = ask(SnapshotTransport(jail), symbol, epoch)
    assert b"SECRET" not in body
    if symbol != "QQQ":
        # Either the empty answer, or (for "..", which the URL layer folds away) no
        # options request at all: never a chain.
        assert body == EMPTY_RESULT or b"optionChain" not in body


def test_path_symbols_are_refused_by_the_cli_before_any_file_is_read(
    jail: Path,
) -> None:
    directory = jail
    for symbol in ["../secret", "../SECRET", "/tmp/x", "LINK/..", "A\x00B"]:
        ran = run_cli("scan", symbol, "--source", f"snapshot:{directory}", "--json")
        assert_clean_ending(ran, allowed=(2,))
        assert "invalid symbol" in ran.stderr


def test_a_symlinked_response_is_not_followed(jail: Path) -> None:
    directory = jail
    ran = run_cli("scan", "LINK", "--source", f"snapshot:{directory}", "--json")
    assert ran.returncode == 1, ran.stderr
    document = json.loads(ran.stdout)
    assert "LINK" in document["scan"]["errors"]
    assert "SECRET" not in ran.stdout


# --- hostile arguments, and a few in real processes ----------------------------------------

NOT_UTF8 = b"\xff\xfe".decode("utf-8", "surrogateescape")
"""Bytes that are not UTF-8, as the interpreter hands them to a process in its argv."""


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "../../etc/passwd", "--source", "demo"],
        ["scan", "KO", "--source", "demo", "--max-delta", "nan"],
        ["scan", "KO", "--source", "demo", "--weeks", "-99999999999999999999999"],
        ["scan", "KO", "--source", "snapshot:/dev/null"],
        ["results", "../x", "--json"],
        ["watchlist", "add", "A/B"],
        ["config", "set", "concurrency", "lots"],
    ],
)
def test_hostile_arguments_end_in_one_line(args: list[str]) -> None:
    assert_clean_ending(run_cli(*args), allowed=(2,))


@pytest.mark.parametrize(
    "args",
    [
        ["scan", NOT_UTF8, "--source", "demo"],
        ["scan", "../../etc/passwd", "--source", "demo"],
        ["results", "../x", "--json"],
    ],
)
def test_hostile_arguments_in_a_real_process_end_in_one_line(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wheelscan", *args],
        capture_output=True,
        timeout=PROCESS_TIMEOUT_S,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    ran = Ran(
        done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    )
    assert_clean_ending(ran, allowed=(2,))


@pytest.mark.parametrize(
    "config",
    [
        # Accepted before: the token bucket then waited ~1e9 s for the second request.
        "rate_limit_per_s = 1e-9\nconcurrency = 1\n",
        # Accepted before: the lock expired before its first heartbeat, every scan failed
        # with "lost the scan lock to another process".
        "lock_ttl_s = 0.001\n",
    ],
)
def test_config_values_that_would_stall_or_break_every_scan_are_refused(
    config: str, wheelscan_home: Path
) -> None:
    wheelscan_home.mkdir(parents=True, exist_ok=True)
    (wheelscan_home / "config.toml").write_text(config, encoding="utf-8")
    done = run_cli("scan", "KO", "--source", "demo", "--max-dte", "28")
    assert_clean_ending(done, allowed=(2,))
    assert "config.toml:1" in done.stderr
