"""The store under load, with real processes on one real diskcache.

Scanner processes run watchlist scans in turn (the lock hands over) while reader
processes read `results --json` and `status --json` in a loop. Every read must be a
complete document of one scan (never a mix of two), readers never see results go back
in time, and no two scanners ever hold the lock at once: each acquisition is logged
with its token by the scanner itself and the intervals are checked for overlap.
Then scans are SIGKILLed at random points: the published results stay one complete
scan and the next scan always runs once the dead scan's lock has expired.

The test runs a fixed number of scans per scanner, so what it checks does not depend
on the machine's speed. This file is also the worker those processes run
(`python tests/test_store_load.py ROLE SPEC`), and `scripts/reliability.py` runs the
same functions at full size for a fixed time (60 s, 20 kills) and reports how many
reads and lock hand-overs that gave.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
KILLS_ENV = "WHEELSCAN_KILLS"
WORKER_ENV = {"WHEELSCAN_DEMO_LATENCY": "0.01", "WHEELSCAN_DEBUG": ""}
READ_PAUSE_S = 0.05
"""A reader's pause between rounds: ten times the pace of the terminal app following a scan
(tui/following.py), and room on the CPU for the scans."""
SLACK = timedelta(seconds=1)  # as_of is a whole second (Yahoo's regularMarketTime)
SOURCE = ("--source", "demo")
"""What the scanners scan and the readers read: the demo's namespace (SPEC 5)."""


# --- what a complete document of one scan looks like -----------------------------------


def results_problem(document: dict[str, Any], watchlist: set[str]) -> str | None:
    """Why `results --json` output is not one complete published scan (None if it is)."""
    scan, results = document.get("scan"), document.get("results")
    if not isinstance(results, dict):
        return "results is not an object"
    if scan is None:
        return None if results == {} else "results without the scan that made them"
    if scan.get("state") != "SUCCEEDED" or scan.get("kind") != "watchlist":
        return f"published a {scan.get('state')} {scan.get('kind')} scan"
    if set(results) | set(scan.get("errors") or {}) != watchlist:
        return f"tickers {sorted(results)} are not the watchlist"
    started = datetime.fromisoformat(scan["started_at"]) - SLACK
    if scan.get("market_open") is False:  # priced at the last close, before the scan began
        started = datetime.min.replace(tzinfo=UTC)
    finished = datetime.fromisoformat(scan["finished_at"])
    for ticker, result in results.items():
        as_of = datetime.fromisoformat(result["as_of"])
        if not started <= as_of <= finished:
            return f"{ticker} was priced at {as_of}, outside scan {scan['id']} ({started}..)"
    return None


def status_problem(document: dict[str, Any]) -> str | None:
    if not {"running", "lock", "progress", "last_run"} <= set(document):
        return f"status keys {sorted(document)}"
    progress = document["progress"]
    if progress and not 0 <= progress["done"] <= progress["total"]:
        return f"progress {progress['done']}/{progress['total']}"
    if document["running"] != (document["lock"] is not None):
        return "running without a lock holder"
    return None


# --- the worker side ----------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str]:
    """One `wheelscan ARGS` in this process (its output captured) through the console entry
    (its fast path reads `results --json` and `status --json`), as it would exit."""
    from wheelscan.cli import fast

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["wheelscan", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            fast.run()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    finally:
        sys.argv = argv
    return code, out.getvalue()


def _spy_on_the_lock(log_path: Path) -> None:
    """Log every acquisition and release of the scan lock with its token (calls go through)."""
    from wheelscan import store

    acquire, release = store.Store.acquire_lock, store.Store.release_lock

    def log(event: str, token: str) -> None:
        line = json.dumps({"event": event, "token": token, "t": time.time(), "pid": os.getpid()})
        with log_path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    def acquire_logged(self: Any, *args: Any, **kwargs: Any) -> Any:
        handle = acquire(self, *args, **kwargs)
        if handle is not None:
            log("acquired", handle.token)  # after: the true hold began earlier
        return handle

    def release_logged(self: Any, handle: Any) -> bool:
        log("releasing", handle.token)  # before: the true hold ends later
        return release(self, handle)

    store.Store.acquire_lock = acquire_logged  # type: ignore[method-assign]
    store.Store.release_lock = release_logged  # type: ignore[method-assign]


def _await_go(go: Path, ready: Path) -> float:
    """Say this worker has imported, wait for the driver's go; returns the deadline."""
    from wheelscan.cli import fast  # noqa: F401  (imported before the clock starts)

    ready.touch()
    while not go.exists():
        time.sleep(0.01)
    return float(go.read_text())


def scanner(spec: dict[str, Any]) -> None:
    """Scan until `scans` scans succeeded (all scans until the deadline when None)."""
    _spy_on_the_lock(Path(spec["spy"]))
    deadline = _await_go(Path(spec["go"]), Path(spec["ready"]))
    scans: int | None = spec["scans"]
    codes: list[int] = []
    while time.time() < deadline and (scans is None or codes.count(0) < scans):
        code, _ = _cli("scan", *SOURCE, "--json")
        codes.append(code)
        if code == 75:
            time.sleep(random.uniform(0.05, 0.2))  # back off before asking for the lock again
    Path(spec["out"]).write_text(json.dumps({"codes": codes}))


def reader(spec: dict[str, Any]) -> None:
    """Read until the scanners are done (`stop` exists), then once more."""
    deadline = _await_go(Path(spec["go"]), Path(spec["ready"]))
    watchlist, stop = set(spec["watchlist"]), Path(spec["stop"])
    reads, problems, seen = 0, [], []
    last_finished: datetime | None = None
    while True:
        last_round = stop.exists() or time.time() >= deadline
        for command in ("results", "status"):
            code, text = _cli(command, "--json", *SOURCE)
            reads += 1
            try:
                document = json.loads(text)
            except ValueError:
                problems.append(f"{command}: exit {code}, not JSON: {text[:200]!r}")
                continue
            if code != 0:
                problems.append(f"{command}: exit {code}")
            if command == "status":
                problem = status_problem(document)
            else:
                problem = results_problem(document, watchlist)
                scan = document.get("scan")
                if scan:
                    finished = datetime.fromisoformat(scan["finished_at"])
                    if last_finished and finished < last_finished:
                        problem = f"results went back in time to scan {scan['id']}"
                    last_finished = finished
                    if not seen or seen[-1] != scan["id"]:
                        seen.append(scan["id"])
            if problem:
                problems.append(f"{command}: {problem}")
        if last_round:
            break
        time.sleep(READ_PAUSE_S)
    out = {"reads": reads, "problems": problems[:20], "scans_seen": seen}
    Path(spec["out"]).write_text(json.dumps(out))


# --- the driver side ----------------------------------------------------------------------


@dataclass
class LoadReport:
    seconds: float
    reads: int = 0
    problems: list[str] = field(default_factory=list)
    acquisitions: int = 0
    overlaps: list[str] = field(default_factory=list)
    scan_codes: list[int] = field(default_factory=list)
    scans_seen_by_readers: int = 0
    last_seen: list[str | None] = field(default_factory=list)
    """The scan each reader saw in its last read, made after every scanner had exited."""
    published_at_end: str | None = None
    """The scan the store held once everything had stopped."""


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "WHEELSCAN_HOME": str(home), **WORKER_ENV, **extra}


def _worker(home: Path, role: str, spec: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(HERE), role, json.dumps(spec)],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(paths: list[Path], procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """Until every path exists (a worker died or `timeout` passed: stop waiting)."""
    until = time.monotonic() + timeout
    while not all(path.exists() for path in paths):
        if time.monotonic() > until or any(proc.poll() is not None for proc in procs):
            return
        time.sleep(0.05)


def watchlist_symbols(home: Path) -> set[str]:
    from cli_support import wheelscan

    done = wheelscan("watchlist", "list", "--json", home=home)
    assert done.returncode == 0, done.stderr
    entries = json.loads(done.stdout)
    entries = entries.get("tickers", entries) if isinstance(entries, dict) else entries
    return {e["symbol"] for e in entries if e.get("active", True)}


def lock_overlaps(spy: Path) -> tuple[int, list[str]]:
    """(acquisitions, overlapping pairs) from the spy log."""
    held: dict[str, list[float]] = {}
    for line in spy.read_text().splitlines():
        record = json.loads(line)
        if record["event"] == "acquired":
            held[record["token"]] = [record["t"], float("inf")]
        elif record["token"] in held:
            held[record["token"]][1] = record["t"]
    spans = sorted(held.items(), key=lambda item: item[1][0])
    overlaps = [
        f"{a[:8]} held until {a_end:.3f}, {b[:8]} from {b_start:.3f}"
        for (a, (_, a_end)), (b, (b_start, _)) in itertools.pairwise(spans)
        if b_start < a_end
    ]
    return len(spans), overlaps


def use_watchlist(home: Path, symbols: list[str]) -> None:
    text = "".join(f"[tickers.{symbol}]\n" for symbol in symbols)
    (home / "watchlist.toml").write_text(text, encoding="utf-8")


def run_load(
    home: Path,
    seconds: float,
    scanners: int = 4,
    readers: int = 8,
    symbols: list[str] | None = None,
    scans_each: int | None = None,
) -> LoadReport:
    """Scanners in turn and readers in a loop; returns what was checked.

    Each scanner stops after `scans_each` successful scans, or scans until `seconds`
    have passed when it is None (with a count, `seconds` only bounds a hung run).
    Readers read until every scanner has exited, then once more. `symbols` replaces
    the default watchlist (a smaller one makes shorter scans).
    """
    home.mkdir(parents=True, exist_ok=True)
    if symbols:
        use_watchlist(home, symbols)
    watchlist = watchlist_symbols(home)
    spy, go, stop = home / "lock-spy.jsonl", home / "go", home / "scanners-done"
    spy.touch()
    outs = [home / f"worker-{i}.json" for i in range(scanners + readers)]
    ready = [home / f"worker-{i}.ready" for i in range(scanners + readers)]
    common = {"go": str(go)}
    procs = [
        _worker(home, "scanner", {**common, "ready": str(ready[i]), "out": str(outs[i]),
                                  "spy": str(spy), "scans": scans_each})
        for i in range(scanners)
    ] + [
        _worker(home, "reader", {**common, "ready": str(ready[i]), "out": str(outs[i]),
                                 "stop": str(stop), "watchlist": sorted(watchlist)})
        for i in range(scanners, scanners + readers)
    ]  # fmt: skip
    report = LoadReport(seconds=seconds)
    try:
        _wait_for(ready, procs, timeout=180)  # every worker has imported: start together
        staged = go.with_suffix(".staged")  # renamed: a worker never reads a half-written go
        staged.write_text(str(time.time() + seconds))
        staged.replace(go)
        for proc in procs[:scanners]:
            _, err = proc.communicate(timeout=seconds + 180)
            if proc.returncode != 0:
                report.problems.append(f"scanner exit {proc.returncode}: {err.decode()[-500:]}")
        stop.touch()
        for proc in procs[scanners:]:
            _, err = proc.communicate(timeout=180)
            if proc.returncode != 0:
                report.problems.append(f"reader exit {proc.returncode}: {err.decode()[-500:]}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for i, out in enumerate(outs):
        if not out.exists():
            report.problems.append(f"worker {i} wrote no report")
            continue
        data = json.loads(out.read_text())
        if i < scanners:
            report.scan_codes += data["codes"]
        else:
            report.reads += data["reads"]
            report.problems += data["problems"]
            report.scans_seen_by_readers = max(
                report.scans_seen_by_readers, len(data["scans_seen"])
            )
            report.last_seen.append(data["scans_seen"][-1] if data["scans_seen"] else None)
    report.acquisitions, report.overlaps = lock_overlaps(spy)
    report.published_at_end = (published(home).get("scan") or {}).get("id")
    return report


@dataclass
class KillReport:
    kills: int = 0
    survived: int = 0
    problems: list[str] = field(default_factory=list)


def published(home: Path) -> dict[str, Any]:
    """`results --json` of the demo namespace, read in this process."""
    from cli_support import wheelscan

    return json.loads(wheelscan("results", "--json", *SOURCE, home=home).stdout)


def run_kills(home: Path, kills: int, lock_ttl_s: float = 1.5) -> KillReport:
    """SIGKILL `kills` watchlist scans (real processes) at random points; after each, check
    and rescan (in this process)."""
    from cli_support import wheelscan

    home.mkdir(parents=True, exist_ok=True)
    watchlist = watchlist_symbols(home)
    overrides = {"WHEELSCAN_LOCK_TTL": str(lock_ttl_s), "WHEELSCAN_DEMO_LATENCY": "0.03"}
    env = _env(home, **overrides)
    scan = ("scan", *SOURCE, "--json")
    report = KillReport()
    rng = random.Random(int(os.environ.get("WHEELSCAN_KILL_SEED", "7")))
    for cycle in range(kills):
        before = published(home).get("scan")
        victim = subprocess.Popen(
            [sys.executable, "-m", "wheelscan", *scan],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 3.0))  # imports, lock, mid-scan, publishing, or done
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        report.kills += 1
        after = published(home)
        problem = results_problem(after, watchlist)
        if problem:
            report.problems.append(f"kill {cycle}: after the kill: {problem}")
            continue
        if before and after.get("scan") and after["scan"]["id"] != before["id"]:
            # The victim finished and published before it died: still one complete scan.
            pass
        waited_until = time.time() + lock_ttl_s + 30
        code = 75
        while code == 75 and time.time() < waited_until:
            code = wheelscan(*scan, home=home, env={**WORKER_ENV, **overrides}).returncode
            if code == 75:
                time.sleep(0.2)
        newest = published(home)
        problem = results_problem(newest, watchlist)
        if code != 0 or problem:
            report.problems.append(f"kill {cycle}: next scan exit {code}, {problem}")
            continue
        if before is not None and newest["scan"]["id"] == before["id"]:
            report.problems.append(f"kill {cycle}: the next scan published nothing")
            continue
        report.survived += 1
    return report


# --- the tests (short: the full run is scripts/reliability.py) -----------------------------


def test_readers_see_whole_scans_while_scanners_hand_the_lock_over(tmp_path: Path) -> None:
    scanners, scans_each = 3, 2
    report = run_load(
        tmp_path / "home",
        seconds=600,  # only bounds a hung run: each scanner stops after its scans
        scanners=scanners,
        readers=4,
        symbols=["AAPL", "KO", "MSFT", "F", "T", "X"],
        scans_each=scans_each,
    )

    assert report.problems == []
    assert report.overlaps == [], "two owners held the lock at once"
    assert set(report.scan_codes) <= {0, 75}
    assert report.scan_codes.count(0) == report.acquisitions == scanners * scans_each
    assert report.published_at_end is not None
    assert report.last_seen == [report.published_at_end] * 4, "a reader saw an older scan last"


def test_scans_killed_at_random_points_leave_one_complete_scan_and_the_next_one_runs(
    tmp_path: Path,
) -> None:
    report = run_kills(tmp_path / "home", int(os.environ.get(KILLS_ENV, "3")))
    assert report.problems == []
    assert report.survived == report.kills


if __name__ == "__main__":
    role, spec_text = sys.argv[1:]
    (scanner if role == "scanner" else reader)(json.loads(spec_text))
