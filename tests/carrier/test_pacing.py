"""The pacer and the rate controller on a virtual clock: minutes of pacing in milliseconds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from shipctl.carrier.pacing import (
    BACKOFF,
    HOLD_AFTER,
    MIN_GAP,
    MIN_PAIR,
    SLOW_START,
    Clock,
    Pacer,
    PaceState,
    RateController,
)
from shipctl.carrier.tracking import IndexPacer

from . import virtual_time
from .account_model import bulk_run


def starts(make: Callable[[Clock], Pacer], count: int) -> list[float]:
    """When each of `count` tasks, all asking at once, is let through."""

    async def run() -> list[float]:
        loop = asyncio.get_running_loop()
        pacer = make(loop.time)
        times: list[float] = []

        async def one() -> None:
            await pacer.wait()
            times.append(loop.time())

        await asyncio.gather(*(one() for _ in range(count)))
        return times

    return virtual_time.run(run())


def test_a_pacer_spaces_starts_evenly_and_unpaced_starts_at_once() -> None:
    times = starts(lambda clock: IndexPacer(clock=clock), 11)  # 5 requests/s on index endpoints
    assert times == pytest.approx([i * 0.2 for i in range(11)])
    assert starts(lambda clock: Pacer(None, clock=clock), 5) == [0.0] * 5


def test_lowering_the_rate_slows_the_calls_already_waiting() -> None:
    async def run() -> list[float]:
        loop = asyncio.get_running_loop()
        pacer = Pacer(10.0, clock=loop.time)
        times: list[float] = []

        async def one() -> None:
            await pacer.wait()
            times.append(loop.time())

        tasks = [asyncio.create_task(one()) for _ in range(6)]
        await asyncio.sleep(0.25)  # three have started, at 0.0, 0.1 and 0.2
        pacer.rate = 2.0
        await asyncio.gather(*tasks)
        return times

    times = virtual_time.run(run())
    # The one already asleep keeps its slot (0.3); the rest are half a second apart.
    assert times == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.8, 1.3])


def test_a_long_retry_after_holds_every_start() -> None:
    async def run() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        controller = RateController(8, clock=loop.time)
        for _ in range(20):  # 20/s get through, then a 429 says: come back in 30 s
            await asyncio.sleep(0.05)
            controller.on_success()
        refused_at = loop.time()
        controller.on_rate_limited(controller.epoch, retry_after=30.0)
        await controller.acquire()
        first = loop.time() - refused_at
        controller.release()
        controller.on_rate_limited(controller.epoch, retry_after=1.0)  # short: its call waits
        await controller.acquire()
        return first, loop.time() - refused_at - first

    held, next_start = virtual_time.run(run())
    assert HOLD_AFTER <= 30.0
    assert held == pytest.approx(30.0)
    assert next_start == pytest.approx(1 / (BACKOFF * 20.0))


def test_slow_start_doubles_the_window_per_round_of_successes_and_nothing_is_paced() -> None:
    controller = RateController(64)
    assert (controller.size, controller.rate) == (SLOW_START, None)
    sizes = []
    for _ in range(opening(64)):
        controller.on_success()
        sizes.append(controller.size)
    window, seen = SLOW_START, 0
    while window < 64:  # each round of `window` successes doubles it
        seen += window
        assert sizes[seen - 2: seen] == [window, 2 * window]
        window *= 2
    assert (controller.size, controller.rate) == (64, None)


def opening(limit: int) -> int:
    """Successes slow start takes to open the window from SLOW_START to `limit`."""
    window, successes = SLOW_START, 0
    while window < limit:
        successes += window
        window *= 2
    return successes


def test_the_429s_of_one_round_cut_the_pace_once() -> None:
    now = [0.0]
    controller = RateController(64, clock=lambda: now[0])
    for _ in range(40):  # 40 calls get through in the first 2 s ...
        now[0] += 0.05
        controller.on_success()
    epoch = controller.epoch
    for _ in range(20):  # ... then every call in flight comes back 429
        controller.on_rate_limited(epoch)
    assert controller.epoch == epoch + 1
    assert controller.estimate == pytest.approx(20.0)
    assert controller.rate == pytest.approx(BACKOFF * 20.0)
    assert controller.size == 64  # the pace governs now; the window only bounds


def test_the_limit_is_measured_between_two_429s() -> None:
    now = [0.0]
    controller = RateController(64, clock=lambda: now[0])
    for _ in range(10):  # a burst: 10 calls in 0.1 s, more than the limit ...
        now[0] += 0.01
        controller.on_success()
    controller.on_rate_limited(controller.epoch)  # ... so the first estimate is too high
    assert controller.estimate == pytest.approx(10 / 0.25)
    for _ in range(30):  # then the bucket lets 30 through in 1.5 s: 20/s
        now[0] += 0.05
        controller.on_success()
    controller.on_rate_limited(controller.epoch)
    assert controller.estimate == pytest.approx(20.0)
    assert controller.rate == pytest.approx(18.0)


def test_two_429s_close_together_do_not_measure_the_limit() -> None:
    """Over a short gap the few successes counted between two 429s are a poor measure (one
    or two still on their way halve it): a pair closer than MIN_PAIR only ever lowers the
    pace, by the recent success rate, as a first 429 does."""
    now = [0.0]
    controller = RateController(64, clock=lambda: now[0])
    virtual_time.run(controller.acquire())  # the run starts at 0
    controller.release()
    for _ in range(60):  # 20/s for 3 s
        now[0] += 0.05
        controller.on_success()
    controller.on_rate_limited(controller.epoch)
    assert controller.rate == pytest.approx(BACKOFF * 20.0)
    gap = (MIN_GAP + MIN_PAIR) / 2  # long enough for a recent success rate, not for a pair
    for _ in range(5):  # five counted in the gap: 8/s, if it were a measure
        now[0] += gap / 5
        controller.on_success()
    controller.on_rate_limited(controller.epoch)
    assert not controller.measured
    assert controller.rate is not None and controller.rate > BACKOFF * 15.0


def test_with_nothing_getting_through_the_pace_halves_down_to_one_call_per_retry_after() -> None:
    now = [0.0]
    controller = RateController(8, clock=lambda: now[0])
    rates = []
    for _ in range(12):
        now[0] += 1.0
        controller.on_rate_limited(controller.epoch, retry_after=2.0)
        rates.append(controller.rate)
    assert rates[:3] == pytest.approx([0.5, 0.5, 0.5])  # 8 in flight over 3 s, halved, floored
    assert rates[-1] == pytest.approx(0.5)  # never stops: one start per Retry-After


def test_the_pace_regains_the_estimate_quickly_then_probes_slowly_while_it_binds() -> None:
    async def run() -> list[float | None]:
        loop = asyncio.get_running_loop()
        controller = RateController(64, clock=loop.time)
        seen: list[float | None] = []
        controller.on_rate_limited(controller.epoch)
        for _ in range(20):  # 20/s for a second between two 429s: the limit, measured
            await asyncio.sleep(0.05)
            controller.on_success()
        controller.on_rate_limited(controller.epoch)
        assert controller.measured
        seen.append(controller.rate)  # 18/s

        async def call() -> None:
            await controller.acquire()
            await asyncio.sleep(0.1)
            controller.release()
            controller.on_success()

        async def demand(seconds: float) -> None:  # more calls than the pace allows
            end = loop.time() + seconds
            while loop.time() < end:
                await asyncio.gather(*(call() for _ in range(40)))

        await demand(1.5)
        seen.append(controller.rate)  # back at the estimate, 20/s, and a little above
        await demand(5.0)
        seen.append(controller.rate)  # ~2 % a second above it
        await asyncio.sleep(10.0)
        for _ in range(5):  # successes while nothing waits on the pace change nothing
            await call()
        seen.append(controller.rate)
        return seen

    cut, regained, probed, idle = virtual_time.run(run())
    assert regained is not None and probed is not None
    assert cut == pytest.approx(18.0)
    assert 20.0 <= regained < 21.0
    assert 21.5 < probed < 23.5
    assert idle == probed


def test_the_window_bounds_calls_in_flight() -> None:
    async def run() -> int:
        controller = RateController(3, slow_start=1)
        peak = 0

        async def call() -> None:
            nonlocal peak
            await controller.acquire()
            peak = max(peak, controller.in_flight)
            await asyncio.sleep(0.01)
            controller.release()
            controller.on_success()

        await asyncio.gather(*(call() for _ in range(20)))
        assert controller.in_flight == 0
        return peak

    assert virtual_time.run(run()) == 3


def test_a_cancelled_wait_gives_its_slot_back() -> None:
    async def run() -> int:
        controller = RateController(1, slow_start=1)
        await controller.acquire()
        waiting = asyncio.create_task(controller.acquire())
        await asyncio.sleep(0)
        waiting.cancel()
        controller.release()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return controller.in_flight

    assert virtual_time.run(run()) == 0


@pytest.mark.parametrize(("limit", "orders"), [(20.0, 300), (50.0, 750), (100.0, 1500)])
@pytest.mark.parametrize("handling", [0.0, 0.03])
def test_a_bulk_run_rides_the_accounts_limit(limit: float, orders: int, handling: float) -> None:
    """64 in flight at 100 ms against a token bucket (the simulator's, burst limit/5); a
    success answered as fast as a 429, or 30 ms later."""
    outcome, controller = virtual_time.run(
        bulk_run(limit, orders=orders, concurrency=64, handling=handling))
    assert outcome.calls - outcome.refused == 2 * orders
    assert outcome.accepted_rate >= 0.95 * limit
    assert outcome.refused_share <= 0.05
    assert controller.estimate == pytest.approx(limit, rel=0.1)


def test_without_a_limit_in_reach_the_run_is_never_paced() -> None:
    outcome, controller = virtual_time.run(
        bulk_run(1e9, orders=600, concurrency=32, jitter=0.0)
    )
    ideal = 600 * 2 * 0.1 / 32
    assert (outcome.refused, controller.rate, controller.size) == (0, None, 32)
    assert outcome.seconds <= 1.05 * ideal  # slow start costs a round trip or two


def test_the_first_estimate_counts_the_successes_of_its_round_still_on_their_way() -> None:
    """A 429 is answered before the successes of its round (nothing to compute): those that
    land after the cut raise the first estimate instead of leaving it at a few calls/s."""
    now = [0.0]
    controller = RateController(64, clock=lambda: now[0])
    epoch = controller.epoch
    now[0] = 0.1
    for _ in range(10):  # the first round: 10 calls refused at once ...
        controller.on_rate_limited(epoch)
    first = controller.rate
    for _ in range(6):  # ... then its 6 successes land
        now[0] += 0.01
        controller.on_success(epoch)
    assert first is not None and first < 1.0  # nothing had got through yet: a floor
    assert controller.estimate == pytest.approx(6 / 0.31)
    assert controller.rate == pytest.approx(BACKOFF * 6 / 0.31)
    later = controller.epoch
    for _ in range(5):  # successes of calls started after the cut are no stragglers
        now[0] += 0.01
        controller.on_success(later)
    assert controller.estimate == pytest.approx(6 / 0.31)


def test_a_share_starts_the_measure_afresh() -> None:
    now = [0.0]
    controller = RateController(64, clock=lambda: now[0])
    for _ in range(60):  # 20/s alone for 3 s, then a 429
        now[0] += 0.05
        controller.on_success()
    before = controller.epoch
    controller.on_rate_limited(before)
    controller.share(10.0)  # another worker arrived: half of it
    assert (controller.rate, controller.estimate) == (10.0, 10.0)
    for _ in range(3):
        now[0] += 0.1
        controller.on_success()
    controller.on_rate_limited(before)  # a call started before the share: no cut
    assert controller.rate == 10.0
    # Right after the share, its own success rate means little yet: the share is the measure
    # (what it counted before the share, alone, is not its part of the new split).
    controller.on_rate_limited(controller.epoch)
    assert controller.rate == pytest.approx(BACKOFF * 10.0)
    assert controller.estimate == 10.0


def test_with_workers_sharing_the_account_a_429_cuts_this_workers_part_deeper() -> None:
    """Whoever gets the 429 cuts the account's pace by a tenth: its own part by that times the
    workers, since the others got none; it regains its estimate as fast as one worker."""

    async def run() -> tuple[float | None, float | None]:
        loop = asyncio.get_running_loop()
        controller = RateController(64, clock=loop.time)
        controller.workers = 2
        controller.on_rate_limited(controller.epoch)
        for _ in range(20):  # its part: 10/s between two 429s, far enough apart to measure
            await asyncio.sleep(0.1)
            controller.on_success()
        controller.on_rate_limited(controller.epoch)
        cut = controller.rate

        async def call() -> None:
            await controller.acquire()
            await asyncio.sleep(0.1)
            controller.release()
            controller.on_success()

        end = loop.time() + 1.05
        while loop.time() < end:
            await asyncio.gather(*(call() for _ in range(20)))
        return cut, controller.rate

    cut, regained = virtual_time.run(run())
    assert cut == pytest.approx((1 - 2 * (1 - BACKOFF)) * 10.0)
    assert regained is not None and regained >= 10.0


def test_a_held_controller_starts_nothing_until_resumed() -> None:
    async def run() -> tuple[int, float]:
        loop = asyncio.get_running_loop()
        controller = RateController(8, clock=loop.time)
        controller.hold()
        waiting = asyncio.create_task(controller.acquire())
        await asyncio.sleep(2.0)
        started_while_held = controller.in_flight
        controller.resume()
        await waiting
        return started_while_held, loop.time()

    assert virtual_time.run(run()) == (0, 2.0)


def test_the_controller_says_whether_it_probes_is_out_of_reach_or_is_paced() -> None:
    now = [0.0]
    controller = RateController(32, clock=lambda: now[0])
    assert controller.state is PaceState.PROBING
    for _ in range(opening(32) + 2 * 32 - 1):  # slow start opens the window, then two full windows
        controller.on_success()
    assert controller.state is PaceState.PROBING
    controller.on_success()
    assert controller.state is PaceState.OPEN  # no 429 at full window: the limit is far
    controller.on_rate_limited(controller.epoch)
    assert controller.state is PaceState.PACED


def test_calls_under_way_and_how_long_none_has_been() -> None:
    now = [0.0]
    controller = RateController(8, clock=lambda: now[0])
    assert controller.quiet_for() == 0.0  # before the first call: not quiet, about to start
    controller.call_started()
    controller.call_started()
    controller.call_ended()
    now[0] = 5.0
    assert controller.quiet_for() == 0.0
    controller.call_ended()
    now[0] = 5.5
    assert controller.quiet_for() == pytest.approx(0.5)
