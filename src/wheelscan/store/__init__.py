"""The scan store (SPEC 5) on diskcache: `Store` and the records it reads and writes.

`cache` holds `Store`; `keys` the namespaces and key names; `lock` the scan lock
protocol (`owner`: proving a lock's owner dead); `progress` the appended progress
record; `records` what readers get; `reader` and `opening` how SQLite is opened
for reading (read-only) and writing (private, bounded waits); `repair` what
`cache clear` does; `codec` the JSON-only disk format; `errors` the one-line
messages.
"""

from wheelscan.store.cache import Store
from wheelscan.store.codec import EncodedJSON, JSONFragments
from wheelscan.store.errors import StoreError
from wheelscan.store.keys import DEFAULT_NAMESPACE, KEYS, StoreKeys, source_namespace
from wheelscan.store.lock import (
    DEFAULT_HEARTBEAT_S,
    DEFAULT_LOCK_TTL_S,
    EpochClock,
    LockHandle,
    LockInfo,
    lock_ttl_from_env,
)
from wheelscan.store.progress import Progress, ProgressHeader, ProgressRow, ProgressSince
from wheelscan.store.records import (
    DEFAULT_RESULTS_TTL_MINUTES,
    HISTORY_LIMIT,
    PublishedResults,
    StoreStatus,
    utc_now,
)

KEY_LOCK = KEYS.lock

__all__ = [
    "DEFAULT_HEARTBEAT_S",
    "DEFAULT_LOCK_TTL_S",
    "DEFAULT_NAMESPACE",
    "DEFAULT_RESULTS_TTL_MINUTES",
    "HISTORY_LIMIT",
    "KEYS",
    "KEY_LOCK",
    "EncodedJSON",
    "EpochClock",
    "JSONFragments",
    "LockHandle",
    "LockInfo",
    "Progress",
    "ProgressHeader",
    "ProgressRow",
    "ProgressSince",
    "PublishedResults",
    "Store",
    "StoreError",
    "StoreKeys",
    "StoreStatus",
    "lock_ttl_from_env",
    "source_namespace",
    "utc_now",
]
