"""How the scan engine retries a failed request, and how it words a ticker's failure.

Kept apart from the engine so the figures are one place (tests and scripts build a
`RetryPolicy` with a seeded `rng`) and so `failure_reason` serves every caller that
reports a Yahoo failure in one line (the engine, the values and holdings look-ups).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from wheelscan.redact import redact
from wheelscan.scan.stop import StopEvent
from wheelscan.yahoo.pacing import BACKOFF_MAX_S, BURST, PAUSE_BASE_S, Pacer, equal_jitter
from wheelscan.yahoo.source import is_rate_limit


@dataclass(frozen=True)
class RetryPolicy:
    """How the engine retries a request: attempts, a deadline per request, and
    exponential backoff with equal jitter drawn from `rng`. After a 429 the wait is
    the pacer's pause for everyone (`rate_limit_backoff_base_s` doubling per 429 in
    a row); after another transient failure, this request's own backoff."""

    max_attempts: int = 4
    backoff_base_s: float = 0.5
    rate_limit_backoff_base_s: float = PAUSE_BASE_S
    backoff_max_s: float = BACKOFF_MAX_S
    request_timeout_s: float = 45.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, attempt: int, rate_limited: bool) -> float:
        base = self.rate_limit_backoff_base_s if rate_limited else self.backoff_base_s
        return equal_jitter(base, self.backoff_max_s, attempt, self.rng)

    def pacer(self, rate_per_s: float, stop: StopEvent) -> Pacer:
        """The scan's pacer: `rate_per_s` in bursts of BURST, paused by this policy after
        each 429, its waits in worker threads cut short by `stop`."""
        return Pacer(
            rate_per_s,
            BURST,
            backoff=lambda strike: self.backoff(strike - 1, rate_limited=True),
            sleep=stop.wait,
        )


def failure_reason(error: BaseException) -> str:
    """A one-line reason for a ticker's failure, with Yahoo's crumb and cookie masked."""
    if is_rate_limit(error):
        return "rate limited by Yahoo (HTTP 429)"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    name = type(error).__name__
    return redact(f"{name}: {text}")[:200] if text else name
