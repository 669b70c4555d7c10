"""The answer cache (SPEC 1.4): decoded options answers kept per namespace for minutes.

A re-run with other criteria inside the window, or the app after a criteria
change, re-evaluates these instead of asking Yahoo again. One row per answer:
`scanner:<ns>:answer:<SYMBOL>:<EPOCH>` (`nearest` for the no-date request),
holding {"fetched_at": epoch seconds, "answer": the answer's JSON}. Its age is
judged by the store's clock when read, against the reader's maximum age; the row
also expires in diskcache after the writer's, so old answers do not pile up.
`cache clear` deletes them with every other key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from wheelscan.store.errors import STORE_ERRORS
from wheelscan.store.keys import PREFIX
from wheelscan.store.reader import read_snapshot

if TYPE_CHECKING:
    from wheelscan.store.cache import Store

NEAREST = "nearest"

AnswerToKeep = tuple[str, int | None, dict[str, Any]]
"""(symbol, epoch or None for the no-date answer, the answer's JSON)."""


def answer_key(namespace: str, symbol: str, epoch: int | None) -> str:
    return f"{PREFIX}{namespace}:answer:{symbol}:{NEAREST if epoch is None else epoch}"


def read_answer(
    store: Store, symbol: str, epoch: int | None, max_age_s: float
) -> dict[str, Any] | None:
    """The answer's JSON if the store keeps one younger than `max_age_s`; never raises
    (a missing, damaged or unreadable cache has no answer)."""
    if max_age_s <= 0:
        return None
    try:
        with read_snapshot(store.directory) as snapshot:
            record = snapshot.get(answer_key(store.namespace, symbol, epoch)) if snapshot else None
    except STORE_ERRORS:
        return None
    if not isinstance(record, dict):
        return None
    fetched_at, answer = record.get("fetched_at"), record.get("answer")
    if not isinstance(fetched_at, int | float) or not isinstance(answer, dict):
        return None
    age = store.clock() - fetched_at
    return answer if math.isfinite(age) and 0 <= age < max_age_s else None


def write_answers(store: Store, answers: Sequence[AnswerToKeep], keep_s: float) -> None:
    """Keep `answers` (fetched now) in one transaction for `keep_s`. Raises StoreError."""
    if not answers or keep_s <= 0:
        return
    now = store.clock()
    with store._writing("keep the options answers") as cache, cache.transact():
        for symbol, epoch, answer in answers:
            record = {"fetched_at": now, "answer": answer}
            cache.set(answer_key(store.namespace, symbol, epoch), record, expire=keep_s)
