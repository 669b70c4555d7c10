"""What a scan engine's caller may give it to keep answers between scans (SPEC 1.4, 4, 9).

Each is a protocol the store's side implements (scan/answers.py, cash_flows.py,
dividends.py): reads run in the engine's worker threads, writes are handed over on
the engine's loop and must not block.
"""

from __future__ import annotations

from typing import Protocol

from wheelscan.core.call_criteria import ExDividend
from wheelscan.core.valuation import TrailingCashFlow
from wheelscan.yahoo.source import Answer


class AnswerCache(Protocol):
    """Options answers kept from earlier scans (SPEC 1.4), given to the engine by its caller."""

    def get(self, symbol: str, epoch: int | None) -> Answer | None:
        """A young enough answer for `symbol` (no-date when `epoch` is None), else None.
        Blocking: the engine calls it in a worker thread."""

    def put(self, symbol: str, epoch: int | None, answer: Answer) -> None:
        """Keep a fresh answer. Called on the engine's loop: it must not block."""


class CashFlowCache(Protocol):
    """Trailing cash flows kept from earlier requests (SPEC 4, the FCF method)."""

    def get(self, symbol: str) -> TrailingCashFlow | None:
        """The kept cash flow (`empty` when Yahoo had none), else None. Blocking: the
        engine calls it in a worker thread."""

    def put(self, symbol: str, cash_flow: TrailingCashFlow) -> None:
        """Keep a fetched cash flow. Called on the engine's loop: it must not block."""


class DividendCache(Protocol):
    """Today's ex-dividend answers (SPEC 9), for the covered calls of held symbols."""

    def get(self, symbol: str) -> tuple[bool, ExDividend | None]:
        """(whether today's answer is kept, the answer: None when no dividend is listed).
        Blocking: the engine calls it in a worker thread."""

    def put(self, symbol: str, dividend: ExDividend | None) -> None:
        """Keep a fetched answer. Called on the engine's loop: it must not block."""
