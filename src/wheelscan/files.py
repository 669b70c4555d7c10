"""Writing user files so that a crash never leaves half of one behind."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from wheelscan.paths import PRIVATE_FILE_MODE, refuse_symlink


def atomic_write_bytes(path: Path, data: bytes, mode: int = PRIVATE_FILE_MODE) -> None:
    """Replace `path` with `data` in one step: a temp file in the same directory,
    fsync'ed, then `os.replace`. Readers see the old file or the new one, never a
    mix; if anything fails before the rename, the old file is untouched and the
    temp file is removed. The directory must exist. A symlink at `path` is refused
    (UnsafePathError) rather than silently replaced by a file.
    """
    refuse_symlink(path)
    import tempfile  # not at the top: readers of settings never need it

    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_directory(path.parent)


def atomic_write_text(path: Path, text: str, mode: int = PRIVATE_FILE_MODE) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
