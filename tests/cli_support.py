"""Running `wheelscan` from tests: in this process, or as a real process.

`wheelscan(...)` runs a command line through the console-script entry
(`wheelscan.cli.fast.run`: the fast JSON readers, else the typer app) in this
process, its stdout and stderr captured, and returns what a real run would give:
the exit code, stdout and stderr. It spares a Python start and the imports of
yfinance, pandas and numpy on every call, which cost more than most commands.

`wheelscan_process(...)` and `start(...)` run a real process, for the tests whose
subject is the process itself: signals, the lock between processes, exit at once
with hung threads, no terminal; `imports_of(...)` runs one and says which of the
named modules the command loaded.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

PROCESS_TIMEOUT_S = 300
"""How long a real `wheelscan` process may take: a deadline for a hung one, far above
what any of them needs on a busy machine."""


@dataclass(frozen=True)
class Ran:
    """What a `wheelscan` run gave: the fields of subprocess.CompletedProcess it fills."""

    returncode: int
    stdout: str
    stderr: str


def _set_environment(env: Mapping[str, str | None]) -> None:
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if "TZ" in env:
        time.tzset()  # the C library reads the zone once: tell it


@contextlib.contextmanager
def environment(env: Mapping[str, str | None]) -> Iterator[None]:
    """os.environ with `env` set (None removes a variable), restored afterwards."""
    saved = {name: os.environ.get(name) for name in env}
    try:
        _set_environment(env)
        yield
    finally:
        _set_environment(saved)


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """The handlers a command attaches (its log file) are closed and detached after it,
    as its process's exit would: later runs log to their own home only."""
    loggers = [logging.getLogger(name) for name in ("wheelscan", "yfinance")]
    before = [(logger, list(logger.handlers), logger.level) for logger in loggers]
    try:
        yield
    finally:
        for logger, handlers, level in before:
            for handler in logger.handlers[:]:
                if handler not in handlers:
                    logger.removeHandler(handler)
                    handler.close()
            logger.setLevel(level)


def _close_left_open() -> None:
    """Close the store connections a command left open, as its exit would: a full
    collection costs more than most commands, so it runs only when this process still has
    a file of the cache directory open (or cannot tell)."""
    from wheelscan.paths import cache_dir

    cache = str(cache_dir().resolve()) + os.sep
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        gc.collect()
        return
    for descriptor in descriptors:
        with contextlib.suppress(OSError):  # closed meanwhile
            if os.readlink(f"/proc/self/fd/{descriptor}").startswith(cache):
                gc.collect()
                return


def _exit_code(done: SystemExit) -> int:
    """The status a process would exit with after `raise SystemExit(code)`."""
    if done.code is None:
        return 0
    return done.code if isinstance(done.code, int) else 1


def wheelscan(
    *args: str,
    home: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    stdin: str = "",
    entry: Callable[[], None] | None = None,
) -> Ran:
    """`wheelscan ARGS` through the console-script entry, in this process.

    `home` sets WHEELSCAN_HOME (else the test's own, from conftest), `env` more
    variables; stdin reads `stdin` and is not a terminal, as in a pipe. `entry`
    replaces the console-script entry (`wheelscan.cli.main.run`: the typer app alone).
    """
    from wheelscan.cli.fast import run as console_entry

    run = entry or console_entry

    overrides = {**(env or {}), **({"WHEELSCAN_HOME": str(home)} if home else {})}
    runner = CliRunner()
    argv = sys.argv
    with (
        environment(overrides),
        _logging_restored(),
        runner.isolation(input=stdin) as (stdout, stderr, _),
    ):
        sys.argv = ["wheelscan", *args]
        try:
            run()
            code = 0
        except SystemExit as done:
            code = _exit_code(done)
        finally:
            sys.argv = argv
            _close_left_open()
        out = stdout.getvalue().decode("utf-8", "replace")
        err = stderr.getvalue().decode("utf-8", "replace")
    return Ran(code, out, err)


def process_env(
    home: Path | None = None, env: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """This process's environment, with WHEELSCAN_HOME = `home` when given, and `env`."""
    merged: dict[str, str | None] = {**os.environ, **(env or {})}
    if home is not None:
        merged["WHEELSCAN_HOME"] = str(home)
    return {name: value for name, value in merged.items() if value is not None}


def wheelscan_process(
    *args: str,
    home: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    code: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m wheelscan ARGS` as a real process (or `python -c CODE ARGS`)."""
    command = ["-c", code, *args] if code else ["-m", "wheelscan", *args]
    return subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        env=process_env(home, env),
    )


_IMPORT_PROBE = """
import json, sys
modules = json.loads(sys.argv[1])
entry = sys.argv[2]
sys.argv = ["wheelscan", *sys.argv[3:]]
run = __import__(entry, fromlist=["run"]).run
code = 0
try:
    run()
except SystemExit as done:
    code = done.code if isinstance(done.code, int) else int(done.code is not None)
loaded = sorted(m for m in modules if m in sys.modules)
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


@dataclass(frozen=True)
class Probed:
    """A command run in a process of its own, and which of the named modules it loaded."""

    ran: Ran
    loaded: list[str]


def imports_of(
    *args: str,
    modules: Sequence[str],
    home: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    entry: str = "wheelscan.cli.fast",
) -> Probed:
    """`wheelscan ARGS` through `entry`'s `run` (the console-script entry, else e.g.
    `wheelscan.cli.main`: the typer app alone) in a fresh process, where nothing another
    test imported can stand in for what the command imports."""
    listed = json.dumps(list(modules))
    done = wheelscan_process(listed, entry, *args, home=home, env=env, code=_IMPORT_PROBE)
    *said, last = done.stderr.strip().splitlines() or [""]
    try:
        probe = json.loads(last)
    except json.JSONDecodeError:
        raise AssertionError(f"the probe did not finish: {done.stderr}") from None
    ran = Ran(int(probe["code"]), done.stdout, "\n".join(said))
    return Probed(ran, probe["loaded"])


def start(
    *args: str, home: Path | None = None, env: Mapping[str, str | None] | None = None
) -> subprocess.Popen[str]:
    """`python -m wheelscan ARGS` started as a real process, its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "wheelscan", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=process_env(home, env),
    )


def until(condition: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
    """Poll `condition` until it holds; fail with `what` once the deadline has passed."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)
