"""Where wheelscan keeps its files: `$WHEELSCAN_HOME` if set, else the platform's dirs.

Every directory wheelscan makes is 0700 and every file it creates 0600 from its
first byte (`private_dir`, `create_private_file`). A symlink where one of them
should be is refused with one line (`UnsafePathError`): a link planted in a
cache or log path would make wheelscan write, or read, wherever it points.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import platformdirs

from wheelscan.core.errors import InputError

HOME_ENV = "WHEELSCAN_HOME"
APP_NAME = "wheelscan"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
EXPORTS = "exports"


class UnsafePathError(InputError):
    """A path wheelscan owns is a symlink (or not the kind of file it should be)."""


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    return home if home else Path(platformdirs.user_config_dir(APP_NAME))


def cache_dir() -> Path:
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME))


def log_dir() -> Path:
    home = _home()
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME))


def state_dir() -> Path:
    """What the terminal app remembers between runs (view, sort, filter, theme)."""
    home = _home()
    return home / "state" if home else Path(platformdirs.user_state_dir(APP_NAME))


def export_directory(configured: str = "") -> Path:
    """Where `e` in the app writes its exports: the `export_dir` config key when set; else
    the user's Downloads folder when there is one (where a file saved from an app is
    looked for, and what a spreadsheet's open dialog shows); else, as on a server
    without one, or under `$WHEELSCAN_HOME`, the state dir's `exports/`. Never the
    current directory, which is wherever the terminal happened to be."""
    if configured:
        return Path(configured).expanduser()
    if _home() is None:
        downloads = Path(platformdirs.user_downloads_dir())
        if downloads.is_dir():
            return downloads
    return state_dir() / EXPORTS


def refuse_symlink(path: Path) -> None:
    """Raise UnsafePathError when `path` is a symlink (a missing path is fine)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise UnsafePathError(f"{path} is a symlink; refusing to use it (remove the link)")


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the owner only (0700); refuse a symlink."""
    refuse_symlink(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    refuse_symlink(path)
    if not path.is_dir():
        raise UnsafePathError(f"{path} is not a directory")
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR_MODE:
        path.chmod(PRIVATE_DIR_MODE)
    return path


def create_private_file(path: Path) -> bool:
    """Create `path` empty and 0600 unless it exists; True if created. Never follows a link.

    An existing path must be a regular file: a symlink or a directory there is an
    UnsafePathError. A file left with looser bits is tightened to 0600.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    except FileExistsError:
        check_private_file(path)
        return False
    os.close(fd)
    return True


def check_private_file(path: Path) -> None:
    """Refuse `path` unless it is missing or a regular file; make it 0600 if it is looser."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePathError(f"{path} is a symlink; refusing to use it (remove the link)")
    if stat.S_ISDIR(info.st_mode):
        raise UnsafePathError(f"{path} is a directory, not a file (remove it)")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePathError(f"{path} is not a regular file (remove it)")
    if stat.S_IMODE(info.st_mode) & ~PRIVATE_FILE_MODE:
        os.chmod(path, PRIVATE_FILE_MODE)


def open_private_append(path: Path) -> int:
    """A file descriptor appending to `path`, created 0600; refuses a symlink (ELOOP)."""
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, PRIVATE_FILE_MODE
        )
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafePathError(
                f"{path} is a symlink; refusing to use it (remove the link)"
            ) from None
        raise
    if stat.S_IMODE(os.fstat(fd).st_mode) & ~PRIVATE_FILE_MODE:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    return fd
