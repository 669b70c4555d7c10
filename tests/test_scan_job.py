"""The scan lifecycle in-process on the demo and snapshot sources and a real diskcache."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wheelscan.core.models import ScanEvent, ScanState, TickerFinished
from wheelscan.lifecycle import ADHOC, WATCHLIST, ScanSettings, run_scan
from wheelscan.market import closed_message, market_state
from wheelscan.store import KEY_LOCK, Store

NEW_YORK = ZoneInfo("America/New_York")
DEMO = ScanSettings(source="demo")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cache")


def publish_first(store: Store) -> dict:
    outcome = run_scan(["AAPL", "KO"], kind=WATCHLIST, settings=DEMO, store=store)
    assert outcome.state is ScanState.SUCCEEDED and outcome.published
    return store.read_results().results


def test_watchlist_scan_publishes_and_records_progress_per_ticker(store: Store) -> None:
    seen: list[tuple[int, int]] = []

    def watch(event: ScanEvent) -> None:
        if isinstance(event, TickerFinished):
            progress, _ = store.read_progress()
            assert progress is not None and progress.state == "RUNNING"
            seen.append((progress.done, len(progress.results)))

    symbols = ["AAPL", "KO", "MSFT", "SPY"]
    outcome = run_scan(symbols, kind=WATCHLIST, settings=DEMO, store=store, on_event=watch)
    assert outcome.state is ScanState.SUCCEEDED and outcome.exit_code == 0
    # on_event runs before the progress record is rewritten: it sees the previous ticker's.
    assert seen == [(0, 0), (1, 1), (2, 2), (3, 3)]
    published = store.read_results()
    assert set(published.results) == set(symbols)
    assert published.scan is not None and published.scan["id"] == outcome.scan_id
    assert published.last_run and published.last_run.startswith("Scan completed at")
    final, _ = store.read_progress()
    assert final is not None and final.state == "SUCCEEDED" and final.done == 4
    assert final.document() == outcome.document
    assert store.lock_holder() is None
    history, _ = store.read_history()
    assert history[0]["id"] == outcome.scan_id and history[0]["tickers"] == 4


def test_adhoc_scans_are_recorded_but_never_published(store: Store) -> None:
    before = publish_first(store)
    outcome = run_scan(["MSFT"], kind=ADHOC, settings=DEMO, store=store)
    assert outcome.state is ScanState.SUCCEEDED and not outcome.published
    assert store.read_results().results == before
    history, _ = store.read_history()
    assert [h["kind"] for h in history] == [ADHOC, WATCHLIST]


def test_a_failed_watchlist_scan_keeps_the_previous_results(store: Store, tmp_path: Path) -> None:
    before = publish_first(store)
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    (snapshot / "OTHER.json").write_text('{"optionChain": {"result": [], "error": null}}')
    settings = ScanSettings(source=f"snapshot:{snapshot}")
    outcome = run_scan(["AAA", "BBB"], kind=WATCHLIST, settings=settings, store=store)
    assert outcome.state is ScanState.FAILED and outcome.exit_code == 1
    published = store.read_results()
    assert published.results == before
    assert published.last_run and published.last_run.startswith("Scan failed at")
    assert store.lock_holder() is None


def test_a_cancelled_watchlist_scan_keeps_the_previous_results(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = publish_first(store)
    monkeypatch.setenv("WHEELSCAN_DEMO_LATENCY", "0.05")
    stop = threading.Event()

    def cancel_after_first(event: ScanEvent) -> None:
        if isinstance(event, TickerFinished):
            stop.set()

    symbols = [f"T{n}" for n in range(12)]
    outcome = run_scan(
        symbols, kind=WATCHLIST, settings=DEMO, store=store, on_event=cancel_after_first, stop=stop
    )
    assert outcome.state is ScanState.CANCELLED and outcome.exit_code == 1
    assert store.read_results().results == before
    assert store.lock_holder() is None
    progress, _ = store.read_progress()
    assert progress is not None and progress.state == "CANCELLED"
    assert 1 <= progress.done < len(symbols)


def test_a_scan_that_loses_its_lock_publishes_nothing_and_spares_the_new_owner(
    store: Store,
) -> None:
    before = publish_first(store)
    usurper = Store(store.directory)
    taken: list[str] = []

    def take_over(event: ScanEvent) -> None:
        if isinstance(event, TickerFinished) and not taken:
            usurper._open().delete(KEY_LOCK)  # as if our lock had expired
            handle = usurper.acquire_lock("usurper", WATCHLIST)
            assert handle is not None
            taken.append(handle.token)

    outcome = run_scan(["AAPL", "KO", "MSFT"], kind=WATCHLIST, settings=DEMO, store=store,
                       on_event=take_over)  # fmt: skip
    assert outcome.state is ScanState.FAILED and not outcome.published
    assert "lost the scan lock" in outcome.message
    assert store.read_results().results == before
    holder = store.lock_holder()
    assert holder is not None and holder.token == taken[0], "the new owner's lock survives"


@pytest.mark.parametrize(
    ("moment", "next_open"),
    [
        (datetime(2026, 11, 26, 11, 0, tzinfo=NEW_YORK), "Fri 2026-11-27 09:30"),  # Thanksgiving
        (datetime(2026, 11, 28, 11, 0, tzinfo=NEW_YORK), "Mon 2026-11-30 09:30"),  # Saturday
        (datetime(2026, 11, 27, 13, 30, tzinfo=NEW_YORK), "Mon 2026-11-30 09:30"),  # early close
    ],
)
def test_a_live_scan_while_the_market_is_closed_is_skipped(
    store: Store, moment: datetime, next_open: str
) -> None:
    before = publish_first(store)
    outcome = run_scan(["AAPL"], kind=WATCHLIST, settings=ScanSettings(source="yahoo"),
                       store=store, clock=lambda: moment)  # fmt: skip
    assert outcome.state is ScanState.SKIPPED and outcome.exit_code == 0
    assert f"next open {next_open}" in outcome.message
    assert outcome.document is not None and outcome.document["results"] == {}
    published = store.read_results()
    assert published.results == before
    assert published.last_run == outcome.message
    history, _ = store.read_history()
    assert history[0]["state"] == "SKIPPED"


def test_the_gate_opens_with_force_and_for_offline_sources() -> None:
    holiday = datetime(2026, 11, 26, 11, 0, tzinfo=NEW_YORK)
    assert closed_message("yahoo", False, lambda: holiday) is not None
    assert closed_message("yahoo", True, lambda: holiday) is None
    assert closed_message("demo", False, lambda: holiday) is None
    assert closed_message("snapshot:/x", False, lambda: holiday) is None


def test_market_hours_know_the_early_close() -> None:
    before_close = market_state(datetime(2026, 11, 27, 12, 59, tzinfo=NEW_YORK))
    assert before_close.is_open
    assert before_close.next_close is not None
    assert before_close.next_close.astimezone(NEW_YORK).hour == 13
    assert market_state(datetime(2026, 11, 30, 9, 30, tzinfo=NEW_YORK)).is_open
    assert not market_state(datetime(2026, 11, 30, 9, 29, tzinfo=NEW_YORK)).is_open
