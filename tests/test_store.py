"""The store on real diskcache files: JSON only, owner-token lock, TTL, history, broken caches."""

from __future__ import annotations

import os
import pickle
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from wheelscan.store import HISTORY_LIMIT, Store, StoreError

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


def test_a_planted_pickle_is_corruption_not_code(store: Store, tmp_path: Path) -> None:
    store.set_last_run("ok")
    store.close()
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple:
            return (Path.touch, (marker,))

    with sqlite3.connect(store.directory / "cache.db") as db:
        db.execute(
            "UPDATE Cache SET mode = 4, value = ? WHERE rowid = (SELECT min(rowid) FROM Cache)",
            (pickle.dumps(Exploit()),),
        )
    reader = Store(store.directory)
    results = reader.read_results()
    status = reader.read_status()
    assert not marker.exists()
    assert results.results == {} and results.warning and "corrupt" in results.warning
    assert status.warning and "corrupt" in status.warning


def test_lock_is_exclusive_and_released_only_by_its_owner(store: Store) -> None:
    first = store.acquire_lock("s1", "watchlist")
    assert first is not None
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
    assert new is not None, "an expired lock counts as free"
    assert not store.heartbeat(old)
    assert not store.write_progress(old, {"scan_id": "old"})
    assert not store.publish(old, document("old"), "Scan completed")
    assert not store.set_last_run("old", old)
    assert not store.release_lock(old)
    holder = store.lock_holder()
    assert holder is not None and holder.scan_id == "new"
    assert store.read_results().results == {}


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
    assert store.acquire_lock("s2", "watchlist") is None, "a stale lock blocks until its TTL"
    fake_clock.advance(20)
    assert store.lock_holder() is None and store.read_status().lock is None
    assert not store.heartbeat(handle), "an expired lock cannot be renewed"
    assert store.acquire_lock("s2", "watchlist") is not None


def test_results_expire_after_their_ttl_and_read_as_stale(
    store: Store, fake_clock: FakeClock
) -> None:
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    published = document("s1", ("AAPL", "KO"), finished=fake_clock())
    assert store.publish(handle, published, "done", results_ttl_s=120)
    fake_clock.advance(119)
    fresh = store.read_results(ttl_minutes=45)
    assert set(fresh.results) == {"AAPL", "KO"}
    assert set(fresh.scan_times) == {"AAPL", "KO"}
    assert fresh.scan is not None and fresh.scan["id"] == "s1"
    assert fresh.age_s == pytest.approx(119, abs=0.01) and not fresh.stale and not fresh.expired
    assert fresh.document()["scan"] == fresh.scan == Store(store.directory).read_results().scan
    fake_clock.advance(1)
    expired = store.read_results(ttl_minutes=45)
    assert expired.results == {} and expired.scan_times == {}
    assert expired.expired and expired.stale
    assert expired.scan is not None and expired.scan["id"] == "s1"


def test_results_older_than_the_readers_ttl_are_stale(store: Store, fake_clock: FakeClock) -> None:
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    assert store.publish(handle, document("s1", finished=fake_clock()), "done")
    assert not store.read_results(ttl_minutes=1).stale
    fake_clock.advance(61)
    published = store.read_results(ttl_minutes=1)
    assert published.results and published.stale and published.age_s == pytest.approx(61, abs=0.01)


def test_history_keeps_the_last_50_newest_first(store: Store) -> None:
    for number in range(HISTORY_LIMIT + 5):
        store.append_history({"id": f"s{number}"})
    entries, warning = store.read_history()
    assert warning is None
    assert len(entries) == HISTORY_LIMIT
    assert entries[0]["id"] == f"s{HISTORY_LIMIT + 4}"
    assert entries[-1]["id"] == "s5"


def test_clear_refuses_while_a_live_scan_holds_the_lock(store: Store) -> None:
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    assert store.publish(handle, document("s1"), "done")
    assert store.write_progress(handle, {"scan_id": "s1", "state": "RUNNING"})
    store.append_history({"id": "s0"})
    holder = store.clear()
    assert holder is not None and holder.scan_id == "s1"
    assert store.read_history()[0]
    assert store.release_lock(handle)
    assert store.clear() is None
    assert store.read_history() == ([], None)
    assert store.read_results().scan is None and store.read_progress() == (None, None)
    assert store.read_status().last_run is None


def test_clear_takes_a_dead_scans_lock_with_it(store: Store) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    cache = store._open()
    cache.set(store.keys.lock, {**cache.get(store.keys.lock), "pid": int(finished.stdout)})
    holder = store.lock_holder()
    assert holder is not None and holder.stale and "is not running" in holder.stale_reason
    assert store.clear() is None
    assert store.lock_holder() is None


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


def _read_only_probe(directory: Path) -> subprocess.CompletedProcess[str]:
    """Read the store from a process that cannot write `directory`.

    Root ignores file modes, so as root the reader runs without the
    capabilities that let it (util-linux `setpriv` drops them before exec).
    """
    code = (
        "import sys; from pathlib import Path; from wheelscan.store import Store;"
        "s = Store(Path(sys.argv[1])); r = s.read_results(); st = s.read_status();"
        "print(repr(r.results), repr(st.lock)); print(r.warning); print(st.warning)"
    )
    command = [sys.executable, "-c", code, str(directory)]
    if os.geteuid() == 0:
        drop = "-dac_override,-dac_read_search,-fowner,-linux_immutable"
        command = ["setpriv", "--bounding-set", drop, *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_a_read_only_cache_directory_gives_empty_results_and_a_message(store: Store) -> None:
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    store.release_lock(handle)
    store.close()
    store.directory.chmod(0o555)
    (store.directory / "cache.db").chmod(0o444)
    try:
        done = _read_only_probe(store.directory)
    finally:
        store.directory.chmod(0o700)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "{} None"
    assert lines[1].startswith("cannot read the cache:")
    assert lines[2].startswith("cannot read the cache:")
    assert "Traceback" not in done.stderr


def test_reading_a_key_the_store_never_wrote_is_harmless(store: Store) -> None:
    store.set_last_run("ok")
    assert store.read_results().results == {}
    handle = store.acquire_lock("s1", "watchlist")
    assert handle is not None
    assert store.write_progress(handle, {"scan_id": "s1", "state": "RUNNING", "done": 1})
    progress, warning = store.read_progress()
    assert warning is None and progress is not None and progress.done == 1
