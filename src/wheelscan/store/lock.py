"""The scan lock (SPEC 5): one owner at a time, proven by a token.

The lock is one record: who holds it (token, pid, host), for which scan, and
when it last beat. Whether it has expired is decided from that record by the
caller's clock (`heartbeat_epoch + ttl_s`); the diskcache expiry written beside
it only lets SQLite forget the row of a dead lock, at the same moment when the
clock is the system's. Tests can therefore advance a fake clock instead of
sleeping out a TTL.

Each function takes an open cache and does its check and its write inside one
SQLite write transaction, so no other process can act in between.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import diskcache

EpochClock = Callable[[], float]
"""Seconds since the epoch, like `time.time` (the default everywhere)."""

DEFAULT_LOCK_TTL_S = 60.0
DEFAULT_HEARTBEAT_S = 15.0
LOCK_TTL_ENV = "WHEELSCAN_LOCK_TTL"
"""Seconds; overrides the lock TTL (the heartbeat becomes a quarter of it). A test knob."""


def lock_ttl_from_env(default: float = DEFAULT_LOCK_TTL_S) -> float:
    """The lock TTL, overridden by `$WHEELSCAN_LOCK_TTL` (seconds) when set and valid."""
    value = os.environ.get(LOCK_TTL_ENV)
    try:
        ttl = float(value) if value else default
    except ValueError:
        return default
    return ttl if ttl > 0 else default


def hostname() -> str:
    """This machine's name as lock records hold it.

    `socket` (like `uuid` in `acquire`) is imported on use: only lock code needs
    them, and `status` and `results` should not pay for them at start-up.
    """
    import socket

    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@dataclass(frozen=True)
class LockHandle:
    """What the owner of the scan lock keeps: the token proves ownership."""

    token: str
    scan_id: str
    kind: str
    ttl_s: float


@dataclass(frozen=True)
class LockInfo:
    """The lock as any process sees it.

    `stale` is True when the holder is on this host and its process is gone,
    or when it missed its heartbeats; a stale lock still blocks new scans
    until its TTL (`expires_in_s`) runs out.
    """

    token: str
    pid: int
    host: str
    scan_id: str
    kind: str
    source: str
    started: str
    heartbeat: str
    ttl_s: float
    heartbeat_s: float
    stale: bool
    stale_reason: str
    heartbeat_age_s: float
    expires_in_s: float

    @classmethod
    def from_record(cls, record: dict[str, Any], now: float) -> LockInfo:
        pid = int(record.get("pid", 0))
        host = str(record.get("host", ""))
        beat_every = float(record.get("heartbeat_s", DEFAULT_HEARTBEAT_S))
        beat_epoch = float(record.get("heartbeat_epoch", now))
        age = max(0.0, now - beat_epoch)
        reason = ""
        if pid and host == hostname() and not pid_alive(pid):
            reason = f"process {pid} is not running"
        elif age > 2 * beat_every + 1:
            reason = f"no heartbeat for {age:.0f} s"
        return cls(
            token=str(record.get("token", "")),
            pid=pid,
            host=host,
            scan_id=str(record.get("scan_id", "")),
            kind=str(record.get("kind", "")),
            source=str(record.get("source", "")),
            started=str(record.get("started", "")),
            heartbeat=str(record.get("heartbeat", "")),
            ttl_s=float(record.get("ttl_s", DEFAULT_LOCK_TTL_S)),
            heartbeat_s=beat_every,
            stale=bool(reason),
            stale_reason=reason,
            heartbeat_age_s=age,
            expires_in_s=max(0.0, expires_at(record, now) - now),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def expires_at(record: dict[str, Any], now: float) -> float:
    """When the lock in `record` expires (epoch seconds); raises on a malformed record.

    A record without a heartbeat time counts as beating now, as `LockInfo` reads it.
    """
    beat_epoch = float(record.get("heartbeat_epoch", now))
    return beat_epoch + float(record.get("ttl_s", DEFAULT_LOCK_TTL_S))


def _live(record: Any, now: float) -> dict[str, Any] | None:
    """`record` if it is a lock that has not expired at `now`, else None."""
    if isinstance(record, dict) and expires_at(record, now) > now:
        return record
    return None


def _beat(record: dict[str, Any], now: float) -> None:
    record["heartbeat"] = datetime.fromtimestamp(now, UTC).isoformat()
    record["heartbeat_epoch"] = now


def acquire(
    cache: diskcache.Cache,
    key: str,
    *,
    scan_id: str,
    kind: str,
    source: str,
    ttl_s: float,
    heartbeat_s: float,
    now: float,
) -> LockHandle | None:
    """Take the lock if nobody holds it (set-if-absent in one transaction); None if held.

    A row that cannot be read as a lock record counts as held, as diskcache's
    `add` treats any row that is present.
    """
    import uuid

    token = uuid.uuid4().hex
    record: dict[str, Any] = {
        "token": token,
        "pid": os.getpid(),
        "host": hostname(),
        "scan_id": scan_id,
        "kind": kind,
        "source": source,
        "started": datetime.fromtimestamp(now, UTC).isoformat(),
        "ttl_s": ttl_s,
        "heartbeat_s": heartbeat_s,
    }
    _beat(record, now)
    with cache.transact():
        try:
            current = cache.get(key)
            held = current is not None and (
                not isinstance(current, dict) or _live(current, now) is not None
            )
        except (TypeError, ValueError):
            held = True
        if held:
            return None
        cache.set(key, record, expire=ttl_s)
    return LockHandle(token=token, scan_id=scan_id, kind=kind, ttl_s=ttl_s)


def owned(
    cache: diskcache.Cache, key: str, handle: LockHandle, now: float
) -> dict[str, Any] | None:
    """The lock record when `handle` owns it and it has not expired, else None.

    Call inside `cache.transact()`, so that what follows happens while it is still owned.
    """
    record = cache.get(key)
    if isinstance(record, dict) and record.get("token") == handle.token:
        return _live(record, now)
    return None


def renew(cache: diskcache.Cache, key: str, handle: LockHandle, now: float) -> bool:
    """Renew the lock's TTL if `handle` still owns it; False when it is gone or taken.

    The record is re-set (not just touched) so readers see the heartbeat time.
    """
    with cache.transact():
        record = owned(cache, key, handle, now)
        if record is None:
            return False
        _beat(record, now)
        cache.set(key, record, expire=handle.ttl_s)
        return True


def release(cache: diskcache.Cache, key: str, handle: LockHandle, now: float) -> bool:
    """Delete the lock only if `handle` owns it (check and delete in one transaction)."""
    with cache.transact():
        if owned(cache, key, handle, now) is None:
            return False
        cache.delete(key)
        return True


def holder(record: Any, now: float) -> LockInfo | None:
    """The holder described by a lock row's value (None when free or expired)."""
    live = _live(record, now)
    return LockInfo.from_record(live, now) if live is not None else None
