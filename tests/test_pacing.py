"""Pacing every request to Yahoo (SPEC 1.3): 2 requests/s in bursts of 4 for live Yahoo,
and a 429 that pauses everyone instead of setting off yfinance's own retries.

Time is a stepped clock: it moves only when the pacer waits, by the wait, so the
timestamps the transport records are the pacer's decisions, whatever the machine.
The transport sits under the real yfinance and counts every request it is sent:
options, crumb, cookie and consent.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
from collections import Counter

import pytest
import requests

from faults import FIXED_NOW
from wheelscan.config import Settings
from wheelscan.core.models import ScanState
from wheelscan.scan.engine import RetryPolicy, ScanEngine
from wheelscan.scan.stop import StopEvent
from wheelscan.yahoo.demo import DemoMarket
from wheelscan.yahoo.pacing import Pacer, PacerStopped, equal_jitter
from wheelscan.yahoo.source import YahooSource
from wheelscan.yahoo.transports import DemoTransport, options_request

RATE, BURST = 2.0, 4


class SteppedClock:
    """Monotonic seconds that pass only when the pacer waits, by what it waits."""

    def __init__(self) -> None:
        self._now = 100.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> bool:
        with self._lock:
            self._now += seconds
        return False

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)


def kind_of(url: str) -> str:
    if options_request(url) is not None:
        return "options"
    if "getcrumb" in url:
        return "crumb"
    if "consent" in url:
        return "consent"
    if "fc.yahoo.com" in url:
        return "cookie"
    return "other"


class Refusing(DemoTransport):
    """The demo market at a fixed time that answers 429 to the requests `refuse` picks,
    recording (clock time, kind, url, status) of every request it is sent."""

    def __init__(self, clock: SteppedClock, refuse: dict[str, int]) -> None:
        super().__init__(DemoMarket(now=FIXED_NOW), latency=0)
        self.clock = clock
        self.refuse = Counter(refuse)
        self.sent: list[tuple[float, str, str, int]] = []

    def send(
        self, request: requests.PreparedRequest, *args: object, **kwargs: object
    ) -> requests.Response:
        url = request.url or ""
        kind = kind_of(url)
        with self._lock:
            refused = self.refuse[kind] > 0
            self.refuse[kind] -= refused
        if refused:
            response = requests.Response()
            response.status_code = 429
            response._content = b"Too Many Requests\r\n"
            response.url = url
            response.request = request
        else:
            response = super().send(request, *args, **kwargs)
        with self._lock:
            self.sent.append((self.clock(), kind, url, response.status_code))
        return response

    def kinds(self) -> Counter[str]:
        return Counter(kind for _, kind, _, _ in self.sent)


def scan_refused(
    refuse: dict[str, int], seed: int = 1, symbols: tuple[str, ...] = ("AAPL", "KO", "MSFT")
) -> tuple[Refusing, ScanEngine, Pacer, float]:
    """One scan at 2/s burst 4 on a stepped clock, one request in flight at a time;
    returns the transport, the engine, its pacer and the first pause the policy draws."""
    clock = SteppedClock()
    transport = Refusing(clock, refuse)
    retry = RetryPolicy(rng=random.Random(seed))
    first_pause = equal_jitter(
        retry.rate_limit_backoff_base_s, retry.backoff_max_s, 0, random.Random(seed)
    )
    pacer = Pacer(
        RATE,
        BURST,
        backoff=lambda strike: retry.backoff(strike - 1, rate_limited=True),
        clock=clock,
        sleep=clock.sleep,
        async_sleep=clock.async_sleep,
    )
    settings = Settings(source="demo", concurrency=1)
    engine = ScanEngine(
        YahooSource("demo", transport), settings, list(symbols), retry=retry, pacer=pacer
    )
    report = engine.run_blocking()
    assert report.state is ScanState.SUCCEEDED and report.errors == {}, report.errors
    assert set(report.results) == set(symbols)
    return transport, engine, pacer, first_pause


def assert_paced(times: list[float]) -> None:
    """No window of requests is denser than a full bucket plus the rate over the window."""
    times = sorted(times)
    for first in range(len(times)):
        for last in range(first, len(times)):
            allowed = BURST + RATE * (times[last] - times[first]) + 1e-9
            assert last - first + 1 <= allowed, f"requests {first}..{last} at {times}"


def test_a_429_sets_off_no_request_of_yfinances_own_and_pauses_every_request() -> None:
    transport, engine, pacer, first_pause = scan_refused({"options": 1})

    kinds = transport.kinds()
    assert kinds["consent"] == 0 and kinds["cookie"] == 0, "a 429 must not start yfinance's dance"
    assert kinds["crumb"] == 1, "one crumb for the whole scan"
    assert kinds["options"] == engine.requests, "each engine attempt is one options request"
    assert pacer.turns == len(transport.sent), "every request of any kind took a turn"
    assert_paced([at for at, *_ in transport.sent])

    (refused_at,) = [at for at, _, _, status in transport.sent if status == 429]
    later = [at for at, _, _, _ in transport.sent if at > refused_at]
    assert later, "the scan went on after the 429"
    assert min(later) - refused_at >= first_pause - 1e-9, "nothing is sent during the pause"
    assert pacer.pauses == 1


def test_the_pause_after_a_429_is_jittered_by_the_injected_rng() -> None:
    gaps = []
    for seed in (1, 2, 1):
        transport, _, _, first_pause = scan_refused({"options": 1}, seed=seed)
        (refused_at,) = [at for at, _, _, status in transport.sent if status == 429]
        after = min(at for at, *_ in transport.sent if at > refused_at)
        gaps.append(after - refused_at)
        # The pause, then one interval: the bucket is empty when the pause ends.
        assert after - refused_at == pytest.approx(first_pause + 1 / RATE)
    assert gaps[0] == gaps[2], "the same seed draws the same pause"
    assert gaps[0] != gaps[1], "another seed draws another"


def test_a_429_on_the_crumb_is_waited_out_and_no_options_request_goes_without_a_crumb() -> None:
    transport, _, pacer, first_pause = scan_refused({"crumb": 1})

    kinds = transport.kinds()
    assert kinds["consent"] == 0 and kinds["cookie"] == 0
    assert kinds["crumb"] == 2, "the refused crumb is asked for once more, after the pause"
    crumb_refused_at = transport.sent[0][0]
    assert transport.sent[0][1:2] == ("crumb",) and transport.sent[0][3] == 429
    for at, kind, url, _ in transport.sent:
        if kind == "options":
            assert "crumb=" in url, f"an options request went without a crumb: {url}"
            assert at - crumb_refused_at >= first_pause - 1e-9
    assert_paced([at for at, *_ in transport.sent])
    assert pacer.pauses == 1


def test_a_run_of_429s_lengthens_the_pause_and_an_answer_resets_it() -> None:
    clock = SteppedClock()
    pacer = Pacer(RATE, BURST, backoff=lambda strike: 2.0**strike, clock=clock, sleep=clock.sleep)
    pacer.take()
    sent = clock()
    assert pacer.rate_limited(sent) == 2.0
    assert pacer.rate_limited(sent) == 2.0, "a 429 sent before the pause began adds nothing"
    pacer.take()
    assert clock() >= sent + 2.0, "the turn came after the pause"
    assert pacer.rate_limited(clock()) == 4.0, "the next overload pauses longer"
    pacer.take()
    pacer.answered(clock())
    pacer.take()
    assert pacer.rate_limited(clock()) == 2.0, "an answer in between starts over"


def test_after_a_pause_requests_resume_at_the_rate_not_in_a_burst() -> None:
    clock = SteppedClock()
    pacer = Pacer(RATE, BURST, backoff=lambda strike: 10.0, clock=clock, sleep=clock.sleep)
    pacer.rate_limited(clock())
    times = []
    for _ in range(6):
        pacer.take()
        times.append(clock())
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= 1 / RATE - 1e-9 for gap in gaps), times


def test_a_stop_ends_a_wait_for_a_turn() -> None:
    stop = StopEvent()
    stop.set()
    pacer = Pacer(RATE, 1, sleep=stop.wait)
    pacer.take()
    with pytest.raises(PacerStopped):
        pacer.take()


def test_live_yahoo_is_paced_at_two_a_second_in_bursts_of_four_unless_configured() -> None:
    live = ScanEngine(YahooSource("yahoo"), Settings(source="yahoo"), ["AAPL"])
    assert (live.pacer.rate_per_s, live.pacer.burst) == (2.0, 4)
    configured = Settings(source="yahoo", rate_limit_per_s=0.5)
    assert ScanEngine(YahooSource("yahoo"), configured, ["AAPL"]).pacer.rate_per_s == 0.5
    offline = ScanEngine(YahooSource("demo", DemoTransport()), Settings(source="demo"), ["AAPL"])
    assert offline.pacer.rate_per_s == 0, "offline sources are not paced by default"
