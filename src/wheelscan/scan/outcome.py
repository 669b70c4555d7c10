"""How a scan request ended (`ScanOutcome`), shared by the scan job and its waiters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wheelscan.core.models import ScanKind, ScanState
from wheelscan.store import LockInfo


@dataclass(frozen=True)
class ScanOutcome:
    """How a scan request ended.

    `locked`: another process holds the lock, so this scan never left PENDING
    and `holder` says who. Otherwise `state` is where the scan ended and
    `document` its SPEC 7 document (for SKIPPED: no results, and `scan.message`
    says when the market opens). `notes` are the lines its views show under the
    table: the market closed, no bids before the open, an ad-hoc scan publishes
    nothing (`scan.message` carries the market's).
    """

    kind: ScanKind
    state: ScanState
    message: str
    scan_id: str | None = None
    document: dict[str, Any] | None = None
    published: bool = False
    locked: bool = False
    holder: LockInfo | None = None
    notes: tuple[str, ...] = ()

    @classmethod
    def refused(cls, kind: ScanKind, holder: LockInfo | None) -> ScanOutcome:
        who = f" (scan {holder.scan_id}, pid {holder.pid} on {holder.host})" if holder else ""
        message = f"another scan holds the lock{who}"
        return cls(kind, ScanState.PENDING, message, locked=True, holder=holder)
