"""One scan's answer cache (SPEC 1.4): the engine's `AnswerCache` over the store.

Answers are read from the store in the engine's worker threads; fresh answers are
handed to the scan's LockKeeper, the one thread that writes while the scan runs,
which keeps them in batches. `fresh` (`--fresh`) reads nothing and still keeps
what it fetched, so the next run can use it.
"""

from __future__ import annotations

from collections.abc import Callable

from wheelscan.store import Store
from wheelscan.store.answers import AnswerToKeep, read_answer
from wheelscan.yahoo.source import Answer


class StoredAnswers:
    """Answers younger than `max_age_s` from `store`'s namespace; `keep` queues new ones."""

    def __init__(
        self,
        store: Store,
        max_age_s: float,
        *,
        fresh: bool,
        keep: Callable[[AnswerToKeep], None],
    ) -> None:
        self.store = store
        self.max_age_s = max_age_s
        self.fresh = fresh
        self.keep = keep

    def get(self, symbol: str, epoch: int | None) -> Answer | None:
        if self.fresh:
            return None
        return Answer.from_json(read_answer(self.store, symbol, epoch, self.max_age_s))

    def put(self, symbol: str, epoch: int | None, answer: Answer) -> None:
        if self.max_age_s > 0:
            self.keep((symbol, epoch, answer.to_json()))
