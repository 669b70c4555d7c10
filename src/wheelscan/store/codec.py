"""How values are written to disk: compressed JSON only, never a pickle."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW, UNKNOWN

from wheelscan.store.errors import CorruptValueError

UNREADABLE_VALUE: tuple[type[Exception], ...] = (ValueError, TypeError, zlib.error)
"""What decoding a row that is not compressed JSON raises (`SafeJSONDisk`)."""

MEMBERWISE_CHARS = 1 << 16
"""From this length on, a JSON object's text is decoded one member at a time."""
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def decode_json(text: str) -> Any:
    """`json.loads(text)`, a large object decoded one top-level member at a time.

    One `json.loads` call holds the GIL until it returns: 50 ms for the published
    results of 500 tickers, during which no other thread of the process runs (the
    terminal app's event loop, while its worker reads the results). Between two
    members the other threads get their turn.
    """
    if len(text) < MEMBERWISE_CHARS or not text.lstrip(" \t\n\r").startswith("{"):
        return json.loads(text)
    try:
        return _members(text)
    except IndexError as error:  # the text ended inside the object
        raise ValueError("truncated JSON object") from error


def _members(text: str) -> dict[str, Any]:
    decode, space = _DECODER.raw_decode, _SPACE.match
    members: dict[str, Any] = {}
    index = space(text, space(text, 0).end() + 1).end()
    closed = text[index] == "}"
    while not closed:
        key, index = decode(text, index)
        index = space(text, index).end()
        if not isinstance(key, str) or text[index] != ":":
            raise ValueError(f"JSON object key expected at {index}")
        members[key], index = decode(text, space(text, index + 1).end())
        index = space(text, index).end()
        if text[index] not in ",}":
            raise ValueError(f"',' or '}}' expected at {index}")
        closed = text[index] == "}"
        index = index if closed else space(text, index + 1).end()
    if space(text, index + 1).end() != len(text):
        raise ValueError(f"extra data after the JSON object at {index + 1}")
    return members


def read_value(cache: diskcache.Cache, key: str) -> Any:
    """`cache.get(key)`, with a row that cannot be decoded read as absent (None)."""
    try:
        return cache.get(key)
    except UNREADABLE_VALUE:
        return None


@dataclass(frozen=True)
class EncodedJSON:
    """A value already encoded as JSON text, which `SafeJSONDisk` stores as it is.

    Readers get the decoded value back, exactly as if the decoded value had been
    written. It exists for the progress record (see `Progress.encode`); the text
    must be valid JSON, or readers see a corrupted value.
    """

    text: str


class JSONFragments:
    """The JSON text of each ticker's result, encoded once per result object.

    The progress record is rewritten after every ticker with all the results so
    far; encoding them all again each time made a scan O(n²) in GIL-holding CPU,
    which starved the terminal app's event loop (figures in BENCHMARKS.md §5).
    With the texts cached, a write costs a join and the zlib of the record.

    A cached text is reused only while the very same object (`is`) comes again,
    so a replaced result is re-encoded; values must not be mutated in place
    (each is a fresh `TickerResult.to_json()`).
    """

    def __init__(self) -> None:
        self._texts: dict[str, tuple[Any, str]] = {}

    def text(self, key: str, value: Any) -> str:
        cached = self._texts.get(key)
        if cached is None or cached[0] is not value:
            cached = (value, json.dumps(value))
            self._texts[key] = cached
        return cached[1]

    def object_text(self, values: Mapping[str, Any]) -> str:
        """`json.dumps(values)`, assembled from the cached texts of its values."""
        items = (f"{json.dumps(key)}: {self.text(key, value)}" for key, value in values.items())
        return "{" + ", ".join(items) + "}"


class SafeJSONDisk(diskcache.JSONDisk):
    """diskcache's JSONDisk that refuses the pickle paths of the base `Disk`.

    JSONDisk writes keys and values as zlib-compressed JSON bytes, but its
    readers fall back to `pickle.load` when a row says it holds a pickle. Rows
    are written only by wheelscan, so such a row is corruption, never code.
    An `EncodedJSON` value is compressed as it is instead of through `json.dumps`.
    """

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> Any:
        if isinstance(value, EncodedJSON):
            data = zlib.compress(value.text.encode("utf-8"), self.compress_level)
            return diskcache.Disk.store(self, data, False, key=key)
        return super().store(value, read, key=key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise CorruptValueError("cache key is not JSON")
        return super().get(key, raw)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        """JSONDisk's fetch, a large value decoded a member at a time (`decode_json`)."""
        if read or mode not in (MODE_RAW, MODE_BINARY):
            raise CorruptValueError("cache value is not JSON")
        data = diskcache.Disk.fetch(self, mode, filename, value, read)
        return decode_json(zlib.decompress(data).decode("utf-8"))
