"""The one printer of `--json` documents: same JSON values as json.dumps, one line per
flat object, structure indented."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wheelscan.cli.json_output import json_text

CANDIDATE = {"contract": "KO261127P00060000", "strike": 60.0, "delta": -0.1873, "badge": "n/a"}
DOCUMENT = {
    "schema": 1,
    "scan": {"id": "ab12", "criteria": {"min_dte": 1, "max_spread_pct": None}, "errors": {}},
    "results": {
        "KO": {"rejected": {"dte": 3, "itm": 40}, "candidates": [CANDIDATE, CANDIDATE]},
        "PEP": {"rejected": {}, "candidates": []},
    },
    "warning": None,
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)


def test_layout_indents_the_structure_and_keeps_each_flat_object_on_one_line() -> None:
    lines = json_text(DOCUMENT).splitlines()
    candidate_line = "        " + json.dumps(CANDIDATE)
    assert lines[0] == "{" and lines[-1] == "}"
    assert '  "schema": 1,' in lines
    assert '    "criteria": {"min_dte": 1, "max_spread_pct": null},' in lines
    assert '      "rejected": {"dte": 3, "itm": 40},' in lines
    assert lines.count(candidate_line + ",") == 1 and lines.count(candidate_line) == 1
    assert '      "candidates": []' in lines
    assert '    "errors": {}' in lines


def test_the_top_level_is_indented_even_when_flat() -> None:
    flat = {"running": False, "lock": None}
    assert json_text(flat) == '{\n  "running": false,\n  "lock": null\n}'
    assert json_text([1, "a"]) == '[\n  1,\n  "a"\n]'
    assert json_text({}) == "{}" and json_text([]) == "[]" and json_text(3.5) == "3.5"


@given(json_values)
def test_any_json_value_reads_back_as_json_dumps_writes_it(value: Any) -> None:
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


def test_what_json_dumps_accepts_beyond_plain_json_is_written_the_same_way() -> None:
    odd = {1: (1, {"nan": math.nan}), None: "\u00e9\u2028", 2.5: [math.inf], False: [[]]}
    assert json.loads(json_text(odd), parse_constant=str) == json.loads(
        json.dumps(odd), parse_constant=str
    )
    assert "\u00e9" not in json_text(odd), "ASCII only, as json.dumps"


def test_keys_json_cannot_write_are_refused() -> None:
    with pytest.raises(TypeError):
        json_text({("a", "b"): {"x": [1]}})
    with pytest.raises(TypeError):
        json_text({"when": {"t": object()}})
