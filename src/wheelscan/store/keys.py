"""The store's key names: one namespace per source, the history shared (SPEC 5).

Every key of a source lives under `scanner:<namespace>:`, the namespace being
`yahoo`, `demo` or `snapshot:<digest of the directory>`, so a demo or snapshot
scan never shows up as live data and has a lock of its own. `scanner:history`
is shared: each entry names its source.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from wheelscan.core.sources import SourceKind, SourceSpec, parse_source

PREFIX = "scanner:"
HISTORY_KEY = PREFIX + "history"
DEFAULT_NAMESPACE = str(SourceKind.YAHOO)
LOCK_SUFFIX = "scan_in_progress"
_DIGEST_CHARS = 16


def source_namespace(source: SourceSpec | str) -> str:
    """The store namespace of a source: `yahoo`, `demo` or `snapshot:<digest>`.

    A snapshot's digest is of its directory made absolute (`~` expanded, relative
    to the working directory, as the source itself reads it), without touching
    the file system. Raises SourceSpecError for a text that names no source.
    """
    spec = parse_source(source) if isinstance(source, str) else source
    if spec.kind is not SourceKind.SNAPSHOT:
        return str(spec.kind)
    directory = os.path.abspath(os.path.expanduser(spec.directory or ""))
    digest = hashlib.sha256(directory.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{SourceKind.SNAPSHOT}:{digest[:_DIGEST_CHARS]}"


@dataclass(frozen=True)
class StoreKeys:
    """The name of every key the store writes for one namespace."""

    namespace: str
    results: str
    scan_times: str
    published_scan: str
    last_run: str
    lock: str
    progress: str
    history: str

    @classmethod
    def for_namespace(cls, namespace: str) -> StoreKeys:
        return cls.under(f"{PREFIX}{namespace}:", namespace)

    @classmethod
    def under(cls, prefix: str, namespace: str = "") -> StoreKeys:
        return cls(
            namespace=namespace,
            results=prefix + "ticker_options",
            scan_times=prefix + "ticker_scan_times",
            published_scan=prefix + "published_scan",
            last_run=prefix + "last_run",
            lock=prefix + LOCK_SUFFIX,
            progress=prefix + "progress",
            history=HISTORY_KEY,
        )

    def progress_row(self, scan_id: str, number: int) -> str:
        """The key of a scan's `number`-th progress row (0-based)."""
        return f"{self.progress}:{scan_id}:{number}"

    def published(self) -> tuple[str, ...]:
        """The keys one publish writes together."""
        return (self.results, self.scan_times, self.published_scan, self.last_run)


def is_lock_key(key: object) -> bool:
    """Whether a key read back from the cache is some namespace's scan lock."""
    return isinstance(key, str) and key.startswith(PREFIX) and key.endswith(":" + LOCK_SUFFIX)


KEYS = StoreKeys.for_namespace(DEFAULT_NAMESPACE)
"""The keys of the default (`yahoo`) namespace."""
