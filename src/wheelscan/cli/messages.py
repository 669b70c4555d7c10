"""What the CLI says outside tables and JSON: exit codes, one-line messages on stderr.

Every `wheelscan: error: …` and `wheelscan: warning: …` line goes through
`message_line` (`fail` adds the exit), so a refusal looks the same whichever
path printed it. Typer-free: the fast entry (cli/fast.py) uses it too.
"""

from __future__ import annotations

import contextlib
import sys
from enum import IntEnum
from typing import NoReturn

from wheelscan.core.sources import SourceKind

PROGRAM = "wheelscan"
ERROR = "error"
WARNING = "warning"


class ExitCode(IntEnum):
    """SPEC 7's exit codes (130 is Ctrl-C, as shells report SIGINT)."""

    OK = 0
    SCAN_FAILED = 1
    BAD_INPUT = 2
    LOCKED = 75
    INTERRUPTED = 130


def plural(count: int, noun: str) -> str:
    """'1 candidate', '2 candidates', '0 candidates' (thousands separated)."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def source_label(source: str | None) -> str:
    """A scan's source as human output names it: the demo market says DEMO (SPEC 1:
    everything the demo shows says DEMO), any other source its own name."""
    if source == SourceKind.DEMO:
        return "DEMO"
    return source or "?"


def message_line(message: str, label: str | None = ERROR) -> None:
    """Write `wheelscan: LABEL: message` (or `wheelscan: message` without a label) on
    stderr as one line; `sys.stderr` is looked up per call, so captures see it."""
    one_line = " ".join(message.split())
    prefix = f"{PROGRAM}: {label}: " if label else f"{PROGRAM}: "
    with contextlib.suppress(OSError, ValueError):  # stderr closed: no one to tell
        sys.stderr.write(prefix + one_line + "\n")
        sys.stderr.flush()


def warn(message: str | None) -> None:
    """A `wheelscan: warning:` line, when there is something to say."""
    if message:
        message_line(message, WARNING)


def fail(message: str, code: int = ExitCode.BAD_INPUT) -> NoReturn:
    """The error line, then exit with `code` (bad input unless told otherwise)."""
    message_line(message, ERROR)
    raise SystemExit(int(code))
