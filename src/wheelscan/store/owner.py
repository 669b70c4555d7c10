"""Who a process is, so that a lock's owner can be proven dead (SPEC 5).

A pid alone is not an identity: after the owner dies the kernel may give its pid
to another process. The process start time (`/proc/<pid>/stat`, field 22, clock
ticks since boot) and the boot id tell the two apart. Where /proc is missing
(not Linux) they are None and only "is the pid running" is asked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_BOOT_ID = _PROC / "sys/kernel/random/boot_id"
_STARTTIME_FIELD = 22
"""1-based field of /proc/<pid>/stat; fields 1 and 2 are the pid and `(comm)`."""


def hostname() -> str:
    """This machine's name as lock records hold it (socket is imported on use: only
    lock code needs it, and `status` and `results` should not pay for it)."""
    import socket

    return socket.gethostname()


def boot_id() -> str | None:
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def process_start_time(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot), None if unknown or gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # comm may hold spaces and parentheses: the fields that follow start after the last ')'.
    fields = text.rpartition(")")[2].split()
    index = _STARTTIME_FIELD - 3
    try:
        return int(fields[index])
    except (IndexError, ValueError):
        return None


def pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it runs, as another user
        return True
    return True


@dataclass(frozen=True)
class ProcessIdentity:
    """A process as a lock record names it."""

    pid: int
    host: str
    start_time: int | None
    boot_id: str | None

    @classmethod
    def current(cls) -> ProcessIdentity:
        pid = os.getpid()
        return cls(pid, hostname(), process_start_time(pid), boot_id())

    def death(self) -> str:
        """Why this process provably no longer runs ("" when it may still run).

        Only a process on this host can be proven dead: the machine restarted
        since (another boot id), its pid is free, or its pid now belongs to a
        process that started at another time.
        """
        if self.pid <= 0 or self.host != hostname():
            return ""
        if self.boot_id is not None and boot_id() not in (None, self.boot_id):
            return f"process {self.pid} ran before this machine restarted"
        if not pid_running(self.pid):
            return f"process {self.pid} is not running"
        if self.start_time is not None:
            now = process_start_time(self.pid)
            if now is not None and now != self.start_time:
                return f"process {self.pid} is not running (its pid belongs to a newer process)"
        return ""
