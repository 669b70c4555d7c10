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

CANDIDATE = {
    "contract": "KO261127P00060000",
    "strike": 60.0,
    "iv": 0.2114,
    "iv_yahoo": 0.0625,
    "delta": -0.1873,
    "pop": 0.8502,
    "cushion_pct": 9.1,
    "spans_earnings": False,
    "badge": "n/a",
}
EXPIRATION = {
    "expiration": "2026-11-27",
    "dte": 4,
    "forward": 66.02,
    "forward_source": "parity",
    "atm_iv": 0.17,
    "expected_move": 1.31,
    "expected_move_pct": 1.98,
}
DOCUMENT = {  # schema 2 (SPEC 7)
    "schema": 2,
    "scan": {
        "id": "ab12",
        "source_namespace": "demo",
        "market_open": False,
        "cached_answers": 3,
        "criteria": {"min_dte": 1, "max_spread_pct": None, "earnings": "exclude"},
        "errors": {},
    },
    "results": {
        "KO": {
            "market_state": "POST",
            "next_earnings": {"date": "2027-02-10", "estimated": True},
            "intrinsic_value_source": None,
            "expirations": [EXPIRATION],
            "rejected": {"dte": 3, "itm": 40},
            "top_rejections": [{"reason": "itm", "count": 40}, {"reason": "dte", "count": 3}],
            "candidates": [CANDIDATE, CANDIDATE],
        },
        "PEP": {"next_earnings": None, "rejected": {}, "top_rejections": [], "candidates": []},
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
    assert '  "schema": 2,' in lines
    assert '    "source_namespace": "demo",' in lines and '    "cached_answers": 3,' in lines
    assert '    "criteria": {"min_dte": 1, "max_spread_pct": null, "earnings": "exclude"},' in lines
    assert '      "next_earnings": {"date": "2027-02-10", "estimated": true},' in lines
    assert "        " + json.dumps(EXPIRATION) in lines
    assert '      "rejected": {"dte": 3, "itm": 40},' in lines
    assert '        {"reason": "itm", "count": 40},' in lines
    assert lines.count(candidate_line + ",") == 1 and lines.count(candidate_line) == 1
    assert '      "candidates": []' in lines and '      "top_rejections": [],' in lines
    assert '    "errors": {}' in lines
    assert json.loads(json_text(DOCUMENT)) == DOCUMENT


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
