"""wheelscan's log file: `wheelscan.log` in the log dir, rotated, private, never noisy.

- Private from the first byte: the file (and each new one after a rotation) is
  created 0600 with `O_NOFOLLOW`; a symlink at the file or the log dir is
  refused with one line (UnsafePathError).
- Secrets masked: every formatted line, tracebacks included, goes through
  `redact` (Yahoo's crumb and cookie values).
- A log that cannot be written (full or read-only disk) costs one warning line
  on stderr, once per process, never logging's own traceback; the command goes on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO, Any

from wheelscan.paths import UnsafePathError, log_dir, open_private_append, private_dir
from wheelscan.redact import redact

LOG_FILE = "wheelscan.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(process)d %(levelname)s %(message)s"


def _one_line(error: BaseException | None) -> str:
    text = str(error).strip().splitlines()[0] if error is not None and str(error).strip() else ""
    return text or (type(error).__name__ if error is not None else "unknown error")


def _warn(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr itself broken: no one to tell
        sys.stderr.write(f"wheelscan: warning: {message}\n")


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks secrets in the whole text (traceback included)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A RotatingFileHandler whose files are 0600 from creation and never a symlink,
    and which reports a failed write once, in one line."""

    def __init__(self, path: Path, **kwargs: Any) -> None:
        self._reported = False
        super().__init__(path, **kwargs)

    def _open(self) -> IO[str]:
        fd = open_private_append(Path(self.baseFilename))
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        if self._reported:
            return
        self._reported = True
        _warn(f"cannot write the log file {self.baseFilename}: {_one_line(sys.exc_info()[1])}")


def log_to_file(logger_name: str = "wheelscan") -> Path | None:
    """Attach the log file to `logger_name` (level INFO); returns its path.

    None (after one warning line) when the log dir or file cannot be created
    on this disk. Raises UnsafePathError for a symlink.
    """
    try:
        path = private_dir(log_dir()) / LOG_FILE
        handler = PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except UnsafePathError:
        raise
    except OSError as error:
        _warn(f"cannot open the log file in {log_dir()}: {_one_line(error)}")
        return None
    handler.setFormatter(RedactingFormatter(FORMAT))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return path
