"""The app's scan record (`tui.scan_state`) on its own: transitions and polls of the store.

No Textual here: the record, the book and the store's records are plain data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from wheelscan.cli.messages import ExitCode
from wheelscan.core.models import ScanState
from wheelscan.store import LockInfo, ProgressHeader, ProgressRow
from wheelscan.tui.model import ResultsBook, TickerRow
from wheelscan.tui.scan_state import (
    OTHER_SCAN_OVER,
    ScanOrigin,
    ScanPhase,
    ScanRun,
    ScanTransitionError,
    StorePoll,
    follow_scan,
)

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CHILD = 4242


def lock(scan_id: str, pid: int = CHILD) -> LockInfo:
    """The lock as the store reports it while scan `scan_id` of process `pid` holds it."""
    return LockInfo(
        token="t", pid=pid, host="box", scan_id=scan_id, kind="watchlist", source="demo",
        started=T0.isoformat(), heartbeat=T0.isoformat(), ttl_s=60, heartbeat_s=15,
        stale=False, stale_reason="", heartbeat_age_s=0, expires_in_s=60,
    )  # fmt: skip


def header(scan_id: str, state: str = "RUNNING", **fields: Any) -> ProgressHeader:
    values = {"done": 0, "total": 4, "candidates": 0, "errors": 0, "rows": 0}
    values.update(fields)
    return ProgressHeader(
        scan_id=scan_id,
        kind="watchlist",
        source="demo",
        state=state,
        started=fields.pop("started", T0.isoformat()),
        updated=T0.isoformat(),
        **{k: v for k, v in values.items() if k != "started"},
    )


def result(price: float, *contracts: str, at: datetime = T0) -> dict[str, Any]:
    return {
        "underlying_price": price,
        "as_of": at.isoformat(),
        "candidates": [{"contract": c, "annualized_return_pct": 30.0} for c in contracts],
    }


def own_run() -> ScanRun:
    return ScanRun().start_own("the watchlist (DEMO)", T0).launched(CHILD, T0)


def watched_run(scan_id: str | None = "theirs") -> ScanRun:
    return ScanRun().watch("a watchlist scan by pid 7 on box", scan_id, T0)


def test_a_new_record_is_idle() -> None:
    run = ScanRun()
    assert (run.phase, run.mode, run.running) == (ScanPhase.IDLE, "idle", False)


def test_an_own_scan_is_launched_stopped_and_ends() -> None:
    run = ScanRun().start_own("the watchlist (DEMO)", T0)
    assert (run.mode, run.origin, run.title, run.pid) == (
        "scanning",
        ScanOrigin.OWN,
        "Scanning the watchlist (DEMO)",
        None,
    )
    with pytest.raises(ScanTransitionError):
        run.start_own("again", T0)
    run = run.launched(CHILD, T0)
    assert run.pid == CHILD
    stopping = run.cancel()
    assert stopping.running and stopping.title == "Stopping the scan…"
    over = stopping.ended(ScanState.CANCELLED, "Scan cancelled")
    assert (over.phase, over.outcome, over.running, over.cancelling) == (
        ScanPhase.CANCELLED,
        ScanState.CANCELLED,
        False,
        False,
    )
    again = over.start_own("the watchlist (DEMO)", T0 + timedelta(minutes=1))
    assert (again.running, again.done, again.outcome, again.pid) == (True, 0, None, None)


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


@pytest.mark.parametrize(
    ("run", "transition"),
    [
        (ScanRun(), lambda run: run.cancel()),
        (ScanRun(), lambda run: run.ended(ScanState.SUCCEEDED)),
        (ScanRun(), lambda run: run.following("x")),
        (ScanRun(), lambda run: run.launched(1, T0)),
        (ScanRun(), lambda run: run.progressed(header("x"), 0)),
        (watched_run(), lambda run: run.cancel()),
        (watched_run(), lambda run: run.launched(1, T0)),
        (watched_run(), lambda run: run.watch("again", "y", T0)),
    ],
)
def test_transitions_the_phase_does_not_allow(run: ScanRun, transition: Any) -> None:
    with pytest.raises(ScanTransitionError):
        transition(run)


def test_elapsed_and_time_left_at_the_pace_so_far() -> None:
    started = T0.isoformat()
    run = watched_run().progressed(header("theirs", done=3, total=12, started=started), 0)
    now = T0 + timedelta(seconds=30)
    assert run.elapsed_s(now) == 30
    assert run.eta_s(now) == pytest.approx(90)  # 10 s a ticker, 9 to go
    assert run.progressed(header("theirs", done=0, total=12), 0).eta_s(now) is None
    assert run.progressed(header("theirs", done=12, total=12), 0).eta_s(now) is None
    assert ScanRun().elapsed_s(now) == 0


def test_the_own_scan_is_the_lock_of_its_process_and_its_rows_come_in_order() -> None:
    book = ResultsBook()
    book.load({"KO": result(60.0, "KO-OLD")}, {})
    cron = follow_scan(own_run(), book, StorePoll(lock("cron", pid=99), header("cron")))
    assert cron.run.scan_id is None, "a lock of another process is not the own scan's"
    first = follow_scan(
        own_run(),
        book,
        StorePoll(
            lock("mine"),
            header("mine", done=2, candidates=3, errors=1, rows=2, current="MSFT"),
            [
                ProgressRow("AAPL", result(270.0, "AAPL1", "AAPL2"), None, 0),
                ProgressRow("KO", None, "timed out", 1),
            ],
        ),
    )
    run = first.run
    assert (run.scan_id, run.seen, run.done, run.candidates, run.errors) == ("mine", 2, 2, 3, 1)
    assert run.in_flight == {"MSFT"} and run.running
    assert first.changed == ["AAPL", "KO"]
    assert [c["contract"] for c in book.rows["AAPL"].candidates] == ["AAPL1", "AAPL2"]
    assert book.rows["AAPL"].scanned_at == T0
    assert book.rows["KO"] == TickerRow("KO", result(60.0, "KO-OLD"), None, "timed out")
    assert run.scan_of(lock("mine")) == "mine" and run.rows_seen("mine") == 2
    assert run.rows_seen("another") == 0
    second = follow_scan(
        run,
        book,
        StorePoll(
            lock("mine"),
            header("mine", done=3, rows=3),
            [ProgressRow("MSFT", result(500.0, "MSFT1"), None, 2)],
        ),
    )
    assert (second.run.seen, second.changed, second.run.in_flight) == (3, ["MSFT"], frozenset())


def test_the_own_scan_ends_with_its_process() -> None:
    run = follow_scan(own_run(), ResultsBook(), StorePoll(lock("mine"), header("mine"))).run
    still = follow_scan(run, ResultsBook(), StorePoll(None, header("mine", "SUCCEEDED")))
    assert still.run.running, "the lock is released before the process exits"
    done = follow_scan(
        run, ResultsBook(), StorePoll(None, header("mine", "SUCCEEDED", message="ok"), [], 0)
    )
    assert (done.run.phase, done.run.outcome, done.run.message) == (
        ScanPhase.FINISHED,
        ScanState.SUCCEEDED,
        "ok",
    )
    died = follow_scan(run, ResultsBook(), StorePoll(None, header("mine"), [], 137, "Killed"))
    assert (died.run.phase, died.run.message) == (ScanPhase.FAILED, "Killed")


def test_an_own_scan_that_ended_before_its_lock_was_seen() -> None:
    launched = own_run()
    later = (T0 + timedelta(seconds=1)).isoformat()
    quick = follow_scan(
        launched,
        ResultsBook(),
        StorePoll(None, header("quick", "SUCCEEDED", started=later, message="ok"), [], 0),
    )
    assert (quick.run.outcome, quick.run.message) == (ScanState.SUCCEEDED, "ok")
    earlier = (T0 - timedelta(hours=1)).isoformat()
    previous = header("previous", "FAILED", started=earlier)
    refused = follow_scan(
        launched, ResultsBook(), StorePoll(lock("cron", 99), previous, [], ExitCode.LOCKED)
    )
    assert refused.refused and refused.run.running
    broke = follow_scan(launched, ResultsBook(), StorePoll(None, previous, [], 2, "bad config"))
    assert (broke.run.outcome, broke.run.message) == (ScanState.FAILED, "bad config")
    stopped = follow_scan(launched.cancel(), ResultsBook(), StorePoll(None, previous, [], 130))
    assert stopped.run.outcome is ScanState.CANCELLED


def test_a_watched_scan_follows_its_lock_until_it_is_gone() -> None:
    book = ResultsBook()
    run = watched_run("theirs")
    polled = follow_scan(
        run,
        book,
        StorePoll(
            lock("theirs", 7),
            header("theirs", done=1, rows=1),
            [ProgressRow("KO", result(70.0, "KO1"))],
        ),
    )
    assert polled.run.running and polled.changed == ["KO"]
    over = follow_scan(
        polled.run, book, StorePoll(None, header("theirs", "SUCCEEDED", message="Scan completed"))
    ).run
    assert (over.phase, over.outcome, over.message) == (
        ScanPhase.FINISHED,
        ScanState.SUCCEEDED,
        "Scan completed",
    )
    replaced = follow_scan(polled.run, book, StorePoll(lock("next", 8), header("next"))).run
    assert (replaced.phase, replaced.outcome, replaced.message) == (
        ScanPhase.FINISHED,
        None,
        OTHER_SCAN_OVER,
    )
    died = follow_scan(polled.run, book, StorePoll(None, header("theirs"))).run
    assert (died.phase, died.outcome) == (ScanPhase.FAILED, ScanState.FAILED)


def test_an_unreadable_store_changes_nothing() -> None:
    run = watched_run("theirs")
    followed = follow_scan(run, ResultsBook(), StorePoll(None, None, [], None, "", "disk I/O"))
    assert followed.run == run and followed.changed == []
