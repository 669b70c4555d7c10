"""How every `--json` command prints its document: indented, one line per flat object.

`json.dumps(indent=2)` runs CPython's pure-Python encoder (its C encoder cannot
indent): 3-4 ms for the `results --json` document of a 24-ticker watchlist,
about all of that command's start-up budget over a bare store read
(benchmarks/startup.py). So the structure is indented here, and every object or
array that holds only scalars (a candidate, rejected counts, criteria) goes on
one line through the C encoder: the same JSON values as `json.dumps`
(ensure_ascii, NaN as `NaN`) in under half the time, a third fewer bytes, and
one candidate per line, which reads and greps well. `ensure_ascii=False` keeps
characters such as the order tickets' U+2212 minus readable (`plan --json`).

Typer-free on purpose: the fast entry (cli/fast.py) prints through it too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

INDENT = "  "
_one_line = json.JSONEncoder(separators=(", ", ": ")).encode
_one_line_text = json.JSONEncoder(separators=(", ", ": "), ensure_ascii=False).encode
_CONTAINER_TYPES = frozenset((dict, list, tuple))
_KEY_TYPES = (str, int, float, bool, type(None))
Encode = Callable[[Any], str]


def _is_flat(values: Any) -> bool:
    """No dict, list or tuple among `values` (exact types: a subclass merely stays on
    one line, still the same JSON)."""
    return _CONTAINER_TYPES.isdisjoint(map(type, values))


def _key(key: Any, encode: Encode) -> str:
    """A dict key as json.dumps writes it: a JSON string (bool, None, numbers as text)."""
    if isinstance(key, str):
        return encode(key)
    if not isinstance(key, _KEY_TYPES):
        raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
    return encode(_one_line(key))


def _write(value: Any, newline: str, out: list[str], top: bool, encode: Encode = _one_line) -> None:
    """Append `value`'s text to `out`; `newline` is a newline plus the current indent."""
    if isinstance(value, dict):
        if not value or (not top and _is_flat(value.values())):
            out.append(encode(value))
            return
        inner = newline + INDENT
        separator = "{" + inner
        for key, item in value.items():
            out.append(separator)
            out.append(_key(key, encode))
            out.append(": ")
            _write(item, inner, out, False, encode)
            separator = "," + inner
        out.append(newline + "}")
    elif isinstance(value, list | tuple):
        if not value or (not top and _is_flat(value)):
            out.append(encode(value))
            return
        inner = newline + INDENT
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _write(item, inner, out, False, encode)
            separator = "," + inner
        out.append(newline + "]")
    else:
        out.append(encode(value))


def json_text(document: Any, *, ensure_ascii: bool = True) -> str:
    """`document` as JSON text: containers indented by two spaces, except those that
    hold only scalars, which sit on one line (the top level is always indented);
    without `ensure_ascii`, non-ASCII characters are written as themselves."""
    out: list[str] = []
    _write(document, "\n", out, True, _one_line if ensure_ascii else _one_line_text)
    return "".join(out)


def echo_json(document: Any, *, ensure_ascii: bool = True) -> None:
    """Print `document` on stdout as one JSON document (`json_text`) and a newline; a
    stdout that cannot encode a character gets the `ensure_ascii` text instead."""
    text = json_text(document, ensure_ascii=ensure_ascii)
    try:
        sys.stdout.write(text + "\n")
    except UnicodeEncodeError:
        sys.stdout.write(json_text(document) + "\n")
    sys.stdout.flush()
