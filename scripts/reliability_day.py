"""Issue 13's trials ("A trader's day") for scripts/reliability.py, on real processes.

- `kill_then_refresh`: SIGKILL a demo refresh at a random point after it took the
  lock, then `refresh` at once: exit 0 (never 75), a new complete scan published.
- `stopped_writer`: SIGSTOP a writer (a refresh mid-scan, or a process inside a
  write transaction) while readers read: no store call takes longer than
  READ_BOUND_S, readers get the last complete results, a concurrent refresh is
  refused in one line (75); once the writer goes on, the next scans run.
- `isolation`: live results (published by hand), a demo refresh and a snapshot
  watchlist scan side by side: each source reads only its own, and a running demo
  scan blocks neither the live lock nor the snapshot's.
- `interrupt`: SIGINT to `scan`/`refresh` mid-scan: the one line
  `wheelscan: interrupted`, exit 130, the lock free, the previous results kept.

The lock TTL is the default (60 s) throughout, so a scan that runs after a killed
one proves the dead owner's lock was taken over, not waited out. Hostile snapshot
entries and full or read-only disks are in reliability_disks.py.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import subprocess
from pathlib import Path

from reliability_support import (
    QQQ_DIR,
    Budget,
    Case,
    Home,
    Ran,
    finish,
    lock_holder,
    publish_live,
    results_problem,
    scanning,
    until,
    use_watchlist,
)

from wheelscan.store import Store

READ_BOUND_S = 5.0
"""SPEC 5: no store call blocks longer than this."""
SLOW_S = 0.2
"""Demo latency per request of a scan that must still be running when the signal comes."""
HANG_S = 3600.0
"""Demo latency of a scan whose requests must hang until the trial ends it."""
SIGNAL_WINDOW_S = 1.0
"""A signal lands this long at most after the scan wrote its first progress."""
READERS = 3
WATCHLIST = ["AAPL", "KO", "MSFT", "SPY", "JPM", "XOM", "T", "F"]
"""The watchlist of the signal trials: big enough for a signal to land mid-scan."""

READER = """
import json, sys, time
from pathlib import Path
from wheelscan.store import Store, StoreError
store = Store.for_source("demo", Path(sys.argv[1]))
timings = {}
def timed(name, call):
    started = time.monotonic()
    try:
        value = call()
    except StoreError as error:
        value = error
    timings[name] = time.monotonic() - started
    return value
published = timed("read_results", store.read_results)
timed("read_status", store.read_status)
timed("read_progress_since", lambda: store.read_progress_since(None, 0))
timed("read_history", store.read_history)
timed("lock_holder", store.lock_holder)
print(json.dumps({"timings": timings, "scan": (published.scan or {}).get("id"),
                  "tickers": sorted(published.results), "warning": published.warning}))
"""

STOP_IN_WRITE = """
import os, signal, sys
from pathlib import Path
from wheelscan.store import Store
store = Store.for_source("demo", Path(sys.argv[1]))
assert store.acquire_lock("stopped-writer", "watchlist", source="demo") is not None
cache = store._open()  # no public call holds a write transaction open
with cache.transact():
    cache.set(store.keys.last_run, "half written")
    print("stopping", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
"""


def _attempts(case: Case, budget: Budget) -> range:
    """Attempts for `case.planned` trials: a signal that comes after the scan ended is
    no trial, so up to twice as many attempts; none once the budget is spent."""
    return range(0 if budget.spent else 2 * case.planned)


def _published_home(root: Path, name: str, case: Case) -> Home | None:
    """A home with a small watchlist and one published demo scan of it (None, with the
    problem, if not)."""
    home = Home(root / name)
    use_watchlist(home.path, WATCHLIST)
    problem = home.run("refresh", "--source", "demo").problem(0, "the first refresh")
    if problem:
        case.problems.append(problem)
        return None
    return home


def _wait_a_little(process: subprocess.Popen[str], rng: random.Random) -> bool:
    """Let `process` run up to SIGNAL_WINDOW_S more; True if it is still running."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=rng.uniform(0, SIGNAL_WINDOW_S))
    return process.poll() is None


# --- SIGKILL, then refresh at once --------------------------------------------------------


def kill_then_refresh(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    home = _published_home(root, "kill", case)
    if home is None:
        return
    watchlist, store = home.watchlist(), home.store()
    for _ in _attempts(case, budget):
        if case.trials >= case.planned or budget.spent:
            break
        victim = home.start("refresh", "--source", "demo", "--fresh", latency=SLOW_S)
        if not until(lambda victim=victim: scanning(store, victim)):
            finish(victim, 0)
            case.record(["the refresh never took the lock"])
            continue
        holder = lock_holder(store)
        if not _wait_a_little(victim, rng) or holder is None:
            finish(victim)
            case.count("ended before the kill (no trial)")
            continue
        progress = store.read_status().progress
        victim.send_signal(signal.SIGKILL)
        finish(victim)
        if progress is not None and progress.scan_id == holder.scan_id and not progress.finished:
            case.count("killed mid-scan")
        else:
            case.count("killed while publishing or after")
        case.record(_refresh_after_kill(home, store, watchlist, holder.scan_id))


def _refresh_after_kill(home: Home, store: Store, watchlist: set[str], killed: str) -> list[str]:
    problems = []
    before = (home.published().get("scan") or {}).get("id")
    again = home.run("refresh", "--source", "demo")
    if problem := again.problem(0, "the refresh right after the kill"):
        problems.append(problem)
    document = home.published()
    if problem := results_problem(document, watchlist):
        problems.append(f"published: {problem}")
    scan_id = (document.get("scan") or {}).get("id")
    if scan_id in (before, killed):
        problems.append(f"the refresh after the kill published nothing new ({scan_id})")
    if lock_holder(store) is not None:
        problems.append("the lock is still held after the refresh")
    return problems


# --- SIGSTOP of a writer, readers meanwhile ---------------------------------------------


def stopped_writer(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    home = _published_home(root, "stop", case)
    if home is None:
        return
    watchlist, store = home.watchlist(), home.store()
    longest = 0.0
    for attempt in _attempts(case, budget):
        if case.trials >= case.planned or budget.spent:
            break
        mode = ("mid-scan", "inside a write transaction")[attempt % 2]
        outcome = _stop_once(home, store, watchlist, mode, rng)
        if outcome is None:
            case.count("ended before the stop (no trial)")
            continue
        problems, slowest = outcome
        longest = max(longest, slowest)
        case.count(f"stopped {mode}")
        case.record(problems)
    case.notes["longest_store_call_s"] = round(longest, 3)
    case.notes["store_call_bound_s"] = READ_BOUND_S


def _stop_once(
    home: Home, store: Store, watchlist: set[str], mode: str, rng: random.Random
) -> tuple[list[str], float] | None:
    before = home.published()["scan"]["id"]
    if mode == "mid-scan":
        writer = home.start("refresh", "--source", "demo", "--fresh", latency=SLOW_S)
        if not until(lambda: scanning(store, writer)) or not _wait_a_little(writer, rng):
            finish(writer)
            return None
        writer.send_signal(signal.SIGSTOP)
    else:
        writer = home.python(STOP_IN_WRITE, str(home.cache))
        assert writer.stdout is not None
        if writer.stdout.readline().strip() != "stopping":
            return [f"the stopping writer failed: {finish(writer).err[-300:]!r}"], 0.0
    holder = lock_holder(store)
    held = holder is not None and holder.pid == writer.pid
    allowed = {before, holder.scan_id if holder else None}
    try:
        problems, slowest = _read_while_stopped(home, watchlist, allowed, held)
    finally:
        writer.send_signal(signal.SIGCONT)
    return problems + _after_the_stop(home, store, watchlist, writer, mode, before), slowest


def _read_while_stopped(
    home: Home, watchlist: set[str], allowed: set[str | None], held: bool
) -> tuple[list[str], float]:
    """Readers and a refresh, all at once, while the writer is stopped."""
    readers = [home.python(READER, str(home.cache)) for _ in range(READERS)]
    results = home.start("results", "--json", "--source", "demo")
    status = home.start("status", "--json", "--source", "demo")
    refresh = home.start("refresh", "--source", "demo")
    problems: list[str] = []
    slowest = 0.0
    for reader in readers:
        ran = finish(reader)
        if problem := ran.problem(0, "a store reader"):
            problems.append(problem)
            continue
        seen = json.loads(ran.out)
        name, took = max(seen["timings"].items(), key=lambda item: item[1])
        slowest = max(slowest, took)
        if took > READ_BOUND_S:
            problems.append(f"{name} blocked {took:.1f} s behind the stopped writer")
        if seen["scan"] not in allowed or set(seen["tickers"]) - watchlist:
            problems.append(f"a reader saw scan {seen['scan']}, not the last complete one")
    ran = finish(results)
    if problem := ran.problem(0, "results --json"):
        problems.append(problem)
    elif problem := results_problem(ran.json() or {}, watchlist):
        problems.append(f"results --json: {problem}")
    elif (ran.json()["scan"] or {}).get("id") not in allowed:
        problems.append("results --json: not the last complete results")
    if problem := finish(status).problem(0, "status --json"):
        problems.append(problem)
    ran = finish(refresh)
    if problem := ran.problem(75 if held else 0, "a refresh beside the stopped writer"):
        problems.append(problem)
    elif held and ran.err.count("\n") != 1:
        problems.append(f"the refused refresh said {ran.err!r}, not one line")
    return problems, slowest


def _after_the_stop(
    home: Home,
    store: Store,
    watchlist: set[str],
    writer: subprocess.Popen[str],
    mode: str,
    before: str,
) -> list[str]:
    """Once the writer goes on, the scans run: the stopped refresh finishes and publishes,
    or (the hand-made writer, which never releases its lock) the next refresh takes over."""
    problems = []
    ran = finish(writer)
    if mode == "mid-scan":
        if problem := ran.problem(0, "the stopped refresh, continued"):
            problems.append(problem)
    else:
        again = home.run("refresh", "--source", "demo")
        if problem := again.problem(0, "a refresh after the stopped writer exited"):
            problems.append(problem)
    document = home.published()
    if problem := results_problem(document, watchlist):
        problems.append(f"after the stop: {problem}")
    elif (document.get("scan") or {}).get("id") == before:
        problems.append("after the stop, nothing new was published")
    if lock_holder(store) is not None:
        problems.append("after the stop, the lock is still held")
    return problems


# --- live, demo and snapshot side by side ------------------------------------------------


def isolation(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    home = Home(root / "isolation")
    use_watchlist(home.path, ["QQQ", "KO", "AAPL"])
    watchlist = home.watchlist()
    for trial in range(case.planned):
        if budget.spent:
            break
        case.record(_isolate_once(home, f"live-{trial}", rng, watchlist))


def _isolate_once(home: Home, live_id: str, rng: random.Random, watchlist: set[str]) -> list[str]:
    problems = []
    snapshot = f"snapshot:{QQQ_DIR}"
    live = publish_live(home, live_id, ago_s=rng.uniform(0, 3 * 3600))
    demo_store = home.store("demo")
    hanging = home.start("refresh", "--source", "demo", "--fresh", latency=HANG_S)
    try:
        if not until(lambda: scanning(demo_store, hanging)) or hanging.poll() is not None:
            return ["the hanging demo refresh never ran"]
        for source in ("yahoo", snapshot):
            other = home.store(source)
            handle = other.acquire_lock(f"probe-{live_id}", "watchlist", source=source)
            if handle is None:
                problems.append(f"a running demo scan blocked the {source} lock")
            else:
                other.release_lock(handle)
        if (home.run("status", "--json").json() or {}).get("running") is not False:
            problems.append("the live status shows the demo scan running")
    finally:
        hanging.kill()
        finish(hanging)
    for args in (["refresh", "--source", "demo"], ["scan", "--source", snapshot, "--json"]):
        if problem := home.run(*args).problem(0, " ".join(args[:3])):
            problems.append(problem)
    shown = home.run("results", "--json")
    document = shown.json() or {}
    if (document.get("scan") or {}).get("id") != live_id or document.get("results") != live:
        problems.append(f"live results are not the live scan: {shown.out[:200]!r}")
    if '"demo' in shown.out or "snapshot" in shown.out:
        problems.append("the live results mention another source")
    demo = home.published("demo")
    if problem := results_problem(demo, watchlist):
        problems.append(f"demo: {problem}")
    elif demo["scan"]["source"] != "demo":
        problems.append(f"demo results from {demo['scan']['source']}")
    replay = home.published(snapshot)
    scan = replay.get("scan") or {}
    if scan.get("source") != snapshot or not str(scan.get("source_namespace")).startswith(
        "snapshot:"
    ):
        problems.append(f"snapshot results from {scan.get('source')}")
    elif "QQQ" not in replay["results"]:
        problems.append("the snapshot scan lost QQQ")
    return problems


# --- Ctrl-C --------------------------------------------------------------------------------


def interrupt(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    home = _published_home(root, "interrupt", case)
    if home is None:
        return
    watchlist, store = home.watchlist(), home.store()
    for attempt in _attempts(case, budget):
        if case.trials >= case.planned or budget.spent:
            break
        command = ("scan", "refresh")[attempt % 2]
        latency = (HANG_S, SLOW_S)[attempt // 2 % 2]
        before = home.published()["scan"]["id"]
        process = home.start(command, "--source", "demo", "--fresh", latency=latency)
        if not until(lambda process=process: scanning(store, process)):
            finish(process, 0)
            case.record([f"{command} never took the lock"])
            continue
        holder = lock_holder(store)
        if not _wait_a_little(process, rng) or holder is None:
            finish(process)
            case.count("ended before the signal (no trial)")
            continue
        process.send_signal(signal.SIGINT)
        ran = finish(process)
        case.count(f"{command}, {'hung' if latency == HANG_S else 'slow'} requests")
        case.record(_interrupted(home, store, watchlist, ran, before, holder.scan_id, case))


def _interrupted(
    home: Home, store: Store, watchlist: set[str], ran: Ran, before: str, scan_id: str, case: Case
) -> list[str]:
    problems = []
    if problem := ran.problem(130, "the interrupted scan"):
        return [problem]
    if ran.err.splitlines() != ["wheelscan: interrupted"] or ran.out:
        problems.append(f"printed {ran.out[:100]!r} and {ran.err[-300:]!r}")
    if lock_holder(store) is not None:
        problems.append("the lock was not released")
    document = home.published()
    published = (document.get("scan") or {}).get("id")
    if problem := results_problem(document, watchlist):
        problems.append(f"published: {problem}")
    elif published == scan_id:
        case.count("interrupted after its own publish")
    elif published != before:
        problems.append(f"the previous results were lost ({published})")
    else:
        progress, _ = store.read_progress()
        if progress is None or progress.state != "CANCELLED":
            problems.append(f"progress says {progress and progress.state}, not CANCELLED")
    return problems
