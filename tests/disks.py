"""Disks that fail: a small tmpfs mounted for a test, filled to the last byte or made
read-only. Mounting needs root (CI runs as root). scripts/reliability_disks.py uses
them too."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


def can_mount() -> bool:
    return os.geteuid() == 0


@contextlib.contextmanager
def tmpfs(point: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of `size` mounted (mode 0700) at the directory `point` until the end."""
    point.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)], check=True
    )
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=True)


def fill(directory: Path) -> None:
    """Write zeros in `directory` until its file system has not one byte left (ENOSPC)."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


def make_read_only(point: Path) -> None:
    """Remount the tmpfs at `point` read-only (EROFS for every write from now on)."""
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
