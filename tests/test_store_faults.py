"""The store when things go wrong, with real processes, real files and real mounts.

Dead lock owners (SIGKILL, reused pids, a restarted machine), a writer stopped
inside a write transaction, full and read-only file systems (tmpfs mounts: these
tests need root, as CI has), damaged databases, undecodable rows, symlinks.
Whether a call blocks is decided by a deadline on a child process far below the
minute that the old wedge lasted, never by timing a call.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import diskcache
import pytest

import disks
from cli_support import until, wheelscan
from wheelscan.store import Store, StoreError
from wheelscan.store.owner import process_start_time

if TYPE_CHECKING:
    from conftest import DemoRefreshed, FakeClock

DEADLINE_S = 20
"""A child that must not block gets this long; a wedged store call used to take 60 s."""


def python(code: str, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        **kwargs,
    )  # fmt: skip


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=DEADLINE_S
    )


NO_LATENCY = {"WHEELSCAN_DEMO_LATENCY": "0"}


def published_document(scan_id: str, now: float) -> dict[str, Any]:
    finished = datetime.fromtimestamp(now, UTC).isoformat()
    return {
        "scan": {"id": scan_id, "kind": "watchlist", "state": "SUCCEEDED", "finished_at": finished},
        "results": {
            "AAPL": {"underlying_price": 10.0, "as_of": finished, "candidates": [], "rejected": {}}
        },
    }


def publish(store: Store, scan_id: str = "s1") -> None:
    handle = store.acquire_lock(scan_id, "watchlist")
    assert handle is not None
    assert store.publish(handle, published_document(scan_id, store.clock()), "Scan completed")
    assert store.release_lock(handle)
    store.append_history({"id": scan_id, "source": "yahoo"})


def db_key(key: str) -> bytes:
    """A key as the store's disk writes it (zlib-compressed JSON)."""
    return zlib.compress(json.dumps(key).encode("utf-8"), 1)


def plant(directory: Path, key: str, value: bytes, mode: int = 1) -> None:
    """Overwrite an existing row's value with raw bytes, as a damaged or hostile file would."""
    with sqlite3.connect(directory / "cache.db") as db:
        changed = db.execute(
            "UPDATE Cache SET value = ?, mode = ? WHERE key = ?", (value, mode, db_key(key))
        ).rowcount
    assert changed == 1, key


def one_line(text: str) -> bool:
    return text.count("\n") <= 1 and "Traceback" not in text


def test_diskcache_still_has_the_retry_the_store_bounds() -> None:
    member = inspect.getattr_static(diskcache.Cache, "_sql_retry", None)
    assert isinstance(member, property), (
        "diskcache.Cache._sql_retry is gone or changed: store/opening.py bounds its 60 s retry "
        "of a locked database; find where this diskcache version retries and bound it there"
    )


# --- dead owners ---------------------------------------------------------------------------

HOLD_LOCK = """
import sys
from pathlib import Path
from wheelscan.store import Store
store = Store(Path(sys.argv[1]))
print(store.acquire_lock("dead", "watchlist") is not None, flush=True)
sys.stdin.read()
"""


def test_a_killed_owners_lock_is_taken_over_at_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    owner = python(HOLD_LOCK, str(store.directory))
    try:
        assert owner.stdout.readline().strip() == "True"
        assert store.acquire_lock("early", "watchlist") is None, "a live owner's lock holds"
        holder = store.lock_holder()
        assert holder is not None and holder.pid == owner.pid
    finally:
        owner.kill()
        owner.communicate(timeout=DEADLINE_S)
    assert store.lock_holder() is None, "a dead owner holds nothing"
    assert store.read_status().lock is None
    handle = store.acquire_lock("next", "watchlist")
    assert handle is not None
    assert handle.replaced == f"the lock of scan dead (process {owner.pid} is not running)"


def _rewrite_lock(store: Store, **fields: Any) -> None:
    cache = store._open()
    cache.set(store.keys.lock, {**cache.get(store.keys.lock), **fields})


def test_an_owner_whose_pid_now_belongs_to_another_process_is_dead(store: Store) -> None:
    assert store.acquire_lock("old", "watchlist") is not None
    started = process_start_time(os.getpid())
    assert started is not None, "this test needs /proc"
    _rewrite_lock(store, pid_start=started - 1)  # this pid, but not the process that locked
    handle = store.acquire_lock("new", "watchlist")
    assert handle is not None and "belongs to a newer process" in handle.replaced


def test_an_owner_from_before_a_restart_is_dead_and_another_hosts_owner_is_not(
    store: Store,
) -> None:
    assert store.acquire_lock("old", "watchlist") is not None
    _rewrite_lock(store, boot_id="an-earlier-boot")
    handle = store.acquire_lock("new", "watchlist")
    assert handle is not None and "restarted" in handle.replaced
    _rewrite_lock(store, host="another-machine", pid=1, boot_id="an-earlier-boot")
    assert store.acquire_lock("third", "watchlist") is None, "cannot prove it dead from here"


def test_a_killed_refresh_lets_the_next_refresh_scan_at_once(wheelscan_home: Path) -> None:
    """`kill -9` of a refresh, then `refresh`: exit 0, not 75 (issue 13, item 5)."""
    env = {**os.environ, "WHEELSCAN_HOME": str(wheelscan_home), "WHEELSCAN_DEMO_LATENCY": "3600"}
    hanging = subprocess.Popen(
        [sys.executable, "-m", "wheelscan", "refresh", "--source", "demo", "--force"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    store = Store.for_source("demo", wheelscan_home / "cache")
    try:
        until(
            lambda: store.lock_holder() is not None or hanging.poll() is not None,
            "the refresh takes the lock",
        )
        holder = store.lock_holder()
        assert holder is not None and holder.pid == hanging.pid, "the refresh took the lock"
    finally:
        hanging.kill()
        hanging.wait(timeout=DEADLINE_S)
    done = wheelscan("refresh", "--source", "demo", "--force", env=NO_LATENCY)
    assert done.returncode == 0, done.stderr


# --- a writer stopped inside a write transaction ----------------------------------------------

STOP_IN_WRITE = """
import os, signal, sys
from pathlib import Path
from wheelscan.store import Store
store = Store(Path(sys.argv[1]))
if sys.argv[2] == "with-lock":
    assert store.acquire_lock("stuck", "watchlist") is not None
cache = store._open()
with cache.transact():
    cache.set(store.keys.last_run, "half written")
    print("stopping", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
"""

READ_EVERYTHING = """
import json, sys
from pathlib import Path
from wheelscan.store import Store, StoreError
store = Store(Path(sys.argv[1]))
published, status = store.read_results(), store.read_status()
try:
    taken = repr(store.acquire_lock("other", "watchlist"))
except StoreError as error:
    taken = "StoreError: " + str(error)
print(json.dumps({
    "results": sorted(published.results), "last_run": published.last_run,
    "warning": published.warning, "lock": status.lock and status.lock.scan_id,
    "history": len(store.read_history()[0]), "progress": store.read_progress()[1],
    "since": store.read_progress_since(None, 0).warning, "taken": taken,
}))
"""


@contextlib.contextmanager
def stopped_writer(directory: Path, mode: str) -> Iterator[subprocess.Popen[str]]:
    """A child that holds SQLite's write lock, stopped (SIGSTOP) inside its transaction."""
    child = python(STOP_IN_WRITE, str(directory), mode)
    try:
        assert child.stdout.readline().strip() == "stopping", child.stderr.read()
        yield child
    finally:
        child.send_signal(signal.SIGCONT)
        child.kill()
        child.communicate(timeout=DEADLINE_S)


@pytest.mark.parametrize("mode", ["with-lock", "without-lock"])
def test_a_stopped_writer_wedges_no_reader_and_no_writer(
    store: Store, fake_clock: FakeClock, mode: str
) -> None:
    publish(store)
    store.close()
    with stopped_writer(store.directory, mode):
        done = run_python(READ_EVERYTHING, str(store.directory))
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout)
        assert seen["results"] == ["AAPL"] and seen["last_run"] == "Scan completed"
        assert seen["history"] == 1 and seen["progress"] is None and seen["since"] is None
        if mode == "with-lock":
            assert seen["lock"] == "stuck" and seen["taken"] == "None", "locked: exit 75"
        else:
            assert seen["taken"].startswith("StoreError: cannot take the scan lock: the cache is")
            assert "locked by another process" in seen["taken"] and one_line(seen["taken"])
        if mode == "with-lock":
            fake_clock.advance(45)  # the child beat after this clock started: 31 < age <= 45
            warning = store.read_results().warning
            assert warning and re.search(
                r"scan stuck \(pid \d+\) has not renewed its lock", warning
            )


# --- full and read-only file systems ---------------------------------------------------------


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted for the test (needs root; CI runs as root)."""
    if not disks.can_mount():
        pytest.skip("mounting a tmpfs needs root (CI runs these as root)")
    with disks.tmpfs(tmp_path / "mnt") as point:
        yield point


def fill(directory: Path) -> None:
    disks.fill(directory)
    assert os.statvfs(directory).f_bavail == 0


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from wheelscan.store import Store
store = Store(Path(sys.argv[1]))
store.set_last_run("after the crash")
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("closed", ["cleanly", "by a SIGKILL"])
def test_a_read_only_disk_shows_intact_results_and_writers_fail_in_one_line(
    tmpfs: Path, closed: str
) -> None:
    store = Store(tmpfs / "cache")
    publish(store)
    store.close()
    last_run = "Scan completed"
    if closed == "by a SIGKILL":
        assert run_python(KILLED_WRITER, str(store.directory)).returncode == -signal.SIGKILL
        assert (store.directory / "cache.db-wal").stat().st_size > 0
        last_run = "after the crash"
    disks.make_read_only(tmpfs)
    reader = Store(store.directory)
    published = reader.read_results()
    assert published.warning is None and set(published.results) == {"AAPL"}
    assert published.last_run == last_run and reader.read_history()[0][0]["id"] == "s1"
    assert reader.read_status().warning is None
    with pytest.raises(StoreError) as raised:
        reader.acquire_lock("s2", "watchlist")
    assert "is read-only (EROFS)" in str(raised.value) and one_line(str(raised.value))
    shown = wheelscan("results", "--json", home=tmpfs)
    assert shown.returncode == 0 and shown.stderr == ""
    assert list(json.loads(shown.stdout)["results"]) == ["AAPL"]
    refresh = wheelscan("refresh", "--source", "demo", "--force", home=tmpfs, env=NO_LATENCY)
    assert refresh.returncode == 1, refresh.stderr
    assert "read-only (EROFS)" in refresh.stderr and "Traceback" not in refresh.stderr
    assert refresh.stderr.count("\n") <= 2, refresh.stderr  # the log's warning and the failure


def test_a_full_disk_shows_intact_results_and_writers_fail_in_one_line(
    tmpfs: Path, demo_refreshed: DemoRefreshed
) -> None:
    demo_refreshed.copy_to(tmpfs)
    assert not (tmpfs / "cache" / "cache.db-shm").exists(), "a reader must create it: no room"
    fill(tmpfs)
    reader = Store.for_source("demo", tmpfs / "cache")
    published = reader.read_results()
    assert published.warning is None and published.scan["state"] == "SUCCEEDED"
    assert len(published.results) > 10
    with pytest.raises(StoreError) as raised:
        reader.acquire_lock("s2", "watchlist")
    assert "is full (ENOSPC)" in str(raised.value) and one_line(str(raised.value))
    shown = wheelscan("results", "--json", "--source", "demo", home=tmpfs)
    assert shown.returncode == 0 and json.loads(shown.stdout)["results"] == published.results
    refresh = wheelscan("refresh", "--source", "demo", "--force", home=tmpfs, env=NO_LATENCY)
    assert refresh.returncode == 1, refresh.stderr
    assert "ENOSPC" in refresh.stderr and "Traceback" not in refresh.stderr
    assert refresh.stderr.count("\n") <= 2, refresh.stderr


# --- damage that `cache clear` repairs ---------------------------------------------------------


def test_a_damaged_database_reads_as_corrupted_and_cache_clear_repairs_it(
    wheelscan_home: Path,
) -> None:
    store = Store(wheelscan_home / "cache")
    publish(store)
    store.close()
    database = store.directory / "cache.db"
    data = bytearray(database.read_bytes())
    for page in range(4096, len(data), 4096):  # every page but the file header's
        data[page + 8 : page + 200] = bytes(range(192))
    database.write_bytes(bytes(data))
    for args in (["results"], ["status"], ["history"]):
        done = wheelscan(*args)
        assert done.returncode == 0 and one_line(done.stderr), done.stderr
        assert "corrupted" in done.stderr, (args, done.stderr)
    cleared = wheelscan("cache", "clear")
    assert cleared.returncode == 0 and "removed" in cleared.stdout, cleared.stderr
    assert wheelscan("results").stderr == ""


def test_a_directory_named_cache_db(wheelscan_home: Path) -> None:
    database = wheelscan_home / "cache" / "cache.db"
    database.mkdir(parents=True)
    (database / "something").write_text("not ours")
    shown = wheelscan("results")
    assert shown.returncode == 0 and one_line(shown.stderr)
    assert f"{database} is a directory" in shown.stderr
    cleared = wheelscan("cache", "clear")
    assert cleared.returncode == 1 and one_line(cleared.stderr)
    assert f"{database} is a directory" in cleared.stderr and "remove it" in cleared.stderr
    assert (database / "something").exists(), "what is not the cache's is left for the user"
    (database / "something").unlink()
    cleared = wheelscan("cache", "clear")
    assert cleared.returncode == 0 and not database.is_dir(), cleared.stderr


def test_a_lock_row_with_wrong_types_raises_nowhere(store: Store) -> None:
    publish(store)
    store._open().set(store.keys.lock, {"token": 7, "pid": "x", "heartbeat_epoch": "soon"})
    status = store.read_status()
    assert status.lock is None and status.warning and "lock record is unreadable" in status.warning
    assert store.lock_holder() is None
    assert store.read_results().results
    handle = store.acquire_lock("s2", "watchlist")
    assert handle is not None and handle.replaced == "an unreadable lock record"
    store._open().set(store.keys.lock, [1, 2])
    assert store.clear() is None and store.read_results().scan is None


def test_an_undecodable_lock_row_is_taken_over(store: Store) -> None:
    assert store.acquire_lock("s1", "watchlist") is not None
    store.close()
    plant(store.directory, store.keys.lock, b"\x00 not zlib at all")
    assert store.lock_holder() is None
    handle = store.acquire_lock("s2", "watchlist")
    assert handle is not None and handle.replaced == "an undecodable lock row"
    assert store.heartbeat(handle)


def test_refresh_wait_behind_an_undecodable_lock_scans(wheelscan_home: Path) -> None:
    """`refresh --wait` must neither busy-loop nor wait on a row no scan can own."""
    directory = wheelscan_home / "cache"
    for namespace in ("yahoo", "demo"):
        Store(directory, namespace=namespace).acquire_lock("s0", "watchlist")
        plant(directory, f"scanner:{namespace}:scan_in_progress", pickle_bytes(), mode=4)
    done = wheelscan("refresh", "--source", "demo", "--force", "--wait", env=NO_LATENCY)
    assert done.returncode == 0, done.stderr
    assert Store(directory, namespace="demo").lock_holder() is None


def pickle_bytes() -> bytes:
    import pickle

    return pickle.dumps({"token": "planted"})


# --- symlinks --------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["cache", "cache/cache.db", "cache/cache.db-wal"])
def test_a_symlink_in_the_store_is_refused_in_one_line(tmp_path: Path, link: str) -> None:
    home = tmp_path / "home"
    (home / "cache").mkdir(parents=True)
    target = tmp_path / "elsewhere"
    target.mkdir()
    if link != "cache":
        Store(home / "cache").set_last_run("ok")
        Store(home / "cache").close()
    path = home / link
    if path.is_dir():
        path.rmdir()
    path.unlink(missing_ok=True)
    path.symlink_to(target / "file" if "cache.db" in link else target)
    store = Store(home / "cache")
    with pytest.raises(StoreError) as raised:
        store.set_last_run("written through a link")
    assert f"{path} is a symlink" in str(raised.value) and one_line(str(raised.value))
    warning = store.read_results().warning
    assert warning and f"{path} is a symlink" in warning
    assert list(target.iterdir()) == [], "nothing written where the link points"


@pytest.mark.parametrize("link", ["logs", "logs/wheelscan.log"])
def test_a_symlinked_log_is_refused_in_one_line(wheelscan_home: Path, link: str) -> None:
    target = wheelscan_home.parent / "elsewhere"
    target.mkdir()
    (wheelscan_home / "logs").mkdir(parents=True)
    path = wheelscan_home / link
    if link == "logs":
        path.rmdir()
    path.symlink_to(target if link == "logs" else target / "stolen.log")
    done = wheelscan("refresh", "--source", "demo", "--force", env=NO_LATENCY)
    assert done.returncode == 2 and one_line(done.stderr), done.stderr
    assert f"{path} is a symlink" in done.stderr
    assert list(target.iterdir()) == []


# --- the log file ----------------------------------------------------------------------------


def test_rotated_logs_are_private_from_their_first_byte_and_never_follow_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wheelscan.logfile import PrivateRotatingFileHandler

    chmodded: list[str] = []
    real_chmod = os.chmod

    def chmod(path: object, *args: Any, **kwargs: Any) -> None:
        chmodded.append(str(path))
        real_chmod(path, *args, **kwargs)

    monkeypatch.setattr(os, "chmod", chmod)
    target = tmp_path / "elsewhere"
    target.write_text("not a log\n")
    log = tmp_path / "wheelscan.log"
    Path(f"{log}.2").symlink_to(target)
    previous = os.umask(0)
    try:
        handler = PrivateRotatingFileHandler(log, maxBytes=200, backupCount=3, encoding="utf-8")
        logger = logging.getLogger("wheelscan.test.rotation")
        logger.addHandler(handler)
        try:
            for number in range(40):
                logger.warning("line %d of a log that rotates every few lines", number)
        finally:
            logger.removeHandler(handler)
            handler.close()
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.lstat().st_mode) for p in tmp_path.glob("wheelscan.log*")}
    assert modes == dict.fromkeys(["wheelscan.log", *(f"wheelscan.log.{n}" for n in (1, 2, 3))],
                                  0o600)  # fmt: skip
    assert chmodded == [] and target.read_text() == "not a log\n"


def test_a_log_on_a_full_disk_costs_one_warning_line(tmpfs: Path) -> None:
    code = (
        "import logging, sys\n"
        "from wheelscan.logfile import log_to_file\n"
        "assert log_to_file() is not None\n"
        "for n in range(2000):\n"
        "    logging.getLogger('wheelscan.x').warning('line %d %s', n, 'x' * 200)\n"
        "print('still running')\n"
    )
    (tmpfs / "logs").mkdir()
    fill(tmpfs)
    env = {**os.environ, "WHEELSCAN_HOME": str(tmpfs)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=DEADLINE_S)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "still running\n", done.stderr
    assert done.stderr.startswith("wheelscan: warning: cannot write the log file ")
    assert "No space left on device" in done.stderr and done.stderr.count("\n") == 1
