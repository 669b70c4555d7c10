"""The filter typed after `/`: words that name tickers, conditions on any column. Pure.

    ko pep          tickers whose symbol contains KO or PEP
    ann>40          annualized return above 40 %
    delta<0.15      |delta| below 0.15
    dte<=14 iv>=30  every condition must hold (IV in %)
    badge:good      a text column containing "good" (`=` for exactly, `!=` for not)
    40              a bare number: annualized return of at least 40 % (as v1 had it)

A condition on a ticker's own column (ticker, price) keeps or hides the ticker;
a condition on a contract column keeps the contracts that meet it, and hides a
ticker left with none. What does not parse is listed in `problems` and left out,
so the filter can be applied at every keystroke.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from wheelscan.tui.columns import BY_NAME, COLUMNS, Column, Value
from wheelscan.tui.model import CandidateData, TickerRow

_OPERATOR = re.compile(r"<=|>=|!=|==|≤|≥|=|<|>|:")
_ENDS_WITH_OPERATOR = re.compile(r"(?:<=|>=|!=|==|≤|≥|=|<|>|:)$")
_CONDITION = re.compile(r"^([^\W\d][\w()%./]*)(<=|>=|!=|==|≤|≥|=|<|>|:)(.*)$")
_BARE_NUMBER = re.compile(r"^\d+(?:\.\d+)?%?$")
_SPELLING = {"≤": "<=", "≥": ">=", "==": "="}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


_NUMBER_TESTS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": lambda a, b: a < b or _close(a, b),
    ">": operator.gt,
    ">=": lambda a, b: a > b or _close(a, b),
    "=": _close,
    ":": _close,
    "!=": lambda a, b: not _close(a, b),
}
_TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    ":": operator.contains,
    "!=": operator.ne,
}


def _number(text: str) -> float | None:
    cleaned = text.strip().rstrip("%").lstrip("$").replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Condition:
    """`column op operand`: a number for a number column, lower-case text for a text one."""

    column: Column
    op: str
    operand: float | str

    def holds(self, row: TickerRow, candidate: CandidateData | None) -> bool:
        value: Value = self.column.value(row, candidate)
        if value is None:
            return self.op == "!="
        if isinstance(self.operand, str):
            return _TEXT_TESTS[self.op](str(value).lower(), self.operand)
        return isinstance(value, int | float) and _NUMBER_TESTS[self.op](value, self.operand)

    def describe(self) -> str:
        operand = self.operand if isinstance(self.operand, str) else f"{self.operand:g}"
        return f"{self.column.key}{self.op}{operand}"


def _condition(name: str, op: str, text: str) -> Condition | str:
    """The condition `name op text`, or what is wrong with it."""
    column = BY_NAME.get(name.lower())
    if column is None:
        return f"unknown column {name!r}"
    op = _SPELLING.get(op, op)
    if not text.strip():
        return f"{name}{op}: a value is missing"
    if column.kind == "text":
        return Condition(column, op, text.strip().lower())
    number = _number(text)
    if number is None:
        return f"{name}{op}{text}: not a number"
    return Condition(column, op, number)


def _tokens(text: str) -> list[str]:
    """The words of `text`, a condition typed with spaces (`ann > 40`, `badge: good`) as one."""
    tokens: list[str] = []
    for word in text.split():
        last = tokens[-1] if tokens else ""
        if last and not _OPERATOR.search(last) and _OPERATOR.match(word):
            tokens[-1] += word  # `ann >40`, `ann >`
        elif _ENDS_WITH_OPERATOR.search(last) and not _OPERATOR.search(word):
            tokens[-1] += word  # `ann> 40`
        else:
            tokens.append(word)
    return tokens


@dataclass(frozen=True)
class ResultsFilter:
    """A parsed filter: `tickers` (any may match), `conditions` (all must hold)."""

    text: str = ""
    tickers: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    problems: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> ResultsFilter:
        tickers: list[str] = []
        conditions: list[Condition] = []
        problems: list[str] = []
        for token in _tokens(text):
            match = _CONDITION.match(token)
            if match:
                parsed = _condition(*match.groups())
                if isinstance(parsed, Condition):
                    conditions.append(parsed)
                else:
                    problems.append(parsed)
            elif _BARE_NUMBER.match(token):
                conditions.append(Condition(COLUMNS["ann"], ">=", float(token.rstrip("%"))))
            elif token[0] in "<>=!≤≥:":
                problems.append(f"{token}: a column is missing (e.g. ann{token})")
            else:
                tickers.append(token.upper())
        return cls(text.strip(), tuple(tickers), tuple(conditions), tuple(problems))

    @property
    def active(self) -> bool:
        return bool(self.tickers or self.conditions)

    @property
    def on_contracts(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if not c.column.ticker_level)

    def describe(self) -> str:
        parts = []
        if self.tickers:
            parts.append("ticker ~ " + "|".join(self.tickers))
        parts.extend(condition.describe() for condition in self.conditions)
        return " ".join(parts) if parts else "none"

    def keeps(self, row: TickerRow, candidate: CandidateData) -> bool:
        return all(condition.holds(row, candidate) for condition in self.on_contracts)

    def apply(self, row: TickerRow) -> TickerRow | None:
        """The row as it shows under this filter, or None when it is hidden."""
        if self.tickers and not any(part in row.symbol for part in self.tickers):
            return None
        if not all(c.holds(row, None) for c in self.conditions if c.column.ticker_level):
            return None
        if not self.on_contracts:
            return row
        kept = [candidate for candidate in row.candidates if self.keeps(row, candidate)]
        if not kept or row.result is None:
            return None
        if len(kept) == len(row.candidates):
            return row
        result: dict[str, Any] = {**row.result, "candidates": kept}
        return replace(row, result=result)
