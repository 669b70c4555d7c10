"""The app's scan record (`tui.scan_state`) on its own: transitions, event folding, polls.

No Textual here: the record and the book are plain data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from wheelscan.core.models import (
    Candidate,
    ScanStarted,
    ScanState,
    TickerFailed,
    TickerFinished,
    TickerResult,
    TickerStarted,
)
from wheelscan.store import LockInfo, Progress, Store
from wheelscan.tui.model import ResultsBook, TickerRow
from wheelscan.tui.scan_state import (
    OTHER_SCAN_OVER,
    ScanOrigin,
    ScanPhase,
    ScanRun,
    ScanTransitionError,
    fold_events,
    follow_progress,
)

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def candidate(contract: str, annualized: float) -> Candidate:
    return Candidate(
        contract=contract,
        expiration="2026-12-11",
        dte=10,
        strike=50.0,
        bid=0.5,
        ask=0.6,
        mid=0.55,
        last=0.52,
        iv=0.4,
        iv_yahoo=0.41,
        delta=-0.15,
        prob_otm=0.84,
        pop=0.86,
        annualized_return_pct=annualized,
        otm_pct=6.0,
        cushion_pct=6.9,
        spread_pct=18.2,
        open_interest=900,
        volume=50,
        collateral=5000.0,
        breakeven=49.5,
    )


def finished(symbol: str, done: int, total: int, *contracts: str, **errors: str) -> TickerFinished:
    result = TickerResult(
        symbol=symbol,
        underlying_price=53.0,
        as_of=T0,
        rejected={},
        candidates=[candidate(c, 40.0) for c in contracts],
        expiration_errors=dict(errors),
    )
    return TickerFinished(symbol, result, done, total)


def posted(*events: Any) -> list[tuple[Any, dict[str, Any]]]:
    """As the app's messages carry them: each event with its finished result's JSON."""
    return [(e, e.result.to_json() if isinstance(e, TickerFinished) else {}) for e in events]


def own_run() -> ScanRun:
    return ScanRun().start_own("the watchlist (demo)", T0)


def watched_run(scan_id: str | None = "theirs") -> ScanRun:
    return ScanRun().watch("a watchlist scan by pid 7 on box", scan_id, T0)


def test_a_new_record_is_idle() -> None:
    run = ScanRun()
    assert (run.phase, run.mode, run.running) == (ScanPhase.IDLE, "idle", False)


def test_an_own_scan_runs_is_cancelled_and_ends() -> None:
    run = own_run()
    assert (run.mode, run.origin, run.title) == (
        "scanning",
        ScanOrigin.OWN,
        "Scanning the watchlist (demo)",
    )
    with pytest.raises(ScanTransitionError):
        run.start_own("again", T0)
    cancelling = run.cancel()
    assert cancelling.running and cancelling.title == "Cancelling…"
    over = cancelling.ended(ScanState.CANCELLED, "Scan cancelled")
    assert (over.phase, over.outcome, over.running, over.cancelling) == (
        ScanPhase.CANCELLED,
        ScanState.CANCELLED,
        False,
        False,
    )
    again = over.start_own("the watchlist (demo)", T0 + timedelta(minutes=1))
    assert (again.running, again.done, again.outcome) == (True, 0, None)


@pytest.mark.parametrize(
    ("outcome", "phase", "kept"),
    [
        (ScanState.SUCCEEDED, ScanPhase.FINISHED, ScanState.SUCCEEDED),
        (ScanState.SKIPPED, ScanPhase.FINISHED, ScanState.SKIPPED),
        (ScanState.FAILED, ScanPhase.FAILED, ScanState.FAILED),
        (ScanState.CANCELLED, ScanPhase.CANCELLED, ScanState.CANCELLED),
        (ScanState.RUNNING, ScanPhase.FAILED, ScanState.FAILED),
        (None, ScanPhase.FINISHED, None),
    ],
)
def test_how_a_scan_ends(outcome: ScanState | None, phase: ScanPhase, kept: Any) -> None:
    over = watched_run().ended(outcome, "said")
    assert (over.phase, over.outcome, over.message, over.scan_id) == (phase, kept, "said", None)


def test_a_crash_is_a_failure_with_the_error() -> None:
    over = own_run().crashed("OSError: disk full")
    assert (over.phase, over.outcome, over.message) == (
        ScanPhase.FAILED,
        ScanState.FAILED,
        "OSError: disk full",
    )


@pytest.mark.parametrize(
    ("run", "transition"),
    [
        (ScanRun(), lambda run: run.cancel()),
        (ScanRun(), lambda run: run.ended(ScanState.SUCCEEDED)),
        (ScanRun(), lambda run: run.following("x")),
        (own_run(), lambda run: run.following("x")),
        (
            own_run(),
            lambda run: run.progressed(done=1, total=2, candidates=0, errors=0, scan_id="x"),
        ),
        (watched_run(), lambda run: run.cancel()),
        (watched_run(), lambda run: run.watch("again", "y", T0)),
    ],
)
def test_transitions_the_phase_does_not_allow(run: ScanRun, transition: Any) -> None:
    with pytest.raises(ScanTransitionError):
        transition(run)


def test_a_refused_own_scan_becomes_a_watched_one() -> None:
    run = own_run().watch("a watchlist scan by pid 7 on box", None, T0)
    assert (run.mode, run.title, run.scan_id) == (
        "watching",
        "Watching a watchlist scan by pid 7 on box",
        None,
    )
    assert run.following("theirs").scan_id == "theirs"


def test_elapsed_and_time_left_at_the_pace_so_far() -> None:
    run = watched_run().progressed(
        done=3, total=12, candidates=5, errors=1, scan_id="theirs", started_at=T0
    )
    now = T0 + timedelta(seconds=30)
    assert run.elapsed_s(now) == 30
    assert run.eta_s(now) == pytest.approx(90)  # 10 s a ticker, 9 to go
    assert run.progressed(done=0, total=12, candidates=0, errors=0, scan_id="t").eta_s(now) is None
    done = run.progressed(done=12, total=12, candidates=5, errors=1, scan_id="theirs")
    assert done.eta_s(now) is None
    assert ScanRun().elapsed_s(now) == 0


def test_folding_own_scan_events_into_the_counters_and_the_book() -> None:
    book = ResultsBook()
    book.load({"KO": {"underlying_price": 60.0, "candidates": []}}, {})
    at = T0 + timedelta(seconds=5)
    first = fold_events(
        own_run(),
        book,
        posted(
            ScanStarted(3, ("AAPL", "KO", "MSFT")),
            TickerStarted("AAPL", 0, 3),
            TickerStarted("KO", 0, 3),
        ),
        at,
    )
    assert (first.run.total, first.run.done, first.run.in_flight) == (3, 0, {"AAPL", "KO"})
    assert first.changed == []
    second = fold_events(
        first.run,
        book,
        posted(
            finished("AAPL", 1, 3, "AAPL1", "AAPL2", **{"2026-12-18": "HTTP 500"}),
            TickerFailed("KO", "timed out", 2, 3),
            TickerStarted("MSFT", 2, 3),
            finished("MSFT", 3, 3, "MSFT1"),
        ),
        at,
    )
    run = second.run
    assert (run.done, run.total, run.candidates, run.errors) == (3, 3, 3, 2)
    assert run.in_flight == frozenset()
    assert second.changed == ["AAPL", "KO", "MSFT"]
    assert [c["contract"] for c in book.rows["AAPL"].candidates] == ["AAPL1", "AAPL2"]
    assert book.rows["AAPL"] == TickerRow(
        "AAPL", book.rows["AAPL"].result, at, "2026-12-18: HTTP 500"
    )
    assert book.rows["KO"].result == {"underlying_price": 60.0, "candidates": []}
    assert book.rows["KO"].error == "timed out"
    assert book.rows["MSFT"].error is None


def lock(scan_id: str) -> LockInfo:
    """The lock as the store reports it while scan `scan_id` holds it."""
    with Store() as store:
        handle = store.acquire_lock(scan_id, "watchlist", source="demo")
        assert handle is not None
        holder = store.lock_holder()
        store.release_lock(handle)
    assert holder is not None
    return holder


def progress(scan_id: str, state: str = "RUNNING", **fields: Any) -> Progress:
    return Progress.from_record({"scan_id": scan_id, "state": state, **fields})


def test_a_poll_while_the_lock_is_held_takes_the_progress_and_partial_results() -> None:
    book = ResultsBook()
    result = {"underlying_price": 53.0, "as_of": T0.isoformat(), "candidates": []}
    record = progress(
        "theirs",
        done=2,
        total=5,
        candidates=4,
        errors={"KO": "HTTP 429"},
        started=(T0 - timedelta(seconds=20)).isoformat(),
        results={"AAPL": result},
    )
    followed = follow_progress(watched_run(None), book, lock("theirs"), record)
    run = followed.run
    assert (run.done, run.total, run.candidates, run.errors, run.scan_id) == (2, 5, 4, 1, "theirs")
    assert run.started_at == T0 - timedelta(seconds=20)
    assert run.running
    assert followed.changed == ["AAPL", "KO"]
    assert book.rows["AAPL"].scanned_at == T0
    assert book.rows["KO"].error == "HTTP 429"


def test_a_poll_of_another_scans_progress_only_follows_the_lock() -> None:
    run = watched_run("theirs").progressed(
        done=1, total=4, candidates=0, errors=0, scan_id="theirs"
    )
    followed = follow_progress(run, ResultsBook(), lock("next"), progress("theirs", done=4))
    assert (followed.run.scan_id, followed.run.done, followed.changed) == ("next", 1, [])


def test_the_lock_gone_ends_the_watched_scan_with_its_recorded_state() -> None:
    over = follow_progress(
        watched_run("theirs"),
        ResultsBook(),
        None,
        progress("theirs", "SUCCEEDED", message="Scan completed"),
    ).run
    assert (over.phase, over.outcome, over.message) == (
        ScanPhase.FINISHED,
        ScanState.SUCCEEDED,
        "Scan completed",
    )
    unknown = follow_progress(watched_run("theirs"), ResultsBook(), None, progress("later")).run
    assert (unknown.phase, unknown.outcome, unknown.message) == (
        ScanPhase.FINISHED,
        None,
        OTHER_SCAN_OVER,
    )
    died = follow_progress(watched_run("theirs"), ResultsBook(), None, progress("theirs")).run
    assert (died.phase, died.outcome) == (ScanPhase.FAILED, ScanState.FAILED)
