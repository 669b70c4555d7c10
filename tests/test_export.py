"""`e` in the app: the CSV's rows, header, rounding and units, the file, where it goes.

Expected cells are written out by hand from the inputs (×100 and rounded on paper),
not computed the way the product computes them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tui_support import DEMO_CRITERIA, SNAPSHOTS, publish, wait_until
from wheelscan.config import ConfigError, Settings, load_settings, set_value
from wheelscan.paths import export_directory
from wheelscan.tui.app import WheelscanApp
from wheelscan.tui.export import export_csv, export_rows, write_export
from wheelscan.tui.filtering import ResultsFilter
from wheelscan.tui.model import TickerRow

NOW = datetime(2026, 12, 1, 15, 30, 5, 250_000, tzinfo=UTC)
HEADER = (
    "ticker,underlying_price_usd,as_of,scanned_at,contract,expiration,dte,strike_usd,bid_usd,"
    "ask_usd,mid_usd,last_usd,iv_pct,iv_yahoo_pct,delta,prob_otm_pct,pop_pct,"
    "annualized_return_pct,otm_pct,cushion_pct,spread_pct,open_interest,volume,collateral_usd,"
    "breakeven_usd,pe_at_strike,spans_earnings,badge"
)


pytestmark = pytest.mark.usefixtures("utc_local_time")


def candidate(**fields: Any) -> dict[str, Any]:
    """A candidate record as the scan stores it: full precision, σ and probabilities as
    fractions, the other percents as percents."""
    return {
        "contract": "KO261218P00060000",
        "expiration": "2026-12-18",
        "dte": 17,
        "strike": 60.0,
        "bid": 0.845,
        "ask": 0.9049999,
        "mid": 0.87499995,
        "last": None,
        "iv": 0.183456,
        "iv_yahoo": 0.17951,
        "delta": -0.2468123,
        "prob_otm": 0.7549,
        "pop": 0.80451,
        "annualized_return_pct": 30.2377,
        "otm_pct": 4.56789,
        "cushion_pct": 5.9133,
        "spread_pct": 6.85714,
        "open_interest": 1234,
        "volume": None,
        "collateral": 6000.0,
        "breakeven": 59.155,
        "spans_earnings": False,
        "badge": "good",
        "pe_at_strike": 22.6415,
        "fits": True,
        **fields,
    }


def ticker(symbol: str, *candidates: dict[str, Any]) -> TickerRow:
    result = {
        "underlying_price": 62.8712,
        "as_of": "2026-12-01T10:29:59.812000-05:00",
        "candidates": list(candidates),
    }
    return TickerRow(symbol, result, scanned_at=NOW)


def test_every_cell_is_rounded_to_what_it_means_in_the_unit_its_heading_names() -> None:
    rows = export_rows([ticker("KO", candidate())])
    assert rows == [
        {
            "ticker": "KO",
            "underlying_price_usd": "62.87",
            "as_of": "2026-12-01T10:29:59-05:00",
            "scanned_at": "2026-12-01T15:30:05+00:00",
            "contract": "KO261218P00060000",
            "expiration": "2026-12-18",
            "dte": "17",
            "strike_usd": "60.00",
            "bid_usd": "0.84",  # 0.845 is 0.84499... in binary
            "ask_usd": "0.90",
            "mid_usd": "0.87",
            "last_usd": "",
            "iv_pct": "18.3",
            "iv_yahoo_pct": "18.0",
            "delta": "-0.247",
            "prob_otm_pct": "75.5",
            "pop_pct": "80.5",
            "annualized_return_pct": "30.2",
            "otm_pct": "4.6",
            "cushion_pct": "5.9",
            "spread_pct": "6.9",
            "open_interest": "1234",
            "volume": "",
            "collateral_usd": "6000.00",
            "breakeven_usd": "59.16",
            "pe_at_strike": "22.6",
            "spans_earnings": "false",
            "badge": "good",
        }
    ]


def test_missing_and_unusable_figures_are_empty_cells_and_no_negative_zero() -> None:
    odd = candidate(
        delta=-0.00004, iv_yahoo=None, open_interest=None, spans_earnings=True, spread_pct=1e400
    )
    (row,) = export_rows([ticker("KO", odd)])
    assert (row["delta"], row["iv_yahoo_pct"], row["open_interest"]) == ("0.000", "", "")
    assert (row["spans_earnings"], row["spread_pct"]) == ("true", "")


def test_the_csv_has_the_named_header_and_one_line_per_candidate() -> None:
    rows = [
        ticker("KO", candidate(), candidate(contract="KO261218P00057500", strike=57.5)),
        TickerRow("ZZZZ", error="no options listed"),
        ticker("PEP", candidate(contract="PEP261218P00140000", strike=140.0)),
    ]
    text = export_csv(rows)
    assert text.splitlines()[0] == HEADER
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [(line["ticker"], line["strike_usd"]) for line in lines] == [
        ("KO", "60.00"),
        ("KO", "57.50"),
        ("PEP", "140.00"),
    ]


def test_the_file_is_written_whole_and_private(tmp_path: Path) -> None:
    rows = [ticker("KO", candidate())]
    directory = tmp_path / "not" / "yet"
    first = write_export(rows, ResultsFilter(), "csv", directory, NOW)
    second = write_export(rows, ResultsFilter(), "csv", directory, NOW)
    assert first == directory / "wheelscan-20261201-153005.csv"
    assert second == directory / "wheelscan-20261201-153005-2.csv"
    assert first.is_absolute()
    assert first.read_text() == export_csv(rows)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert {p.name for p in directory.iterdir()} == {first.name, second.name}, "no temp file"


def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "Downloads"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    path = write_export([ticker("KO", candidate())], ResultsFilter(), "json", shared, NOW)
    assert path.parent == shared
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_exports_go_to_the_configured_dir_else_downloads_else_the_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Path(os.environ["WHEELSCAN_HOME"])
    assert export_directory() == home / "state" / "exports"
    assert export_directory("~/trades") == Path.home() / "trades"
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.delenv("WHEELSCAN_HOME")
    for name in ("XDG_CONFIG_HOME", "XDG_DOWNLOAD_DIR", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(user))
    assert export_directory() == user / ".local" / "state" / "wheelscan" / "exports"
    (user / "Downloads").mkdir()
    assert export_directory() == user / "Downloads"


def test_export_dir_is_a_config_key_that_takes_an_absolute_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="export_dir must be an absolute path"):
        set_value("export_dir", "exports")
    set_value("export_dir", str(tmp_path / "out"))
    assert load_settings().export_dir == str(tmp_path / "out")


async def test_the_app_writes_where_the_config_says_and_says_the_full_path(
    tmp_path: Path,
) -> None:
    publish(json.loads((SNAPSHOTS / "published.json").read_text()))
    target = tmp_path / "out"
    settings = Settings(source="demo", criteria=DEMO_CRITERIA, export_dir=str(target))
    app = WheelscanApp(settings, check_market=False, idle_poll_s=None, state_file=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: bool(app.book.rows))
        await pilot.press("e", "c")
        await wait_until(pilot, lambda: any("Exported to" in n.message for n in app._notifications))
        await app.workers.wait_for_complete()
        messages = [n.message for n in app._notifications]
    (written,) = target.glob("wheelscan-*.csv")
    assert f"Exported to {written}" in messages
    assert written.read_text().splitlines()[0] == HEADER
