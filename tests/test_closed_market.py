"""Evenings and weekends (SPEC 6): `scan` runs whenever asked, on Yahoo's last quotes,
and says so; only `refresh` (the gated scan) waits for the open.

A `yahoo`-named source over the demo market at a fixed time: the real yfinance path
and the real calendar, no network.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from wheelscan.config import Settings
from wheelscan.core.expiry import NEW_YORK
from wheelscan.core.models import ScanKind, ScanState
from wheelscan.scan.job import ScanOutcome, run_scan
from wheelscan.scan.notes import ADHOC_NOTE
from wheelscan.store import Store
from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.source import YahooSource
from wheelscan.yahoo.transports import DemoTransport

SATURDAY = datetime(2026, 12, 5, 11, 0, tzinfo=NEW_YORK)
WEDNESDAY = datetime(2026, 12, 2, 11, 0, tzinfo=NEW_YORK)
WEDNESDAY_EVENING = datetime(2026, 12, 2, 19, 30, tzinfo=NEW_YORK)
LIVE = Settings(source="yahoo")


class NoBids(DemoTransport):
    """The demo market with every option's bid at 0, as Yahoo shows them before the open."""

    def answer_options(self, symbol: str, epoch: int | None) -> tuple[int, bytes]:
        status, body = super().answer_options(symbol, epoch)
        answer: dict[str, Any] = json.loads(body)
        for result in answer["optionChain"]["result"]:
            for options in result["options"]:
                for side in ("calls", "puts"):
                    for row in options[side]:
                        row["bid"] = 0.0
        return status, json.dumps(answer).encode()


def scan_at(
    moment: datetime,
    tmp_path: Path,
    *,
    kind: ScanKind = ScanKind.WATCHLIST,
    transport: type[DemoTransport] = DemoTransport,
    gate: bool = False,
) -> tuple[ScanOutcome, Store]:
    store = Store.for_source("yahoo", tmp_path / "cache")
    source = YahooSource("yahoo", transport(DemoMarket(now=moment), latency=0))
    outcome = run_scan(
        ["AAPL", "KO"],
        LIVE,
        kind=kind,
        store=store,
        source=source,
        clock=lambda: moment,
        gate=gate,
    )
    return outcome, store


def test_a_weekend_scan_runs_on_fridays_quotes_and_says_so(tmp_path: Path) -> None:
    outcome, store = scan_at(SATURDAY, tmp_path)

    assert outcome.state is ScanState.SUCCEEDED and outcome.published
    assert outcome.document is not None
    scan = outcome.document["scan"]
    assert scan["market_open"] is False
    assert outcome.notes == ("market closed: Yahoo's quotes as of Fri 16:00",)
    assert scan["message"] == outcome.notes[0]
    assert set(outcome.document["results"]) == {"AAPL", "KO"}
    published = store.read_results()
    assert published.scan is not None and published.scan["market_open"] is False


def test_an_evening_scan_names_the_days_close(tmp_path: Path) -> None:
    outcome, _ = scan_at(WEDNESDAY_EVENING, tmp_path)
    assert outcome.state is ScanState.SUCCEEDED
    assert outcome.notes == ("market closed: Yahoo's quotes as of Wed 16:00",)


def test_a_scan_in_regular_hours_carries_no_note(tmp_path: Path) -> None:
    outcome, _ = scan_at(WEDNESDAY, tmp_path)
    assert outcome.state is ScanState.SUCCEEDED
    assert outcome.document is not None
    assert outcome.document["scan"]["market_open"] is True
    assert "message" not in outcome.document["scan"]
    assert outcome.notes == ()


def test_when_no_contract_shows_a_bid_the_scan_says_yahoo_shows_none_before_the_open(
    tmp_path: Path,
) -> None:
    outcome, _ = scan_at(SATURDAY, tmp_path, transport=NoBids)
    assert outcome.state is ScanState.SUCCEEDED
    assert outcome.document is not None
    assert all(not r["candidates"] for r in outcome.document["results"].values())
    assert outcome.notes == (
        "market closed: Yahoo's quotes as of Fri 16:00",
        "Yahoo shows no bids before the open (Mon 2026-12-07 09:30 EST)",
    )
    assert outcome.document["scan"]["message"] == "; ".join(outcome.notes)


def test_no_bids_in_regular_hours_is_not_blamed_on_the_clock(tmp_path: Path) -> None:
    outcome, _ = scan_at(WEDNESDAY, tmp_path, transport=NoBids)
    assert outcome.notes == ()


def test_the_gated_scan_refresh_runs_still_waits_for_the_open(tmp_path: Path) -> None:
    outcome, store = scan_at(SATURDAY, tmp_path, gate=True)
    assert outcome.state is ScanState.SKIPPED
    assert "next open Mon 2026-12-07 09:30" in outcome.message
    assert outcome.document is not None and outcome.document["scan"]["market_open"] is False
    assert store.read_results().results == {}
    allowed = run_scan(
        ["AAPL"],
        Settings(source="yahoo", allow_closed=True),
        kind=ScanKind.WATCHLIST,
        store=store,
        source=YahooSource("yahoo", DemoTransport(DemoMarket(now=SATURDAY), latency=0)),
        clock=lambda: SATURDAY,
        gate=True,
    )
    assert allowed.state is ScanState.SUCCEEDED, "allow_closed (--force) overrides the gate"


def test_an_adhoc_scan_says_it_publishes_nothing(tmp_path: Path) -> None:
    outcome, store = scan_at(WEDNESDAY, tmp_path, kind=ScanKind.ADHOC)
    assert outcome.state is ScanState.SUCCEEDED and not outcome.published
    assert outcome.notes == (ADHOC_NOTE,)
    assert "only watchlist scans publish" in ADHOC_NOTE
    assert outcome.document is not None and "message" not in outcome.document["scan"]
    assert store.read_results().results == {}


def test_the_readmes_cron_schedule_runs_on_new_york_time() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    schedule = readme.split("```cron\n", 1)[1].split("```", 1)[0]
    assert schedule.splitlines()[0] == "CRON_TZ=America/New_York"
