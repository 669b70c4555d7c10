"""The scan lock (SPEC 5): one owner per namespace at a time, proven by a token.

The lock is one record: who holds it (token, pid, host, the process's start time
and the machine's boot id), for which scan, and when it last beat. Whether it
has expired is decided from that record by the caller's clock
(`heartbeat_epoch + ttl_s`); the diskcache expiry written beside it only lets
SQLite forget the row of a dead lock. Tests can therefore advance a fake clock
instead of sleeping out a TTL.

A lock blocks a new scan while it is live: unexpired, and its owner not provably
dead (`ProcessIdentity.death`). A dead owner's lock, an expired one and a row
that cannot be read as a lock record are all taken over at once by `acquire`,
in the same transaction that checks them. That is safe even if a reader got it
wrong: every write of the old owner checks its token first, so it stops.

Each function takes an open cache and does its check and its write inside one
SQLite write transaction, so no other process can act in between.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

import diskcache

from wheelscan.store.codec import UNREADABLE_VALUE, read_value
from wheelscan.store.owner import ProcessIdentity

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


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class LockRecord:
    """A lock row's value, checked field by field (`parse`)."""

    token: str
    owner: ProcessIdentity
    scan_id: str
    kind: str
    source: str
    started: str
    heartbeat: str
    heartbeat_epoch: float
    ttl_s: float
    heartbeat_s: float

    @classmethod
    def parse(cls, value: Any) -> LockRecord | None:
        """The record, or None when `value` is not a well-formed lock record."""
        if not isinstance(value, dict):
            return None
        token, beat_epoch = _text(value.get("token")), _number(value.get("heartbeat_epoch"))
        ttl_s = _number(value.get("ttl_s", DEFAULT_LOCK_TTL_S))
        beat_s = _number(value.get("heartbeat_s", DEFAULT_HEARTBEAT_S))
        pid, start = value.get("pid", 0), value.get("pid_start")
        texts = [
            _text(value.get(name, ""))
            for name in ("host", "scan_id", "kind", "source", "started", "heartbeat")
        ]
        boot = value.get("boot_id")
        if (
            not token
            or beat_epoch is None
            or ttl_s is None
            or ttl_s <= 0
            or beat_s is None
            or beat_s <= 0
            or isinstance(pid, bool)
            or not isinstance(pid, int)
            or not (start is None or (isinstance(start, int) and not isinstance(start, bool)))
            or not (boot is None or isinstance(boot, str))
            or any(text is None for text in texts)
        ):
            return None
        host, scan_id, kind, source, started, heartbeat = (str(text) for text in texts)
        return cls(
            token=token,
            owner=ProcessIdentity(pid, host, start, boot),
            scan_id=scan_id,
            kind=kind,
            source=source,
            started=started,
            heartbeat=heartbeat,
            heartbeat_epoch=beat_epoch,
            ttl_s=ttl_s,
            heartbeat_s=beat_s,
        )

    @property
    def expires_at(self) -> float:
        return self.heartbeat_epoch + self.ttl_s

    def to_json(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "pid": self.owner.pid,
            "host": self.owner.host,
            "pid_start": self.owner.start_time,
            "boot_id": self.owner.boot_id,
            "scan_id": self.scan_id,
            "kind": self.kind,
            "source": self.source,
            "started": self.started,
            "heartbeat": self.heartbeat,
            "heartbeat_epoch": self.heartbeat_epoch,
            "ttl_s": self.ttl_s,
            "heartbeat_s": self.heartbeat_s,
        }

    def beaten(self, now: float) -> LockRecord:
        """The record with its heartbeat at `now`."""
        return replace(self, heartbeat=_iso(now), heartbeat_epoch=now)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


@dataclass(frozen=True)
class LockHandle:
    """What the owner of the scan lock keeps: the token proves ownership.

    `replaced` says whose lock `acquire` took over ("" when the lock was free).
    """

    token: str
    scan_id: str
    kind: str
    ttl_s: float
    replaced: str = ""


@dataclass(frozen=True)
class LockInfo:
    """A live lock as any process sees it.

    `stale` is True when the holder missed its heartbeats (stopped or hung): it
    still blocks new scans until its TTL (`expires_in_s`) runs out. A holder that
    is provably dead is never a LockInfo: its lock counts as free.
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
    def of(cls, record: LockRecord, now: float) -> LockInfo:
        age = max(0.0, now - record.heartbeat_epoch)
        reason = f"no heartbeat for {age:.0f} s" if age > 2 * record.heartbeat_s + 1 else ""
        return cls(
            token=record.token,
            pid=record.owner.pid,
            host=record.owner.host,
            scan_id=record.scan_id,
            kind=record.kind,
            source=record.source,
            started=record.started,
            heartbeat=record.heartbeat,
            ttl_s=record.ttl_s,
            heartbeat_s=record.heartbeat_s,
            stale=bool(reason),
            stale_reason=reason,
            heartbeat_age_s=age,
            expires_in_s=max(0.0, record.expires_at - now),
        )

    @property
    def stuck_warning(self) -> str | None:
        """What a reader says while this holder misses its heartbeats (else None)."""
        if not self.stale:
            return None
        return (
            f"scan {self.scan_id} (pid {self.pid}) has not renewed its lock for "
            f"{self.heartbeat_age_s:.0f} s (stopped or hung?); these are the last complete results"
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def why_free(value: Any, now: float) -> str | None:
    """None when the lock row `value` blocks a new scan at `now`, else why it does not.

    "" for no lock at all; otherwise what a new scan takes over (an expired lock,
    a dead owner's, an unreadable record).
    """
    if value is None:
        return ""
    record = LockRecord.parse(value)
    if record is None:
        return "an unreadable lock record"
    if record.expires_at <= now:
        return f"the expired lock of scan {record.scan_id}"
    death = record.owner.death()
    if death:
        return f"the lock of scan {record.scan_id} ({death})"
    return None


def unreadable_warning(value: Any) -> str | None:
    """What `status` says about a lock row that is no lock record (None if it is one)."""
    if value is None or LockRecord.parse(value) is not None:
        return None
    return "the scan lock record is unreadable; the next scan replaces it"


def holder(value: Any, now: float) -> LockInfo | None:
    """The holder that the lock row `value` names, if its lock blocks a new scan."""
    if why_free(value, now) is not None:
        return None
    record = LockRecord.parse(value)
    return LockInfo.of(record, now) if record is not None else None


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
    """Take the lock unless a live owner holds it, in one transaction; None if held.

    A lock whose owner is provably dead, an expired one and an unreadable row are
    replaced at once (`LockHandle.replaced` says which).
    """
    import uuid

    record = LockRecord(
        token=uuid.uuid4().hex,
        owner=ProcessIdentity.current(),
        scan_id=scan_id,
        kind=kind,
        source=source,
        started=_iso(now),
        heartbeat=_iso(now),
        heartbeat_epoch=now,
        ttl_s=ttl_s,
        heartbeat_s=heartbeat_s,
    )
    with cache.transact():
        try:
            replaced = why_free(cache.get(key), now)
        except UNREADABLE_VALUE:
            replaced = "an undecodable lock row"
        if replaced is None:
            return None
        cache.set(key, record.to_json(), expire=ttl_s)
    return LockHandle(record.token, scan_id, kind, ttl_s, replaced)


def owned(cache: diskcache.Cache, key: str, handle: LockHandle, now: float) -> LockRecord | None:
    """The lock record when `handle` owns it and it has not expired, else None.

    Call inside `cache.transact()`, so that what follows happens while it is still owned.
    """
    record = LockRecord.parse(read_value(cache, key))
    if record is None or record.token != handle.token or record.expires_at <= now:
        return None
    return record


def renew(cache: diskcache.Cache, key: str, handle: LockHandle, now: float) -> bool:
    """Renew the lock's TTL if `handle` still owns it; False when it is gone or taken.

    The record is re-set (not just touched) so readers see the heartbeat time.
    """
    with cache.transact():
        record = owned(cache, key, handle, now)
        if record is None:
            return False
        cache.set(key, record.beaten(now).to_json(), expire=handle.ttl_s)
        return True


def release(cache: diskcache.Cache, key: str, handle: LockHandle, now: float) -> bool:
    """Delete the lock only if `handle` owns it (check and delete in one transaction)."""
    with cache.transact():
        if owned(cache, key, handle, now) is None:
            return False
        cache.delete(key)
        return True
