"""The store on real diskcache files: JSON only, owner-token lock, namespaces, freshness,
appended progress, history, clear. Faults (dead owners, wedged writers, full and
read-only disks, corruption, symlinks) are in test_store_faults.py."""

from __future__ import annotations

import os
import pickle
import sqlite3
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from wheelscan.core.sources import SourceSpecError
from wheelscan.store import (
    HISTORY_LIMIT,
    ProgressHeader,
    ProgressRow,
    Store,
    StoreError,
    source_namespace,
)

if TYPE_CHECKING:
    from conftest import FakeClock


def document(scan_id: str, tickers: tuple[str, ...] = ("AAPL",), finished: float = 0.0) -> dict:
    now = (
        datetime.fromtimestamp(finished, UTC).isoformat()
        if finished
        else "2026-01-05T15:00:00+00:00"
    )
    return {
        "schema": 1,
        "scan": {"id": scan_id, "kind": "watchlist", "state": "SUCCEEDED", "finished_at": now},
        "results": {
            t: {"underlying_price": 10.0, "as_of": now, "candidates": [], "rejected": {}}
            for t in tickers
        },
    }


def publish(store: Store, scan_id: str, tickers: tuple[str, ...] = ("AAPL",)) -> None:
    handle = store.acquire_lock(scan_id, "watchlist")
    assert handle is not None
    assert store.publish(handle, document(scan_id, tickers, finished=store.clock()), "done")
    assert store.release_lock(handle)


def header(scan_id: str, done: int, **fields: object) -> ProgressHeader:
    base: dict = {"state": "RUNNING", "total": 300, "candidates": 0, "errors": 0}
    return ProgressHeader(
        scan_id=scan_id, kind="watchlist", source="demo", done=done,
        started="t0", updated=f"t{done}", **{**base, **fields},
    )  # fmt: skip


def test_cache_dir_is_private_and_values_are_json(store: Store) -> None:
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((store.directory / "cache.db").stat().st_mode) == 0o600
    assert store.publish(handle, document("s1"), "Scan completed")
    store.close()
    with sqlite3.connect(store.directory / "cache.db") as db:
        modes = {row[0] for row in db.execute("SELECT mode FROM Cache")}
        raw_flags = {row[0] for row in db.execute("SELECT raw FROM Cache")}
    assert modes <= {1, 2}, "only raw or binary (compressed JSON) rows, never pickle (4)"
    assert raw_flags == {1}


def test_database_files_are_private_without_ever_being_chmodded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0600 from the first byte: created so, not tightened afterwards (umask 0 here)."""
    chmodded: list[str] = []

    def recording(real: Callable[..., None]) -> Callable[..., None]:
        def call(target: object, *args: object, **kwargs: object) -> None:
            chmodded.append(str(target))
            return real(target, *args, **kwargs)

        return call

    monkeypatch.setattr(os, "chmod", recording(os.chmod))
    monkeypatch.setattr(os, "fchmod", recording(os.fchmod))
    previous = os.umask(0)
    try:
        store = Store(tmp_path / "cache")
        publish(store, "s1")
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in store.directory.iterdir()}
        store.close()
    finally:
        os.umask(previous)
    assert files == {"cache.db": 0o600, "cache.db-wal": 0o600, "cache.db-shm": 0o600}
    assert [target for target in chmodded if "cache.db" in target or target.isdigit()] == []


def test_a_planted_pickle_is_corruption_not_code(store: Store, tmp_path: Path) -> None:
    store.set_last_run("ok")
    store.append_history({"id": "s1"})
    store.close()
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple:
            return (Path.touch, (marker,))

    with sqlite3.connect(store.directory / "cache.db") as db:
        db.execute("UPDATE Cache SET mode = 4, value = ?", (pickle.dumps(Exploit()),))
    reader = Store(store.directory)
    results = reader.read_results()
    status = reader.read_status()
    history = reader.read_history()
    assert not marker.exists()
    assert results.results == {} and results.warning and "corrupt" in results.warning
    assert status.warning and "corrupt" in status.warning
    assert history[0] == [] and history[1] and "corrupt" in history[1]


def test_lock_is_exclusive_and_released_only_by_its_owner(store: Store) -> None:
    first = store.acquire_lock("s1", "watchlist")
    assert first is not None and first.replaced == ""
    assert store.acquire_lock("s2", "adhoc") is None
    holder = store.lock_holder()
    assert holder is not None and holder.scan_id == "s1" and holder.pid == os.getpid()
    assert not holder.stale
    assert store.heartbeat(first)
    assert store.release_lock(first)
    assert store.lock_holder() is None
    assert not store.release_lock(first)


def test_an_expired_owner_cannot_touch_the_new_owners_lock(
    store: Store, fake_clock: FakeClock
) -> None:
    old = store.acquire_lock("old", "watchlist", ttl_s=30)
    assert old is not None
    fake_clock.advance(29)
    assert store.acquire_lock("early", "watchlist") is None, "held until its TTL runs out"
    fake_clock.advance(1)
    new = store.acquire_lock("new", "watchlist", ttl_s=60)
    assert new is not None and new.replaced == "the expired lock of scan old"
    assert not store.heartbeat(old)
    assert not store.write_progress(old, {"scan_id": "old"})
    assert store.append_progress(old, header("old", 1)) is None
    assert not store.publish(old, document("old"), "Scan completed")
    assert not store.set_last_run("old", old)
    assert not store.release_lock(old)
    holder = store.lock_holder()
    assert holder is not None and holder.scan_id == "new"
    assert store.read_results().scan is None


def test_heartbeats_keep_the_lock_and_missed_ones_make_it_stale_then_free(
    store: Store, fake_clock: FakeClock
) -> None:
    handle = store.acquire_lock("s1", "watchlist", ttl_s=60, heartbeat_s=15)
    assert handle is not None
    for _ in range(4):  # 4 × 50 s: far past the TTL, renewed each time before it runs out
        fake_clock.advance(50)
        assert store.heartbeat(handle)
    fake_clock.advance(40)
    holder = store.lock_holder()
    assert holder is not None and holder.stale and holder.stale_reason == "no heartbeat for 40 s"
    assert holder.heartbeat_age_s == pytest.approx(40)
    assert holder.expires_in_s == pytest.approx(20)
    status = store.read_status()
    assert status.lock is not None and status.lock.stale
    assert store.acquire_lock("s2", "watchlist") is None, "a live owner may only be stopped"
    fake_clock.advance(20)
    assert store.lock_holder() is None and store.read_status().lock is None
    assert not store.heartbeat(handle), "an expired lock cannot be renewed"
    assert store.acquire_lock("s2", "watchlist") is not None


def test_published_results_stay_and_turn_stale_after_the_readers_ttl(
    store: Store, fake_clock: FakeClock
) -> None:
    publish(store, "s1", ("AAPL", "KO"))
    fake_clock.advance(119)
    fresh = store.read_results(ttl_minutes=2)
    assert set(fresh.results) == {"AAPL", "KO"} and set(fresh.scan_times) == {"AAPL", "KO"}
    assert fresh.scan is not None and fresh.scan["id"] == "s1"
    assert fresh.age_s == pytest.approx(119, abs=0.01)
    assert fresh.fresh and not fresh.stale and fresh.warning is None
    assert fresh.document()["scan"] == fresh.scan
    fake_clock.advance(2 * 3600)
    old = store.read_results(ttl_minutes=2)
    assert set(old.results) == {"AAPL", "KO"}, "results are never deleted for their age"
    assert old.stale and not old.fresh and old.age_s == pytest.approx(2 * 3600 + 119, abs=0.01)
    assert not store.read_results(ttl_minutes=180).stale, "the reader's TTL decides"


def test_a_newer_watchlist_scan_replaces_the_published_results(
    store: Store, fake_clock: FakeClock
) -> None:
    publish(store, "s1", ("AAPL", "KO"))
    fake_clock.advance(3600)
    publish(store, "s2", ("MSFT",))
    published = store.read_results(ttl_minutes=45)
    assert published.scan is not None and published.scan["id"] == "s2"
    assert set(published.results) == {"MSFT"} and published.fresh


def test_source_namespaces() -> None:
    assert source_namespace("yahoo") == "yahoo"
    assert source_namespace("demo") == "demo"
    here = source_namespace(f"snapshot:{Path.cwd()}")
    assert here.startswith("snapshot:") and len(here) == len("snapshot:") + 16
    assert source_namespace("snapshot:.") == here == source_namespace(f"snapshot:{Path.cwd()}/")
    assert source_namespace("snapshot:~/rec") == source_namespace(f"snapshot:{Path.home()}/rec")
    assert source_namespace("snapshot:/a") != source_namespace("snapshot:/b")
    with pytest.raises(SourceSpecError):
        source_namespace("live")


def test_a_demo_scan_is_invisible_to_live_readers_and_never_blocks_a_live_scan(
    store: Store, fake_clock: FakeClock
) -> None:
    live = Store(store.directory, namespace="yahoo", clock=fake_clock)
    demo = Store.for_source("demo", store.directory, clock=fake_clock)
    publish(live, "live1", ("AAPL",))
    demo_lock = demo.acquire_lock("demo1", "watchlist")
    assert demo_lock is not None
    live_lock = live.acquire_lock("live2", "watchlist")
    assert live_lock is not None, "the demo scan's lock is the demo namespace's"
    assert demo.publish(demo_lock, document("demo1", ("ZZZZ",), fake_clock()), "demo done")
    assert demo.append_progress(demo_lock, header("demo1", 1), [ProgressRow("ZZZZ", {})])
    assert set(live.read_results().results) == {"AAPL"}
    assert live.read_results().scan["id"] == "live1" and live.read_results().namespace == "yahoo"
    assert demo.read_results().scan["source_namespace"] == "demo"
    assert set(demo.read_results().results) == {"ZZZZ"}
    live_status, demo_status = live.read_status(), demo.read_status()
    assert live_status.lock.scan_id == "live2" and live_status.header is None
    assert demo_status.lock.scan_id == "demo1" and demo_status.header.scan_id == "demo1"
    assert live_status.last_run == "done" and demo_status.last_run == "demo done"
    live.append_history({"id": "live2", "source": "yahoo"})
    demo.append_history({"id": "demo1", "source": "demo"})
    entries, _ = live.read_history()
    assert [(e["id"], e["source_namespace"]) for e in entries] == [
        ("demo1", "demo"),
        ("live2", "yahoo"),
    ]
    assert demo.read_history() == live.read_history(), "the history is shared"


def test_progress_is_appended_and_a_watcher_reads_only_new_rows(store: Store) -> None:
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    assert store.read_progress_since(None, 0) == (None, [], None)
    written = store.append_progress(handle, header("s1", 0))
    assert written is not None and written.rows == 0
    rows = [ProgressRow(f"T{n}", {"n": n}) for n in range(3)]
    assert store.append_progress(handle, header("s1", 3), rows).rows == 3
    seen, new = store.read_progress_since("s1", 0)[:2]
    assert seen.done == 3 and [(r.number, r.symbol, r.result) for r in new] == [
        (0, "T0", {"n": 0}), (1, "T1", {"n": 1}), (2, "T2", {"n": 2}),
    ]  # fmt: skip
    failed = ProgressRow("BAD", None, "no chain")
    assert store.append_progress(handle, header("s1", 4, errors=1), [failed]).rows == 4
    latest, new, warning = store.read_progress_since("s1", 3)
    assert (
        warning is None and latest.errors == 1 and new == [ProgressRow("BAD", None, "no chain", 3)]
    )
    assert store.read_progress_since("s1", 4).rows == []
    assert len(store.read_progress_since("another scan", 4).rows) == 4, "a new scan: every row"
    whole, _ = store.read_progress()
    assert whole is not None and set(whole.results) == {"T0", "T1", "T2"}
    assert whole.errors == {"BAD": "no chain"} and store.read_status().progress == whole
    done = header("s1", 4, state="SUCCEEDED", errors=1, scan={"id": "s1"}, message="ok")
    assert store.append_progress(handle, done).rows == 4
    final = store.read_status()
    assert final.header.finished and final.progress.document()["scan"] == {"id": "s1"}


def test_a_ticker_costs_one_row_and_the_header_stays_the_same_size(store: Store) -> None:
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    database = store.directory / "cache.db"
    result = {"underlying_price": 10.0, "candidates": [{"strike": k} for k in range(20)]}

    def header_bytes_and_rows() -> tuple[int, int]:
        with sqlite3.connect(database) as db:
            (count,) = db.execute("SELECT count(*) FROM Cache").fetchone()
            sizes = [len(v) for (v,) in db.execute("SELECT value FROM Cache") if v]
        return max(sizes), count  # the header or a row, whichever is larger

    sizes = []
    for done in range(1, 201):
        store.append_progress(handle, header("s1", done), [ProgressRow(f"T{done}", result)])
        if done in (1, 200):
            sizes.append(header_bytes_and_rows())
    (first_bytes, first_rows), (last_bytes, last_rows) = sizes
    assert last_rows - first_rows == 199, "one row per ticker"
    assert last_bytes - first_bytes < 16, "no value grows with the number of tickers"


def test_a_new_scan_deletes_the_previous_scans_rows(store: Store) -> None:
    first = store.acquire_lock("s1", "watchlist")
    assert first is not None
    store.append_progress(first, header("s1", 2), [ProgressRow("A", {}), ProgressRow("B", {})])
    assert store.release_lock(first)
    second = store.acquire_lock("s2", "watchlist")
    assert second is not None
    store.append_progress(second, header("s2", 1), [ProgressRow("C", {})])
    store.close()
    with sqlite3.connect(store.directory / "cache.db") as db:
        count = db.execute("SELECT count(*) FROM Cache").fetchone()[0]
    assert count == 3, "lock, header and the one row of s2"
    assert [r.symbol for r in store.read_progress_since("s1", 0).rows] == ["C"]


def test_history_keeps_the_last_50_newest_first(store: Store) -> None:
    for number in range(HISTORY_LIMIT + 5):
        store.append_history({"id": f"s{number}"})
    entries, warning = store.read_history()
    assert warning is None
    assert len(entries) == HISTORY_LIMIT
    assert entries[0]["id"] == f"s{HISTORY_LIMIT + 4}"
    assert entries[-1]["id"] == "s5"


def test_clear_refuses_while_a_live_scan_holds_a_lock_of_any_namespace(
    store: Store, fake_clock: FakeClock
) -> None:
    demo = Store(store.directory, namespace="demo", clock=fake_clock)
    publish(store, "s1")
    handle = demo.acquire_lock("d1", "watchlist")
    assert handle is not None
    assert demo.write_progress(handle, {"scan_id": "d1", "state": "RUNNING"})
    store.append_history({"id": "s0"})
    holder = store.clear()
    assert holder is not None and holder.scan_id == "d1"
    assert store.read_history()[0] and store.read_results().scan is not None
    assert demo.release_lock(handle)
    assert store.clear() is None
    assert store.read_history() == ([], None)
    assert store.read_results().scan is None and demo.read_progress() == (None, None)
    assert store.read_status().last_run is None


def test_a_corrupted_cache_file_gives_empty_results_and_a_message(store: Store) -> None:
    store.set_last_run("ok")
    store.close()
    for path in store.directory.glob("cache.db*"):
        path.unlink()
    (store.directory / "cache.db").write_bytes(b"this is not a database" * 200)
    reader = Store(store.directory)
    results = reader.read_results()
    assert results.results == {} and results.scan is None
    assert results.warning and "corrupted" in results.warning
    status = reader.read_status()
    assert status.lock is None and status.warning
    assert reader.read_history()[0] == []
    with pytest.raises(StoreError, match="corrupted"):
        reader.acquire_lock("s1", "watchlist")
    assert reader.reset_if_corrupt()
    assert Store(store.directory).read_results().warning is None


def test_reading_never_creates_the_cache(tmp_path: Path) -> None:
    reader = Store(tmp_path / "cache")
    assert reader.read_results().warning is None and reader.read_results().scan is None
    assert reader.read_status().warning is None and reader.read_history() == ([], None)
    assert reader.lock_holder() is None and reader.read_progress() == (None, None)
    assert not (tmp_path / "cache").exists()


def test_the_v1_progress_record_still_reads(store: Store) -> None:
    store.set_last_run("ok")
    assert store.read_results().results == {}
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    assert store.write_progress(handle, {"scan_id": "s1", "state": "RUNNING", "done": 1})
    progress, warning = store.read_progress()
    assert warning is None and progress is not None and progress.done == 1
    since = store.read_progress_since("s1", 0)
    assert since.header is not None and since.header.done == 1 and since.rows == []
