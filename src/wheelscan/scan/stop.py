"""The one stop signal of a scan: set from any thread, heard at once by the engine's loop.

Ctrl-C and SIGTERM (`stop_on_signals`), the terminal app's cancel key and the
lock keeper (when the scan loses its lock) all set the same `StopEvent`. Threads
wait on it like a `threading.Event`; the engine awaits `wait_async()`, which is
woken through `call_soon_threadsafe`, so nothing polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import NoReturn


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


class SignalStop(StopEvent):
    """The StopEvent of `stop_on_signals`; `interrupted` once Ctrl-C has set it."""

    def __init__(self) -> None:
        super().__init__()
        self.interrupted = False


@contextlib.contextmanager
def stop_on_signals() -> Iterator[SignalStop]:
    """A StopEvent set by Ctrl-C (SIGINT) or SIGTERM (cron's or systemd's timeout), so the
    scan cancels cleanly: CANCELLED, lock released, previous results kept.

    Ctrl-C never raises KeyboardInterrupt meanwhile, so it cannot land inside the
    engine's loop or a store write, and asyncio.run leaves SIGINT alone (it handles
    it only over Python's default handler). The caller reports `interrupted`. The
    handler hands `set` to a thread: a signal interrupts the main thread anywhere,
    possibly inside the lock `set` takes. Off the main thread nothing is installed.
    """
    stop = SignalStop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_sigint(*_: object) -> None:
        stop.interrupted = True
        threading.Thread(target=stop.set, daemon=True).start()

    previous_int = signal.signal(signal.SIGINT, on_sigint)
    previous_term = signal.signal(
        signal.SIGTERM, lambda *_: threading.Thread(target=stop.set, daemon=True).start()
    )
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)


def leave_at_once(code: int) -> NoReturn:
    """End the process with `code` now, without waiting for a cancelled scan's threads.

    A cancelled scan leaves worker threads blocked in their requests (a hung socket,
    a demo latency); interpreter exit would wait for each. What the scan wrote is
    committed by then (progress, history, the lock released); logging and the
    standard streams are flushed first.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
