"""Issue 13's trials on hostile files and disks, for scripts/reliability.py.

- `hostile_snapshot`: the recorded QQQ snapshot plus hostile entries drawn at
  random (FIFOs, directories, sockets, symlinks to devices or elsewhere, files over
  16 MiB, JSON nested up to 500,000 deep, cut, garbage or of the wrong shape; now
  and then one of QQQ's own dated entries): `wheelscan scan` ends, each hostile
  entry is its ticker's one-line error naming the file, QQQ is still scanned. Every
  fourth trial is a directory of hostile entries only: a bad source, exit 2.
- `full_or_read_only` (root only: it mounts a tmpfs): a published demo scan on a
  disk then made read-only (after a clean exit, or after a writer killed with its
  WAL unmerged) or full: `results`, `status`, `history` still show the intact
  results; `refresh` and `cache clear` fail in a line or two, never a traceback.
"""

from __future__ import annotations

import os
import random
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from reliability_support import QQQ_DIR, Budget, Case, Home, finish, results_problem

import disks  # tests/disks.py: reliability_support puts tests/ on the path

SNAPSHOT_LIMIT = 16 * 1024 * 1024
QQQ_DATED = "QQQ_1795564800.json"
"""A dated QQQ entry the loose criteria below always ask for (an expiration within 3 days)."""
LOOSE = ["--json", "--max-dte", "3", "--min-return", "10", "--max-delta", "0.35"]

Maker = Callable[[Path, random.Random], None]


def _write(data: bytes) -> Maker:
    return lambda path, rng: path.write_bytes(data)


def _socket(path: Path, rng: random.Random) -> None:
    with socket.socket(socket.AF_UNIX) as bound:
        bound.bind(str(path))


def _big(path: Path, rng: random.Random) -> None:
    with path.open("wb") as big:  # sparse: its size alone is over the limit
        big.write(b'{"optionChain": {"result": []}}')
        big.truncate(SNAPSHOT_LIMIT + 1 + rng.randrange(1 << 20))


def _deep(path: Path, rng: random.Random) -> None:
    depth = rng.choice([2_000, 50_000, 500_000])
    opener, closer = rng.choice([("[", "]"), ('{"a": ', "}")])
    path.write_text('{"optionChain": ' + opener * depth + "1" + closer * depth + "}")


def _cut(path: Path, rng: random.Random) -> None:
    body = (QQQ_DIR / "QQQ.json").read_bytes()
    path.write_bytes(body[: rng.randrange(1, len(body) - 1)])


def _garbage(path: Path, rng: random.Random) -> None:
    path.write_bytes(b"\xff" + rng.randbytes(rng.randrange(1, 4096)))


NAMED: dict[str, Maker] = {
    "fifo": lambda path, rng: os.mkfifo(path),
    "directory": lambda path, rng: path.mkdir(),
    "socket": _socket,
    "link to /dev/zero": lambda path, rng: path.symlink_to("/dev/zero"),
    "link to /dev/urandom": lambda path, rng: path.symlink_to("/dev/urandom"),
    "link to /dev/null": lambda path, rng: path.symlink_to("/dev/null"),
    "link to a good file": lambda path, rng: path.symlink_to(QQQ_DIR / "QQQ.json"),
    "dangling link": lambda path, rng: path.symlink_to(path.parent / "nowhere"),
    "over 16 MiB": _big,
    "nested deep": _deep,
    "cut short": _cut,
    "garbage bytes": _garbage,
    "empty": _write(b""),
    "not UTF-8": _write(b'{"optionChain": "\xff\xfe"}'),
    "not an options answer": _write(b'{"chart": {"result": []}}'),
    "a bare number": _write(b"42"),
}
"""Entries whose error names the file."""
SHAPES: dict[str, Maker] = {
    "no result": _write(b'{"optionChain": null}'),
    "null result": _write(b'{"optionChain": {"result": null}}'),
    "a null in result": _write(b'{"optionChain": {"result": [null]}}'),
    "wrong types": _write(b'{"optionChain": {"result": [{"quote": 5, "expirationDates": "x"}]}}'),
    "NaN everywhere": _write(b'{"optionChain": {"result": [{"quote": NaN, "options": NaN}]}}'),
}
"""Options answers of the wrong shape: their ticker's error, whatever it says."""
DATED_KINDS = ["fifo", "directory", "link to /dev/zero", "nested deep", "garbage bytes"]


def _symbols(rng: random.Random, count: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPRSTUVWXYZ"  # no Q: never QQQ
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add("H" + "".join(rng.choices(letters, k=rng.randint(1, 4))))
    return sorted(chosen)


def hostile_snapshot(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    home = Home(root / "hostile")
    for trial in range(case.planned):
        if budget.spent:
            break
        directory = root / f"snap-{trial}"
        directory.mkdir()
        if trial % 4 == 3:
            case.record(_only_hostile(home, directory, rng, case))
        else:
            case.record(_hostile_beside_qqq(home, directory, rng, case))


def _plant(directory: Path, rng: random.Random, case: Case) -> dict[str, tuple[str, bool]]:
    """Hostile entries for a few new symbols: {symbol: (kind, error names the file)}."""
    planted = {}
    kinds = [*NAMED, *SHAPES]
    for symbol in _symbols(rng, rng.randint(2, 5)):
        kind = rng.choice(kinds)
        (NAMED.get(kind) or SHAPES[kind])(directory / f"{symbol}.json", rng)
        planted[symbol] = (kind, kind in NAMED)
        case.count(f"entry: {kind}")
    return planted


def _hostile_beside_qqq(home: Home, directory: Path, rng: random.Random, case: Case) -> list[str]:
    for path in QQQ_DIR.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    planted = _plant(directory, rng, case)
    dated = rng.random() < 0.5
    if dated:
        kind = rng.choice(DATED_KINDS)
        (directory / QQQ_DATED).unlink()
        NAMED[kind](directory / QQQ_DATED, rng)
        case.count(f"QQQ's dated entry: {kind}")
    ran = home.run("scan", "QQQ", *planted, "--source", f"snapshot:{directory}", *LOOSE)
    if problem := ran.problem(0, "the scan"):
        return [f"{problem} ({planted})"]
    document = ran.json()
    if document is None:
        return [f"no JSON document: {ran.out[:200]!r}"]
    errors = document["scan"]["errors"]
    problems = []
    expected = set(planted) | ({"QQQ"} if dated else set())
    if set(errors) != expected:
        problems.append(f"errors for {sorted(errors)}, not {sorted(expected)} ({planted})")
    for symbol, (kind, named) in planted.items():
        reason = errors.get(symbol, "")
        if "\n" in reason or (named and f"{symbol}.json" not in reason):
            problems.append(f"{kind}: {reason!r}")
    if dated and QQQ_DATED not in errors.get("QQQ", ""):
        problems.append(f"QQQ's dated entry: {errors.get('QQQ')!r}")
    if "QQQ" not in document["results"]:
        problems.append("the intact ticker was not scanned")
    return problems


def _only_hostile(home: Home, directory: Path, rng: random.Random, case: Case) -> list[str]:
    planted = _plant(directory, rng, case)
    ran = home.run("scan", *planted, "--source", f"snapshot:{directory}", *LOOSE)
    case.count("directories of hostile entries only")
    if problem := ran.problem(2, "a scan of a directory of hostile entries only"):
        return [f"{problem} ({planted})"]
    lines = ran.err.splitlines()
    if len(lines) != 1 or not lines[0].startswith("wheelscan: error:"):
        return [f"said {ran.err[-300:]!r}"]
    return []


# --- full and read-only disks -----------------------------------------------------------


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from wheelscan.store import Store
Store.for_source("demo", Path(sys.argv[1])).set_last_run("after the crash")
os.kill(os.getpid(), signal.SIGKILL)
"""

DISK_MODES = ("read-only", "read-only after a SIGKILL", "full")


def full_or_read_only(case: Case, root: Path, rng: random.Random, budget: Budget) -> None:
    if not disks.can_mount():
        case.notes["skipped"] = "not root: a tmpfs cannot be mounted"
        return
    for trial in range(case.planned):
        if budget.spent:
            break
        mode = DISK_MODES[trial % len(DISK_MODES)]
        case.count(mode)
        with disks.tmpfs(Path(tempfile.mkdtemp(dir=root)), size="8m") as mount:
            case.record(_on_a_bad_disk(Home(mount), mode, mount))


def _on_a_bad_disk(home: Home, mode: str, mount: Path) -> list[str]:
    if problem := home.run("refresh", "--source", "demo").problem(0, "the first refresh"):
        return [problem]
    before = home.published()
    watchlist = home.watchlist()
    last_run = before.get("last_run")
    if mode == "read-only after a SIGKILL":
        finish(home.python(KILLED_WRITER, str(home.cache)))
        last_run = "after the crash"
    if mode == "full":
        disks.fill(mount)
        errno_name = "ENOSPC"
    else:
        disks.make_read_only(mount)
        errno_name = "EROFS"
    problems = []
    shown = home.run("results", "--json", "--source", "demo")
    document = shown.json() or {}
    if problem := shown.problem(0, "results --json") or results_problem(document, watchlist):
        problems.append(problem)
    elif document["results"] != before["results"] or document["last_run"] != last_run:
        problems.append("results --json: not the intact published results")
    if shown.err:
        problems.append(f"results --json said {shown.err!r}")
    readers = (
        ["status", "--json", "--source", "demo"],
        ["history"],
        ["results", "--source", "demo"],
    )
    for args in readers:
        if problem := home.run(*args).problem(0, " ".join(args)):
            problems.append(problem)
    for args in (["refresh", "--source", "demo"], ["cache", "clear"]):
        ran = home.run(*args)
        if problem := ran.problem(1, " ".join(args)):
            problems.append(problem)
        elif errno_name not in ran.err or ran.err.count("\n") > 2:
            problems.append(f"{' '.join(args)} said {ran.err[-300:]!r}")
    return problems
