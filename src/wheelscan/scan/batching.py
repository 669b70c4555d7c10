"""Judge whatever is ready together: the tickers whose answers came in while the previous
batch was being judged make the next batch, evaluated in one call.

A ticker's chains are short, so evaluating one costs numpy's fixed price per call
far more than its rows do; one call for every ticker that is ready costs little more
than one for a single ticker (benchmarks/compute.py). A live, paced scan delivers its
tickers one at a time and gets batches of one; a snapshot replay, the demo or answers
from the store deliver many at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class ReadyBatches(Generic[Item, Result]):
    """`submit` an item, get its result from `judge`, which takes a batch of items and
    returns one result per item, in order; `run_blocking` runs it off the event loop.

    A batch whose judgement raises is judged again one item at a time, so one bad item
    fails alone, as it would have on its own. Call `close` when done.
    """

    def __init__(
        self,
        judge: Callable[[list[Item]], list[Result]],
        run_blocking: Callable[[Callable[[list[Item]], list[Result]], list[Item]], Awaitable[Any]],
    ) -> None:
        self._judge = judge
        self._run_blocking = run_blocking
        self._ready: list[tuple[Item, asyncio.Future[Result]]] = []
        self._judging: list[tuple[Item, asyncio.Future[Result]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._ready.append((item, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._ready:
            batch = self._judging = self._ready
            self._ready = []
            try:
                results = await self._run_blocking(self._judge, [item for item, _ in batch])
            except Exception as error:
                if len(batch) == 1:
                    _fail(batch[0][1], error)
                    continue
                for item, future in batch:
                    await self._judge_alone(item, future)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                _give(future, result)

    async def _judge_alone(self, item: Item, future: asyncio.Future[Result]) -> None:
        try:
            (result,) = await self._run_blocking(self._judge, [item])
        except Exception as error:
            _fail(future, error)
        else:
            _give(future, result)

    async def close(self) -> None:
        """Stop judging: the batch being judged is abandoned, its waiters cancelled."""
        if self._draining is not None and not self._draining.done():
            self._draining.cancel()
            await asyncio.gather(self._draining, return_exceptions=True)
        for _, future in [*self._judging, *self._ready]:
            future.cancel()
        self._judging, self._ready = [], []


def _give(future: asyncio.Future[Result], result: Result) -> None:
    if not future.done():  # else its waiter stopped waiting (cancelled)
        future.set_result(result)


def _fail(future: asyncio.Future[Result], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)
