"""One entry of a snapshot directory (SPEC 1.2), read without trusting the directory.

A snapshot directory is whatever the user points at, so an entry may be a FIFO (an
open waits for a writer forever), a symlink to /dev/zero (a read never ends), a
huge file, or JSON nested deeper than the parser's stack. Each of those is that
request's `SnapshotFileError`, with a one-line reason, never a hang or a crash:
the entry is checked with lstat before it is opened (no FIFO or device is ever
opened), opened with O_NOFOLLOW | O_NONBLOCK, checked again with fstat, and read
to at most SNAPSHOT_FILE_LIMIT + 1 bytes.

Standard library only: the `--source` check (snapshot_dir.py) reads entries
before the scan stack is loaded.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

SNAPSHOT_FILE_LIMIT = 16 * 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_CHUNK = 1024 * 1024
# Errors that mean "there is no such entry": Yahoo's answer for an unknown symbol.
_ABSENT = {errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG}
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class SnapshotFileError(Exception):
    """A snapshot entry that cannot be replayed: not a regular file, too large, or not JSON."""


def snapshot_file_name(symbol: str, epoch: int | None) -> str:
    """The SPEC 1.2 file name of one options request."""
    return f"{symbol}.json" if epoch is None else f"{symbol}_{epoch}.json"


def fundamentals_file_name(symbol: str) -> str:
    """The file of a symbol's fundamentals-timeseries answer (the FCF method's cash flow)."""
    return f"{symbol}.fundamentals.json"


def summary_file_name(symbol: str) -> str:
    """The file of a symbol's quoteSummary answer (its ex-dividend date and dividend)."""
    return f"{symbol}.summary.json"


def is_summary_response(parsed: Any) -> bool:
    """Decoded JSON that is a Yahoo quoteSummary answer (an object with `quoteSummary`)."""
    return isinstance(parsed, dict) and isinstance(parsed.get("quoteSummary"), dict)


def is_timeseries_response(parsed: Any) -> bool:
    """Decoded JSON that is a Yahoo fundamentals-timeseries answer."""
    return isinstance(parsed, dict) and isinstance(parsed.get("timeseries"), dict)


def is_options_response(parsed: Any) -> bool:
    """Decoded JSON that is a Yahoo options answer (an object with `optionChain`)."""
    return isinstance(parsed, dict) and "optionChain" in parsed


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def _check(name: str, status: os.stat_result) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise SnapshotFileError(f"{name} is {_kind(status.st_mode)}, not a regular file")
    if status.st_size > SNAPSHOT_FILE_LIMIT:
        raise SnapshotFileError(f"{name} is larger than 16 MiB")


def _unreadable(name: str, error: OSError) -> SnapshotFileError:
    return SnapshotFileError(f"{name} cannot be read ({error.strerror or error})")


def _plain_name(name: str) -> bool:
    separators = {os.sep, os.altsep} - {None}
    return (
        bool(name)
        and name not in (".", "..")
        and "\x00" not in name
        and not (separators & set(name))
    )


def read_snapshot_file(directory: Path, name: str) -> bytes | None:
    """The bytes of the entry `name` directly in `directory`; None when there is none.

    A name that could not be a file there (a separator, `..`, a NUL) is no entry.
    """
    if not _plain_name(name):
        return None
    path = directory / name
    try:
        _check(name, os.lstat(path))
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        if error.errno in _ABSENT:
            return None
        if error.errno == errno.ELOOP:  # became a symlink between lstat and open
            raise SnapshotFileError(f"{name} is a symbolic link, not a regular file") from None
        raise _unreadable(name, error) from None
    try:
        status = os.fstat(descriptor)
        _check(name, status)
        body = bytearray()
        size = min(status.st_size, SNAPSHOT_FILE_LIMIT) + 1  # one read, unless it grows
        while len(body) <= SNAPSHOT_FILE_LIMIT:
            chunk = os.read(descriptor, size)
            if not chunk:
                break
            body += chunk
            size = min(_CHUNK, SNAPSHOT_FILE_LIMIT + 1 - len(body))
    except OSError as error:
        raise _unreadable(name, error) from None
    finally:
        os.close(descriptor)
    if len(body) > SNAPSHOT_FILE_LIMIT:
        raise SnapshotFileError(f"{name} is larger than 16 MiB")
    return bytes(body)


def _parsed(name: str, body: bytes) -> Any:
    try:
        parsed = json.loads(body)
    except RecursionError:
        raise SnapshotFileError(f"{name} does not parse: JSON nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, or bytes that are no Unicode text
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SnapshotFileError(f"{name} does not parse as JSON ({reason})") from None
    return parsed


def _load_checked(
    directory: Path, name: str, is_kind: Callable[[Any], bool], what: str
) -> bytes | None:
    body = read_snapshot_file(directory, name)
    if body is not None and not is_kind(_parsed(name, body)):
        raise SnapshotFileError(f"{name} is not a Yahoo {what} response")
    return body


def load_snapshot_file(directory: Path, name: str) -> bytes | None:
    """A checked entry: its bytes, None when there is none, else SnapshotFileError."""
    return _load_checked(directory, name, is_options_response, "options")


def load_fundamentals_file(directory: Path, symbol: str) -> bytes | None:
    """A symbol's checked fundamentals entry: its bytes, None when there is none, else
    SnapshotFileError."""
    name = fundamentals_file_name(symbol)
    return _load_checked(directory, name, is_timeseries_response, "fundamentals-timeseries")


def load_summary_file(directory: Path, symbol: str) -> bytes | None:
    """A symbol's checked quoteSummary entry: its bytes, None when there is none, else
    SnapshotFileError."""
    return _load_checked(directory, summary_file_name(symbol), is_summary_response, "quoteSummary")
