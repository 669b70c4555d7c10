"""One pace for every HTTP request a scan sends to Yahoo (SPEC 1.3).

Yahoo bans clients that burst, so live scans default to `LIVE_RATE_PER_S`
requests a second in bursts of at most `BURST` (config `rate_limit_per_s`).
Every request counts, not only the options requests the engine asks for:
yfinance also fetches a cookie and a crumb, and after an error status walks a
consent flow and asks again. The source's session (source.py) takes a turn from
its one `Pacer` before each of them.

A turn is taken one of two ways. The engine awaits `acquire()` before it hands a
call to a worker thread, so waiting blocks no thread and does not count against
the request's deadline, and runs the call inside `prepaid()`: the call's first
HTTP request goes at once, any further one waits in `take()`. Requests made
outside the engine (fundamentals, a recording) wait in `take()` too.

An HTTP 429 pauses everyone: `rate_limited` pushes the resume time out by a
growing, jittered backoff and empties the bucket, so requests resume at the
rate, not in a burst. A 429 for a request sent before the current pause began
answers the same overload and does not lengthen it; the first answer that is not
a 429, for a request sent after the pause, resets the backoff.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

LIVE_RATE_PER_S = 2.0
"""Live Yahoo's default pace (SPEC 1.3): users report ~1/s as safe and bans after bursts."""
BURST = 4
"""How many requests may go at once after a quiet spell."""

PAUSE_BASE_S = 2.0
"""The pause after a first 429; it doubles with each further one in a row."""
BACKOFF_MAX_S = 20.0
"""The longest wait before a retry, or pause after a 429."""

Backoff = Callable[[int], float]
"""Seconds to pause after the `n`-th 429 in a row (n >= 1)."""


def equal_jitter(
    base_s: float, max_s: float, attempt: int, rng: random.Random | None = None
) -> float:
    """Exponential backoff with equal jitter: half the ceiling for sure, half at random,
    so clients that failed together do not come back together."""
    ceiling = min(max_s, base_s * 2**attempt)
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def default_backoff(strike: int) -> float:
    return equal_jitter(PAUSE_BASE_S, BACKOFF_MAX_S, strike - 1)


class PacerStopped(Exception):
    """The scan stopped while a request waited for its turn; the request is not sent."""


def _never_stopped(seconds: float) -> bool:
    time.sleep(seconds)
    return False


class Pacer:
    """A token bucket shared by every request of a scan, with a pause after each 429.

    `rate_per_s` 0 paces nothing but the pauses. `clock` (seconds, monotonic),
    `sleep` (a blocking wait that returns True when the scan stopped) and
    `async_sleep` are injectable, so tests run on a fake clock. Thread-safe; the
    lock is never held while waiting.
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: int = BURST,
        *,
        backoff: Backoff = default_backoff,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], bool] = _never_stopped,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate_per_s = rate_per_s
        self.burst = max(1, burst)
        self.backoff = backoff
        self.now = clock
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._updated = clock()
        self._resume_at = float("-inf")
        self._paused_at = float("-inf")
        self._strikes = 0
        self._credit = threading.local()
        self.turns = 0
        self.pauses = 0

    def _wait_needed(self) -> float:
        """0 with a turn taken, else how long to wait before asking again."""
        with self._lock:
            now = self.now()
            if now < self._resume_at:
                return self._resume_at - now
            if self.rate_per_s > 0:
                refill = max(0.0, now - self._updated) * self.rate_per_s
                self._tokens = min(float(self.burst), self._tokens + refill)
                self._updated = max(self._updated, now)
                if self._tokens < 1:
                    return (1 - self._tokens) / self.rate_per_s
                self._tokens -= 1
            self.turns += 1
            return 0.0

    async def acquire(self) -> None:
        """Wait, without blocking the loop, for a turn (the engine's, before a call)."""
        while (delay := self._wait_needed()) > 0:
            await self._async_sleep(delay)

    def take(self) -> None:
        """Wait in this thread for a request's turn; the first request of a prepaid call
        goes at once. Raises PacerStopped when the scan stops meanwhile."""
        if getattr(self._credit, "turns", 0) > 0:
            self._credit.turns -= 1
            return
        while (delay := self._wait_needed()) > 0:
            if self._sleep(delay):
                raise PacerStopped("the scan stopped before this request's turn")

    @contextmanager
    def prepaid(self) -> Iterator[None]:
        """Run a call whose turn `acquire()` already took (in the call's own thread)."""
        self._credit.turns = 1
        try:
            yield
        finally:
            self._credit.turns = 0

    def rate_limited(self, sent_at: float) -> float:
        """A request sent at `sent_at` got HTTP 429: pause everyone; the seconds left."""
        with self._lock:
            now = self.now()
            if sent_at > self._paused_at:
                self._strikes += 1
                self.pauses += 1
                self._resume_at = max(self._resume_at, now + self.backoff(self._strikes))
                self._paused_at = now
                self._tokens = 0.0
                self._updated = self._resume_at
            return max(0.0, self._resume_at - now)

    def answered(self, sent_at: float) -> None:
        """A request sent at `sent_at` got an answer that is no 429."""
        with self._lock:
            if sent_at > self._paused_at:
                self._strikes = 0
