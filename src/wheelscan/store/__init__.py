"""The scan store (SPEC 5) on diskcache: `Store` and the records it reads and writes.

`cache` holds `Store`; `lock` the scan lock protocol; `records` the key names and
the records readers get; `codec` the JSON-only disk format; `errors` what a broken
cache raises and the one-line messages for it.
"""

from wheelscan.store.cache import Store
from wheelscan.store.codec import EncodedJSON, JSONFragments
from wheelscan.store.errors import StoreError
from wheelscan.store.lock import (
    DEFAULT_HEARTBEAT_S,
    DEFAULT_LOCK_TTL_S,
    EpochClock,
    LockHandle,
    LockInfo,
    lock_ttl_from_env,
)
from wheelscan.store.records import (
    DEFAULT_RESULTS_TTL_MINUTES,
    HISTORY_LIMIT,
    KEYS,
    Progress,
    PublishedResults,
    StoreKeys,
    StoreStatus,
    utc_now,
)

KEY_LOCK = KEYS.lock

__all__ = [
    "DEFAULT_HEARTBEAT_S",
    "DEFAULT_LOCK_TTL_S",
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
    "PublishedResults",
    "Store",
    "StoreError",
    "StoreKeys",
    "StoreStatus",
    "lock_ttl_from_env",
    "utc_now",
]
