"""The one stop signal of a scan: set from any thread, heard at once by the engine's loop.

A SIGTERM handler, the terminal app's cancel key and the lock keeper (when the
scan loses its lock) all set the same `StopEvent`. Threads wait on it like a
`threading.Event`; the engine awaits `wait_async()`, which is woken through
`call_soon_threadsafe`, so nothing polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable


class StopEvent:
    """A `threading.Event` that also wakes asyncio waiters the moment it is set."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._wakers: set[Callable[[], None]] = set()

    def set(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            wakers = list(self._wakers)
        for wake in wakers:
            wake()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until set or `timeout` seconds pass; True when set."""
        return self._event.wait(timeout)

    async def wait_async(self) -> None:
        """Return once the event is set, without blocking the running loop."""
        loop = asyncio.get_running_loop()
        woken = loop.create_future()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(_resolve, woken)

        with self._lock:
            self._wakers.add(wake)
            already = self._event.is_set()
        try:
            if not already:
                await woken
        finally:
            with self._lock:
                self._wakers.discard(wake)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
