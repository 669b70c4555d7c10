"""The scan process the app starts with `s`: `wheelscan refresh --force --source SOURCE`.

The same command cron runs, so the app's scan takes the same lock, writes the
same progress and publishes the same way; the app follows it through the store
like any other process's scan. `--force` because the user asked for a scan now
(a live scan while NYSE is closed runs on Yahoo's last quotes). It runs in its
own session: it reads config.toml and the watchlist itself, hears no Ctrl-C or
hang-up meant for the terminal, writes nothing to it (stdout discarded, stderr
kept in a temporary file for the last line), and outlives the app when the app
quits (like cron's refresh, it publishes when it ends). `stop` sends SIGINT,
which the command turns into a clean cancel: lock released, previous results kept.
It runs BACKGROUND_NICENESS steps nicer than the app, so on a busy machine the
screen keeps the CPU it needs to stay responsive while the scan streams in.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from typing import IO

BACKGROUND_NICENESS = 5


def scan_command(source: str) -> list[str]:
    return [sys.executable, "-m", "wheelscan", "refresh", "--force", "--source", source]


class ScanChild:
    """A started scan process: its pid, whether (and how) it has exited, its last error."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        self.process = process
        self.stderr = stderr

    @classmethod
    def start(cls, source: str) -> ScanChild:
        """Start the scan process (blocking for the fork: call it off the event loop)."""
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the child's life
        try:
            process = subprocess.Popen(
                scan_command(source),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
                env={**os.environ, "NO_COLOR": "1"},
            )
        except BaseException:
            stderr.close()
            raise
        _lower_priority(process.pid)
        return cls(process, stderr)

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_code(self) -> int | None:
        """None while it runs; a signal's death reads as the shell would (128 + signal)."""
        code = self.process.poll()
        if code is not None and code < 0:
            return 128 - code
        return code

    def stop(self) -> None:
        """Ask the scan to stop (SIGINT: cancelled, lock released, results kept)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGINT)

    def error_line(self) -> str:
        """The last line the process wrote to stderr ("" when none), its prefix dropped."""
        with contextlib.suppress(OSError, ValueError):
            self.stderr.seek(0)
            lines = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
            if lines:
                return lines[-1].removeprefix("wheelscan: error: ").strip()
        return ""

    def close(self) -> None:
        """Forget the process once it has exited (its stderr file goes)."""
        with contextlib.suppress(OSError):
            self.stderr.close()


def _lower_priority(pid: int) -> None:
    """Make the just-started scan nicer than the app. Done at once, before its interpreter
    has started any thread, so every thread it starts inherits it; a process that has
    already gone (or a system that refuses) keeps its priority."""
    with contextlib.suppress(OSError):
        own = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, pid, min(own + BACKGROUND_NICENESS, 19))
