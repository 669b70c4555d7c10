"""How the app lives in its process: GC freezes, a guard for shut-down, whose lock is whose.

While the app shuts down, timers that were due and messages posted by its
threads are still handled after its widgets are gone; `while_running` makes such
a late call a no-op instead of a `NoMatches` crash on the way out.
"""

from __future__ import annotations

import functools
import gc
import os
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from textual.app import App
from textual.dom import DOMNode

if TYPE_CHECKING:
    from wheelscan.store import LockInfo

_P = ParamSpec("_P")
_N = TypeVar("_N", bound=DOMNode)


def app_running(node: DOMNode) -> bool:
    """Whether the app `node` belongs to still runs (False from the start of its shut-down)."""
    try:
        app = node if isinstance(node, App) else node.app
    except RuntimeError:  # Textual's NoActiveAppError: called outside any app's context
        return False
    return app.is_running


def while_running(
    handler: Callable[Concatenate[_N, _P], None],
) -> Callable[Concatenate[_N, _P], None]:
    """Run a handler or timer callback of the app or its widgets only while the app runs."""

    @functools.wraps(handler)
    def guarded(node: _N, *args: _P.args, **kwargs: _P.kwargs) -> None:
        if app_running(node):
            handler(node, *args, **kwargs)

    return guarded


def freeze_long_lived() -> None:
    """Take everything alive now out of the cyclic GC's walk: once the first frame is
    drawn (Textual's, Rich's and the app's long-lived objects), after each load of the
    published results and after each poll that brought a scan's rows (they live until
    the next load).

    Every full collection walks all tracked objects again, on the event loop, and with
    a large watchlist those walks were the app's longest stalls
    (benchmarks/app_stall.py). Frozen objects are still freed by reference count when
    they are dropped: the results, rows and labels are plain values without cycles. A
    cycle alive at a freeze that dies later is not collected: the price, small.
    """
    gc.freeze()


def held_elsewhere(lock: LockInfo | None) -> bool:
    """A scan lock held by another process (ours shows while our own scan winds down)."""
    return lock is not None and (lock.pid, lock.host) != (os.getpid(), socket.gethostname())
