"""How every `--json` command prints its document: indented, one line per flat object.

`json.dumps(indent=2)` runs CPython's pure-Python encoder (its C encoder cannot
indent): 3-4 ms for the `results --json` document of a 24-ticker watchlist,
about all of that command's start-up budget over a bare store read
(benchmarks/startup.py). So the structure is indented here, and every object or
array that holds only scalars (a candidate, rejected counts, criteria) goes on
one line through the C encoder: the same JSON values as `json.dumps`
(ensure_ascii, NaN as `NaN`) in under half the time, a third fewer bytes, and
one candidate per line, which reads and greps well.

Typer-free on purpose: the fast entry (cli/fast.py) prints through it too.
"""

from __future__ import annotations

import json
import sys
from typing import Any

INDENT = "  "
_one_line = json.JSONEncoder(separators=(", ", ": ")).encode
_CONTAINER_TYPES = frozenset((dict, list, tuple))
_KEY_TYPES = (str, int, float, bool, type(None))


def _is_flat(values: Any) -> bool:
    """No dict, list or tuple among `values` (exact types: a subclass merely stays on
    one line, still the same JSON)."""
    return _CONTAINER_TYPES.isdisjoint(map(type, values))


def _key(key: Any) -> str:
    """A dict key as json.dumps writes it: a JSON string (bool, None, numbers as text)."""
    if isinstance(key, str):
        return _one_line(key)
    if not isinstance(key, _KEY_TYPES):
        raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
    return _one_line(_one_line(key))


def _write(value: Any, newline: str, out: list[str], top: bool) -> None:
    """Append `value`'s text to `out`; `newline` is a newline plus the current indent."""
    if isinstance(value, dict):
        if not value or (not top and _is_flat(value.values())):
            out.append(_one_line(value))
            return
        inner = newline + INDENT
        separator = "{" + inner
        for key, item in value.items():
            out.append(separator)
            out.append(_key(key))
            out.append(": ")
            _write(item, inner, out, False)
            separator = "," + inner
        out.append(newline + "}")
    elif isinstance(value, list | tuple):
        if not value or (not top and _is_flat(value)):
            out.append(_one_line(value))
            return
        inner = newline + INDENT
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _write(item, inner, out, False)
            separator = "," + inner
        out.append(newline + "]")
    else:
        out.append(_one_line(value))


def json_text(document: Any) -> str:
    """`document` as JSON text: containers indented by two spaces, except those that
    hold only scalars, which sit on one line (the top level is always indented)."""
    out: list[str] = []
    _write(document, "\n", out, True)
    return "".join(out)


def echo_json(document: Any) -> None:
    """Print `document` on stdout as one JSON document (`json_text`) and a newline."""
    sys.stdout.write(json_text(document) + "\n")
    sys.stdout.flush()
