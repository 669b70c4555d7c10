"""watchlist.toml and `wheelscan watchlist …`: defaults, edits, validation, import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheelscan import files
from wheelscan.cli.main import app
from wheelscan.watchlist import WatchlistError, WatchlistFile, default_symbols, load_watchlist
from wheelscan.watchlist_import import read_symbol_file

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def one_error_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("wheelscan: error: ")
    assert "Traceback" not in output
    return lines[0]


def test_the_default_list_is_used_and_nothing_is_written(wheelscan_home: Path) -> None:
    watchlist = load_watchlist()
    assert watchlist.is_default
    assert watchlist.active_symbols() == default_symbols()
    assert len(default_symbols()) >= 20
    assert watchlist.intrinsic_values() == {}
    code, output = invoke("watchlist", "list", "--json")
    assert code == 0
    assert json.loads(output)["default"] is True
    assert not wheelscan_home.exists()


def test_first_add_writes_the_defaults_plus_the_new_symbol(wheelscan_home: Path) -> None:
    code, output = invoke("watchlist", "add", "tsla", "brk.b", "--notes", "ev")
    assert code == 0, output
    assert invoke("watchlist", "set-value", "TSLA", "250")[0] == 0
    path = wheelscan_home / "watchlist.toml"
    assert path.stat().st_mode & 0o777 == 0o600
    assert wheelscan_home.stat().st_mode & 0o777 == 0o700
    watchlist = load_watchlist()
    assert not watchlist.is_default
    assert watchlist.active_symbols() == [*default_symbols(), "TSLA", "BRK.B"]
    assert watchlist.get("TSLA") is not None
    assert watchlist.get("TSLA").notes == "ev"  # type: ignore[union-attr]
    assert watchlist.get("BRK.B").notes == "ev"  # type: ignore[union-attr]
    assert watchlist.intrinsic_values() == {"TSLA": 250.0}


def test_enable_disable_set_value_remove(wheelscan_home: Path) -> None:
    assert invoke("watchlist", "disable", "aapl")[0] == 0
    assert "AAPL" not in load_watchlist().active_symbols()
    assert invoke("watchlist", "enable", "AAPL")[0] == 0
    assert "AAPL" in load_watchlist().active_symbols()
    assert invoke("watchlist", "set-value", "msft", "410.5")[0] == 0
    assert load_watchlist().intrinsic_values() == {"MSFT": 410.5}
    assert invoke("watchlist", "set-value", "MSFT", "none")[0] == 0
    assert load_watchlist().intrinsic_values() == {}
    assert invoke("watchlist", "remove", "KO")[0] == 0
    assert load_watchlist().get("KO") is None
    assert invoke("watchlist", "remove", "spy", "QQQ", "spy")[0] == 0
    assert {"SPY", "QQQ"}.isdisjoint(load_watchlist().active_symbols())


def test_clear_empties_the_list_and_needs_yes_without_a_terminal(wheelscan_home: Path) -> None:
    code, output = invoke("watchlist", "clear")
    assert code == 2
    assert "add --yes" in one_error_line(output)
    assert not wheelscan_home.exists()
    code, output = invoke("watchlist", "clear", "--yes")
    assert code == 0, output
    assert f"removed {len(default_symbols())} symbols" in output
    watchlist = load_watchlist()
    assert watchlist.entries == () and not watchlist.is_default
    code, output = invoke("scan", "--source", "demo")
    assert code == 2 and "no active symbols" in one_error_line(output)


def test_edits_keep_the_users_comments(wheelscan_home: Path) -> None:
    wheelscan_home.mkdir()
    path = wheelscan_home / "watchlist.toml"
    path.write_text("# my list\n[tickers.AAPL] # the big one\nactive = true\n")
    assert invoke("watchlist", "set-value", "AAPL", "180")[0] == 0
    text = path.read_text()
    assert text.startswith("# my list\n[tickers.AAPL] # the big one\n")
    assert "intrinsic_value = 180.0" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["watchlist", "add", "AAPL"], "already on the watchlist: AAPL"),
        (["watchlist", "add", "ZZZ", "zzz"], "duplicate symbol ZZZ"),
        (["watchlist", "add", "../etc"], "invalid symbol '../etc'"),
        (["watchlist", "add", "WAYTOOLONGSYMBOL"], "invalid symbol"),
        (["watchlist", "add", "NEW", "--value", "-3"], "intrinsic value must be a positive"),
        (["watchlist", "remove", "NOPE"], "not on the watchlist: NOPE"),
        (["watchlist", "remove", "AAPL", "NOPE", "NADA"], "not on the watchlist: NOPE, NADA"),
        (["watchlist", "add", "TSLA", "BRK.B", "--value", "250"], "--value is one stock's"),
        (["watchlist", "set-value", "AAPL", "-5"], "must be a positive number, got -5.0"),
        (["watchlist", "import", "--replace", "--skip-existing", "x.txt"], "--replace keeps"),
        (["watchlist", "enable", "a b"], "invalid symbol 'a b'"),
        (["watchlist", "set-value", "AAPL", "cheap"], "intrinsic value must be a number"),
        (["watchlist", "set-value", "AAPL", "0"], "intrinsic value must be a positive"),
    ],
)
def test_bad_commands_are_one_line_and_exit_2(
    wheelscan_home: Path, args: list[str], needle: str
) -> None:
    code, output = invoke(*args)
    assert code == 2
    assert needle in one_error_line(output)
    assert not wheelscan_home.exists(), "a refused change writes nothing"


BAD_FILES = [
    ("[tickers.AAPL\n", "not valid TOML"),
    ("[tickers.AAPL]\nactive = 'yes'\n", ":1: AAPL.active must be true or false"),
    ("[tickers.AAPL]\nvalue = 3\n", ":1: unknown key 'value' for AAPL"),
    ("[tickers.AAPL]\n[tickers.aapl]\n", ":2: duplicate symbol AAPL"),
    ('[tickers."A/B"]\n', ":1: invalid symbol 'A/B'"),
    ("[tickers.KO]\nintrinsic_value = 'lots'\n", ":1: KO.intrinsic value must be a number"),
    ("symbols = ['AAPL']\n", "unknown key 'symbols'"),
]


@pytest.mark.parametrize(("text", "needle"), BAD_FILES)
def test_a_bad_watchlist_file_is_one_line_and_exit_2(
    wheelscan_home: Path, text: str, needle: str
) -> None:
    wheelscan_home.mkdir()
    path = wheelscan_home / "watchlist.toml"
    path.write_text(text)
    for args in (["watchlist", "list"], ["watchlist", "add", "NEW"]):
        code, output = invoke(*args)
        assert code == 2
        line = one_error_line(output)
        assert line.startswith(f"wheelscan: error: {path}")
        assert needle in line
    assert path.read_text() == text


def test_import_a_plain_list_and_a_csv(wheelscan_home: Path, tmp_path: Path) -> None:
    plain = tmp_path / "list.txt"
    plain.write_text("# mine\nnflx\n\nDIS  # mouse\n")
    assert read_symbol_file(plain).symbols == {"NFLX": "", "DIS": ""}
    table = tmp_path / "list.csv"
    table.write_text("Name,Symbol,Notes\nRoku,roku,streaming\nShopify,SHOP,\n")
    assert read_symbol_file(table).symbols == {"ROKU": "streaming", "SHOP": ""}
    assert invoke("watchlist", "import", str(plain))[0] == 0
    assert invoke("watchlist", "import", str(table))[0] == 0
    assert load_watchlist().active_symbols()[-4:] == ["NFLX", "DIS", "ROKU", "SHOP"]
    assert load_watchlist().get("ROKU").notes == "streaming"  # type: ignore[union-attr]
    code, output = invoke("watchlist", "import", str(plain))
    assert code == 2
    assert "already on the watchlist: DIS, NFLX" in one_error_line(output)
    code, output = invoke("watchlist", "import", "--skip-existing", str(plain))
    assert code == 0, output
    assert "2 already listed" in output


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("AAPL\nMS/FT\n", ":2: invalid symbol 'MS/FT'"),
        ("AAPL\nKO\naapl\n", ":3: duplicate symbol AAPL (first on line 1)"),
        ("name,price\nApple,1\n", "CSV has no 'symbol' column"),
        ("symbol\n\n", "no symbols found"),
    ],
)
def test_import_refuses_bad_files_whole(
    wheelscan_home: Path, tmp_path: Path, text: str, needle: str
) -> None:
    source = tmp_path / "in.txt"
    source.write_text(text)
    code, output = invoke("watchlist", "import", str(source))
    assert code == 2
    assert needle in one_error_line(output)
    assert not wheelscan_home.exists()


BROKER_EXPORT = """Symbol,Description,Quantity,Notes
AAPL,APPLE INC,100,core
KO,COCA-COLA CO,50,
Account Total,,,
"The data and information in this spreadsheet is provided for informational purposes only."
"""


def test_a_broker_csv_footer_is_skipped_with_a_warning(
    wheelscan_home: Path, tmp_path: Path
) -> None:
    export = tmp_path / "positions.csv"
    export.write_text(BROKER_EXPORT)
    read = read_symbol_file(export)
    assert read.symbols == {"AAPL": "core", "KO": ""}
    assert read.skipped_lines == (4, 5)
    plain_total = tmp_path / "totals.csv"
    plain_total.write_text("Symbol,Quantity\nMSFT,3\nTotal,3\n\n")
    assert read_symbol_file(plain_total).symbols == {"MSFT": ""}
    middle = tmp_path / "middle.csv"
    middle.write_text("Symbol\nMSFT\nMS/FT\nKO\n")
    with pytest.raises(WatchlistError, match=r":3: invalid symbol 'MS/FT'"):
        read_symbol_file(middle)
    result = runner.invoke(app, ["watchlist", "import", "--replace", str(export)])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines() == [
        f"wheelscan: warning: {export}: skipped 2 lines with no symbol: 4, 5"
    ]


def test_import_replace_makes_the_list_exactly_the_file(
    wheelscan_home: Path, tmp_path: Path
) -> None:
    assert invoke("watchlist", "set-value", "AAPL", "180")[0] == 0
    assert invoke("watchlist", "disable", "KO")[0] == 0
    source = tmp_path / "mine.csv"
    source.write_text("symbol,notes\nKO,\naapl,the big one\nROKU,new\n")
    code, output = invoke("watchlist", "import", "--replace", str(source))
    assert code == 0, output
    assert "now lists 3 symbols: 1 added, 2 kept" in output
    watchlist = load_watchlist()
    assert [e.symbol for e in watchlist.entries] == ["AAPL", "KO", "ROKU"]
    assert watchlist.intrinsic_values() == {"AAPL": 180.0}, "a kept symbol keeps its value"
    assert watchlist.active_symbols() == ["AAPL", "ROKU"], "and its state"
    assert watchlist.get("AAPL").notes == "the big one"  # type: ignore[union-attr]


def test_a_crash_before_the_rename_keeps_the_old_watchlist(
    wheelscan_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("watchlist", "add", "TSLA")[0] == 0
    path = wheelscan_home / "watchlist.toml"
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("simulated crash between write and rename")

    edit = WatchlistFile()
    edit.remove(["TSLA"])
    with monkeypatch.context() as patch:
        patch.setattr(files.os, "replace", crash)
        with pytest.raises(OSError, match="simulated crash"):
            edit.save()
    assert path.read_bytes() == before
    assert [p.name for p in wheelscan_home.iterdir()] == ["watchlist.toml"]
    assert "TSLA" in load_watchlist().active_symbols()


def test_a_real_process_refuses_a_duplicate_with_exit_2(wheelscan_home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wheelscan", "watchlist", "add", "AAPL"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "WHEELSCAN_HOME": str(wheelscan_home)},
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "wheelscan: error: already on the watchlist: AAPL (nothing was added)"
    ]


def test_a_watchlist_scan_covers_the_active_symbols_only(wheelscan_home: Path) -> None:
    assert invoke("watchlist", "disable", "AAPL")[0] == 0
    assert invoke("watchlist", "add", "ROKU")[0] == 0
    result = runner.invoke(app, ["scan", "--source", "demo", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    expected = [s for s in default_symbols() if s != "AAPL"] + ["ROKU"]
    assert document["scan"]["kind"] == "watchlist"
    assert document["scan"]["tickers_scanned"] == len(expected)
    assert sorted(document["results"]) == sorted(expected)
