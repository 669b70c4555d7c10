"""ReadyBatches: what is submitted while a batch is judged makes the next batch; a batch
that fails is judged again item by item; close cancels whoever still waits. No timing:
the judge blocks on events the test sets."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from wheelscan.scan.batching import ReadyBatches

DEADLINE_S = 30.0


def in_thread(fn: Callable[[list[int]], list[Any]], items: list[int]) -> Any:
    return asyncio.get_running_loop().run_in_executor(None, fn, items)


class GatedJudge:
    """Doubles each item; the first batch waits in its thread until `release` is set."""

    def __init__(self, bad: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.bad = bad

    def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.release.wait(DEADLINE_S), "the test never released the first batch"
        if self.bad in items:
            raise ValueError(f"cannot judge {self.bad}")
        return [2 * item for item in items]


async def _started(judge: GatedJudge) -> None:
    assert await asyncio.get_running_loop().run_in_executor(None, judge.entered.wait, DEADLINE_S)


async def test_items_ready_while_a_batch_is_judged_make_the_next_batch() -> None:
    judge = GatedJudge()
    batches = ReadyBatches(judge, in_thread)
    first = asyncio.ensure_future(batches.submit(1))
    await _started(judge)
    later = [asyncio.ensure_future(batches.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)  # one turn of the loop: each submit has queued its item
    judge.release.set()
    assert await asyncio.gather(first, *later) == [2, 4, 6, 8]
    assert judge.batches == [[1], [2, 3, 4]]
    assert await batches.submit(5) == 10, "a new batch starts after the queue ran dry"
    assert judge.batches[-1] == [5]
    await batches.close()


async def test_a_failing_batch_is_judged_item_by_item_so_only_the_bad_item_fails() -> None:
    judge = GatedJudge(bad=3)
    batches = ReadyBatches(judge, in_thread)
    first = asyncio.ensure_future(batches.submit(1))
    await _started(judge)
    later = [asyncio.ensure_future(batches.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    judge.release.set()
    outcomes = await asyncio.gather(first, *later, return_exceptions=True)
    assert outcomes[:2] == [2, 4] and outcomes[3] == 8
    assert isinstance(outcomes[2], ValueError) and "cannot judge 3" in str(outcomes[2])
    assert judge.batches == [[1], [2, 3, 4], [2], [3], [4]]
    await batches.close()


async def test_close_cancels_whoever_still_waits() -> None:
    judge = GatedJudge()
    batches = ReadyBatches(judge, in_thread)
    first = asyncio.ensure_future(batches.submit(1))
    await _started(judge)
    queued = asyncio.ensure_future(batches.submit(2))
    await asyncio.sleep(0)
    await batches.close()
    judge.release.set()
    for waiter in (first, queued):
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert judge.batches == [[1]], "nothing is judged after close"
