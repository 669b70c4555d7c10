"""What a `--source` (or config `source`) value names, read without touching any source.

Config, the command line and the Yahoo layer all read a source through
`parse_source`, so they accept and refuse the same texts with the same words.
Whether a snapshot directory exists and holds responses is a question for the
file system, asked where the source is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wheelscan.core.errors import InputError

SNAPSHOT_PREFIX = "snapshot:"
SOURCE_FORMS = "yahoo, demo or snapshot:DIR"


class SourceSpecError(InputError):
    """A `--source` value that names no source."""


class SourceKind(StrEnum):
    YAHOO = "yahoo"
    DEMO = "demo"
    SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source: its kind, and for a snapshot the directory as written (`~` kept)."""

    text: str
    kind: SourceKind
    directory: str | None = None


def parse_source(text: str) -> SourceSpec:
    """`yahoo`, `demo` or `snapshot:DIR`; anything else is a SourceSpecError."""
    if text == SourceKind.YAHOO:
        return SourceSpec(text, SourceKind.YAHOO)
    if text == SourceKind.DEMO:
        return SourceSpec(text, SourceKind.DEMO)
    if text.startswith(SNAPSHOT_PREFIX):
        directory = text[len(SNAPSHOT_PREFIX) :]
        if not directory.strip():
            raise SourceSpecError(f"source {text!r} names no directory: use snapshot:DIR")
        return SourceSpec(text, SourceKind.SNAPSHOT, directory)
    raise SourceSpecError(f"unknown source {text!r}: use one of {SOURCE_FORMS}")


def source_problem(text: str) -> str | None:
    """None when `text` names a source, else why not (for a config key's message)."""
    try:
        parse_source(text)
    except SourceSpecError:
        return f"must be one of {SOURCE_FORMS}, got {text!r}"
    return None
