"""The store's JSON decoding: a large object decoded a member at a time equals json.loads
(the oracle), and text json.loads refuses is refused too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wheelscan.store.codec import MEMBERWISE_CHARS, decode_json


def _results(tickers: int) -> dict[str, Any]:
    return {
        f"T{number:04d}": {
            "underlying_price": number + 0.25,
            "candidates": [
                {"contract": f"T{number}P{k}", "bid": k / 7, "badge": None} for k in range(5)
            ],
            "note": 'é \u2603 "quoted" \\ back',
        }
        for number in range(tickers)
    }


@pytest.mark.parametrize("indent", [None, 2])
def test_a_large_object_decodes_as_json_loads_does(indent: int | None) -> None:
    text = json.dumps(_results(400), indent=indent)
    assert len(text) >= MEMBERWISE_CHARS
    assert decode_json(text) == json.loads(text)
    padded = " \n" + text + "\n "
    assert decode_json(padded) == json.loads(padded)
    duplicated = text[:-1] + ', "T0000": 1}'
    assert decode_json(duplicated) == json.loads(duplicated)  # the last one wins


def test_small_values_and_other_shapes_are_json_loads() -> None:
    for value in ({}, [], {"a": 1}, list(range(20000)), "x" * MEMBERWISE_CHARS, 3.5, None):
        text = json.dumps(value)
        assert decode_json(text) == json.loads(text)
    empty = "{" + " " * MEMBERWISE_CHARS + "}"
    assert decode_json(empty) == {}


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[:-1],  # truncated
        lambda text: text[: len(text) // 2],
        lambda text: text + " x",  # extra data
        lambda text: text[:-1] + ",}",  # trailing comma
        lambda text: text.replace('"T0003"', "3", 1),  # a key that is not a string
        lambda text: text.replace('"T0003":', '"T0003"', 1),  # no colon
        lambda text: text.replace('}, "T0004"', '} "T0004"', 1),  # no comma
    ],
)
def test_damaged_text_is_refused_like_json_loads(damage: Any) -> None:
    text = damage(json.dumps(_results(400)))
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        decode_json(text)
