"""What the trials of scripts/reliability.py share: a case's tally, real `wheelscan`
processes in a home of their own, waits with deadlines, the shape of a published scan.

Every wait here has a deadline: a process that outlives it is killed and its trial
fails as hung; a trial never waits on a bare sleep for something to happen.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_store_load import results_problem, use_watchlist  # noqa: E402
from wheelscan.core.models import Criteria, ScanKind, ScanState  # noqa: E402
from wheelscan.core.scan_record import scan_object  # noqa: E402
from wheelscan.store import LockInfo, Store, StoreError  # noqa: E402

DEADLINE_S = 120.0
"""How long one `wheelscan` process of a trial may take before it counts as hung."""
QQQ_DIR = ROOT / "tests" / "fixtures" / "qqq"

__all__ = [
    "DEADLINE_S",
    "QQQ_DIR",
    "Budget",
    "Case",
    "Home",
    "Ran",
    "finish",
    "lock_holder",
    "publish_live",
    "results_problem",
    "scanning",
    "until",
    "use_watchlist",
]


class Budget:
    """The whole run's time: trials stop starting once it is spent."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    @property
    def spent(self) -> bool:
        return time.monotonic() >= self.ends


@dataclass
class Case:
    """One case's tally: trials run, how many held, why the others did not.

    `planned` is the trials to run; `size` what one trial's size is, for the cases
    that run one big trial (examples per property, seconds of load).
    """

    name: str
    planned: int
    size: int | None = None
    trials: int = 0
    held: int = 0
    problems: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def record(self, problems: list[str]) -> None:
        """One trial's outcome: it held when it found no problem."""
        self.trials += 1
        if problems:
            self.problems += [f"trial {self.trials}: {p}" for p in problems]
        else:
            self.held += 1

    def count(self, note: str, by: int = 1) -> None:
        self.notes[note] = self.notes.get(note, 0) + by

    def summary(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            **({"size": self.size} if self.size is not None else {}),
            "trials": self.trials,
            "held": self.held,
            "failed": self.trials - self.held,
            "seconds": round(time.monotonic() - self.started, 1),
            **self.notes,
            "problems": self.problems[:20],
        }


@dataclass(frozen=True)
class Ran:
    """A finished `wheelscan` process (code None: killed at its deadline)."""

    code: int | None
    out: str
    err: str

    def json(self) -> Any:
        try:
            return json.loads(self.out)
        except ValueError:
            return None

    def problem(self, expected: int, what: str) -> str | None:
        if self.code is None:
            return f"{what}: hung past {DEADLINE_S:g} s"
        if self.code != expected:
            return f"{what}: exit {self.code}, not {expected}: {self.err.strip()[-300:]!r}"
        if "Traceback" in self.err:
            return f"{what}: a traceback on stderr"
        return None


class Home:
    """A WHEELSCAN_HOME of its own, and `wheelscan` processes run in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    @property
    def cache(self) -> Path:
        return self.path / "cache"

    def env(self, latency: float = 0) -> dict[str, str]:
        env = {**os.environ, "WHEELSCAN_HOME": str(self.path)}
        env["WHEELSCAN_DEMO_LATENCY"] = f"{latency:g}"
        for knob in ("WHEELSCAN_LOCK_TTL", "WHEELSCAN_DEBUG"):
            env.pop(knob, None)
        return env

    def start(self, *args: str, latency: float = 0) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "wheelscan", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env(latency),
        )  # fmt: skip

    def run(self, *args: str, latency: float = 0, timeout: float = DEADLINE_S) -> Ran:
        return finish(self.start(*args, latency=latency), timeout)

    def python(self, code: str, *args: str) -> subprocess.Popen[str]:
        """A child running `code` with this home (for store calls made by hand)."""
        return subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env(),
        )  # fmt: skip

    def store(self, source: str = "demo") -> Store:
        return Store.for_source(source, self.cache)

    def published(self, source: str = "demo") -> dict[str, Any]:
        """The published document of `source` (its results and scan), read in this process
        (`results --json` prints the same document with its age)."""
        published = self.store(source).read_results()
        return {**published.document(), "last_run": published.last_run}

    def watchlist(self) -> set[str]:
        document = self.run("watchlist", "list", "--json").json()
        return {t["symbol"] for t in document["tickers"] if t["active"]}


def finish(process: subprocess.Popen[str], timeout: float = DEADLINE_S) -> Ran:
    """Wait for `process` up to `timeout`; past it, SIGKILL it and report it hung."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGCONT)
        process.kill()
        out, err = process.communicate(timeout=DEADLINE_S)
        return Ran(None, out, err)
    return Ran(process.returncode, out, err)


def until(condition: Callable[[], bool], timeout_s: float = DEADLINE_S) -> bool:
    """Poll `condition` until it holds (True) or `timeout_s` has passed (False)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def lock_holder(store: Store) -> LockInfo | None:
    try:
        return store.lock_holder()
    except StoreError:
        return None


def scanning(store: Store, process: subprocess.Popen[str]) -> bool:
    """The scan of `process` holds the lock and has written its first progress (or it ended)."""
    if process.poll() is not None:
        return True
    status = store.read_status()
    return (
        status.lock is not None
        and status.lock.pid == process.pid
        and status.progress is not None
        and status.progress.scan_id == status.lock.scan_id
    )


def publish_live(home: Home, scan_id: str, ago_s: float) -> dict[str, Any]:
    """A live watchlist scan of KO, published in the `yahoo` namespace `ago_s` ago."""
    store = Store.for_source("yahoo", home.cache, clock=lambda: time.time() - ago_s)
    finished = datetime.fromtimestamp(store.clock(), UTC)
    scan = scan_object(
        scan_id=scan_id, kind=ScanKind.WATCHLIST, state=ScanState.SUCCEEDED,
        started_at=finished, finished_at=finished, source="yahoo", criteria=Criteria(),
        tickers_scanned=1, source_namespace=store.namespace, market_open=True,
    )  # fmt: skip
    results = {"KO": {"underlying_price": 61.5, "as_of": finished.isoformat(), "candidates": [],
                      "rejected": {}}}  # fmt: skip
    handle = store.acquire_lock(scan_id, str(ScanKind.WATCHLIST), source="yahoo")
    if handle is None or not store.publish(handle, {"scan": scan, "results": results}, "done"):
        raise RuntimeError("could not publish the live results")
    store.release_lock(handle)
    store.close()
    return results
