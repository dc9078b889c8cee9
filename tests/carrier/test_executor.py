"""The executor and safe buy against the simulator, with faults and a rate limit."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable

import pytest
from requests.adapters import HTTPAdapter

from shipctl import eventloop
from shipctl.carrier import refunds, shipments
from shipctl.carrier.client import make_client, pool_size, request_json
from shipctl.carrier.errors import (
    CarrierConnectionError,
    CarrierInputError,
    CarrierServerError,
    CarrierTimeout,
    CarrierTransientError,
    RateLimited,
)
from shipctl.carrier.executor import CarrierExecutor, ExecutorStats
from shipctl.carrier.pacing import queued
from shipctl.carrier.rates import choose_rate
from shipctl.errors import CarrierAuthError, ExitCode
from shipctl.models import PurchasedLabel, RateRule
from shipctl.simulator import RunningSimulator

from .simulated import FROM, TO, executor_for, order

Simulator = Callable[..., RunningSimulator]


async def ship_all(executor: CarrierExecutor, count: int, prefix: str) -> list[PurchasedLabel]:
    async def ship(i: int) -> PurchasedLabel:
        quoted = await shipments.create_shipment(executor, order(f"{prefix}-{i}"), FROM)
        return await shipments.buy(executor, quoted.shipment_id, choose_rate(quoted, RateRule()))

    return list(await asyncio.gather(*(ship(i) for i in range(count))))


def assert_bought_once_each(sim: RunningSimulator, labels: list[PurchasedLabel]) -> None:
    purchases = sim.stats()["purchases"]
    assert purchases["total"] == len(labels)
    assert set(purchases["by_shipment"]) == {label.shipment_id for label in labels}
    assert set(purchases["by_shipment"].values()) == {1}
    assert set(purchases["by_reference"].values()) == {1}
    assert len({label.tracking_code for label in labels}) == len(labels)


def test_client_pool_is_sized_to_the_concurrency_and_never_retries(simulator: Simulator) -> None:
    sim = simulator()
    client = make_client("EZTK-test", api_base=sim.api_base, timeout=5, concurrency=48)
    adapter = client._requests_session.get_adapter(sim.api_base)
    assert isinstance(adapter, HTTPAdapter)
    assert pool_size(client) == 48
    assert adapter.max_retries.total == 0


async def test_calls_queue_for_a_thread_but_never_more_than_concurrency_run_at_once(
    simulator: Simulator,
) -> None:
    sim = simulator()
    running, most, lock = [0], [0], threading.Lock()

    def call(_client: object) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    async with executor_for(sim, concurrency=16) as executor:
        executor.pace.open_window(executor.pace.limit)
        calls = [asyncio.ensure_future(executor.call(call)) for _ in range(64)]
        await asyncio.sleep(0.01)
        window = executor.stats.in_flight
        await asyncio.gather(*calls)
    # The window holds the queued calls too, but the threads bound what runs at once.
    assert window == executor.stats.max_window == 16 + queued(16)
    assert most[0] == 16


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "count", "fault_rate"),
    [("500", 24, 0.3), ("503", 24, 0.3), ("drop", 24, 0.3), ("lost_response", 24, 0.5),
     ("timeout", 6, 0.25)],
)
async def test_every_label_is_bought_exactly_once_despite_faults(
    simulator: Simulator, kind: str, count: int, fault_rate: float
) -> None:
    sim = simulator(fault_rate=fault_rate, fault_kinds=(kind,), seed=7, timeout_delay=2.0)
    timeout = 1.0 if kind == "timeout" else 10.0
    async with executor_for(sim, 8, timeout=timeout) as executor:
        labels = await ship_all(executor, count, kind)
    retries = executor.stats.retries
    stats = sim.stats()
    assert stats["faults"].get(kind, 0) > 0, stats["faults"]
    assert retries > 0 or kind == "lost_response"
    assert len(labels) == count
    assert_bought_once_each(sim, labels)


@pytest.mark.slow
async def test_a_rate_limited_run_rides_the_simulators_token_bucket(
    simulator: Simulator,
) -> None:
    """End to end, briefly: the real SDK against the simulator's real bucket, in real time."""
    # A limit a loaded 2-core machine still reaches, so the bucket is really what stops it.
    limit, pairs = 20.0, 60
    sim = simulator(rate_limit=limit, latency=0.05, jitter=0.2, seed=5)
    async with executor_for(sim, 32) as executor:
        started = time.monotonic()
        labels = await ship_all(executor, pairs, "limited")
        seconds = time.monotonic() - started
    stats = executor.stats
    print(f"\nrate-limited run: {seconds:.1f} s, {stats}")  # for the record (-s)
    assert len(labels) == pairs
    assert stats.failures == 0
    # At most the first round trip's calls (the starting window of 16) meet the empty
    # bucket; after that the pace keeps 429s under 5 % of the calls.
    assert 0 < stats.rate_limited <= stats.min_window + 0.05 * stats.attempts
    assert stats.pace is not None and stats.limit_estimate is not None
    assert 0.5 * limit < stats.limit_estimate < 1.3 * limit
    assert_bought_once_each(sim, labels)


class FakeClock:
    """A clock that only moves when the code under test sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.mark.parametrize(("max_elapsed", "attempts"), [(150.0, 2), (450.0, 5)])
async def test_429s_are_retried_after_retry_after_until_max_elapsed_on_the_executors_clock(
    simulator: Simulator, max_elapsed: float, attempts: int
) -> None:
    # One request per 100 s: the first call takes the burst, then Retry-After says 100.
    sim = simulator(rate_limit=0.01)
    clock = FakeClock()
    async with executor_for(
        sim, 2, clock=clock, sleep=clock.sleep, max_elapsed=max_elapsed
    ) as executor:
        await shipments.create_shipment(executor, order("R1"), FROM)
        with pytest.raises(RateLimited):
            await shipments.create_shipment(executor, order("R2"), FROM)
        before = clock.now
        await executor.sleep(7.0)  # callers' own pauses run on the same clock
        assert clock.now == before + 7.0
    stats = executor.stats
    assert (stats.attempts - 1, stats.rate_limited, stats.failures) == (attempts, attempts, 1)
    retries = [s for s in clock.slept if s >= 100.0]
    assert len(retries) == attempts - 1 and all(s <= 100.05 + 0.25 for s in retries)
    assert clock.now - 7.0 <= max_elapsed


def test_building_an_executor_leaves_the_switch_interval_alone(simulator: Simulator) -> None:
    sim = simulator()
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        executor_for(sim, 2)
        assert sys.getswitchinterval() == 0.005
        eventloop.favour_the_loop()
        assert sys.getswitchinterval() == eventloop.SWITCH_INTERVAL
    finally:
        sys.setswitchinterval(before)


async def test_server_errors_that_persist_end_in_a_carrier_error(simulator: Simulator) -> None:
    sim = simulator(fault_rate=1.0, fault_kinds=("503",))
    async with executor_for(sim, 2, max_attempts=3) as executor:
        with pytest.raises(CarrierServerError) as raised:
            await shipments.create_shipment(executor, order("R1"), FROM)
        assert raised.value.code == "SERVICE_UNAVAILABLE"
        assert "503" in raised.value.message
    stats = executor.stats
    assert (stats.attempts, stats.retries, stats.server_errors, stats.failures) == (3, 2, 3, 1)


async def test_a_refused_key_is_a_configuration_error(simulator: Simulator) -> None:
    sim = simulator()  # the simulator accepts any non-empty key, so an empty one is refused
    with pytest.raises(CarrierAuthError) as raised:
        async with executor_for(sim, 2, api_key="") as executor:
            await shipments.create_shipment(executor, order("R1"), FROM)
    assert raised.value.exit_code == ExitCode.CONFIGURATION
    assert "EasyPost rejected the API key" in raised.value.message


async def test_invalid_params_come_back_as_input_errors_with_field_messages(
    simulator: Simulator,
) -> None:
    sim = simulator()
    nowhere = TO.model_copy(update={"country": "ZZ", "state": None})
    with pytest.raises(CarrierInputError) as raised:
        async with executor_for(sim, 2) as executor:
            await shipments.create_shipment(executor, order("R1", to=nowhere), FROM)
    assert raised.value.code == "PARAMETER.INVALID"
    assert raised.value.exit_code == ExitCode.BAD_INPUT
    assert "to_address.country: is not a valid country code" in raised.value.message


async def test_buying_a_bought_shipment_returns_its_label_without_a_second_purchase(
    simulator: Simulator,
) -> None:
    sim = simulator()
    async with executor_for(sim, 2) as executor:
        quoted = await shipments.create_shipment(executor, order("R1"), FROM)
        rate = choose_rate(quoted, RateRule())
        first = await shipments.buy(executor, quoted.shipment_id, rate)
        second = await shipments.buy(executor, quoted.shipment_id, rate)
    assert first.tracking_code == second.tracking_code
    assert_bought_once_each(sim, [first])


async def test_retrieve_refund_and_convert(simulator: Simulator) -> None:
    sim = simulator()
    async with executor_for(sim, 2) as executor:
        quoted = await shipments.create_shipment(
            executor, order("R1"), FROM, label_format="PDF"
        )
        assert await shipments.retrieve(executor, quoted.shipment_id) == quoted
        label = await shipments.buy(executor, quoted.shipment_id, quoted.rates[0])
        assert label.label_format == "PDF" and label.mode == "simulated"
        assert await shipments.retrieve(executor, quoted.shipment_id) == label
        zpl = await shipments.convert_label(executor, quoted.shipment_id, "zpl")
        assert zpl.endswith(".zpl")
        refund = await refunds.request_refund(executor, quoted.shipment_id)
        assert (refund.refund_status, refund.tracking_code) == (
            "submitted", label.tracking_code)
        # EasyPost refuses a second refund (422); the label's refund status answers it.
        again = await refunds.request_refund(executor, quoted.shipment_id)
        assert again.refund_status == "submitted"
        assert sim.stats()["requests"]["POST /v2/shipments/{id}/refund"] == {"200": 1, "422": 1}


async def test_the_api_key_never_appears_in_an_error_or_its_traceback(
    simulator: Simulator,
) -> None:
    import traceback

    sim = simulator(fault_rate=1.0, fault_kinds=("drop",))
    key = "EZAKsecret0123456789"
    with pytest.raises(CarrierConnectionError) as raised:
        async with executor_for(sim, 2, api_key=key, max_attempts=2) as executor:
            await shipments.create_shipment(executor, order("R1"), FROM)
    shown = "".join(traceback.format_exception(raised.value))
    assert "EasyPost unreachable (the connection failed)" in shown
    assert key not in shown and key not in repr(raised.value.__cause__)


@pytest.mark.parametrize(("fault", "error_class", "counter"), [
    ("500", CarrierServerError, "server_errors"),
    ("503", CarrierServerError, "server_errors"),
    ("drop", CarrierConnectionError, "connection_errors"),
    ("timeout", CarrierTimeout, "timeouts"),
])
def test_each_unanswered_call_is_counted_and_raised_as_its_class(
    simulator: Simulator, fault: str, error_class: type[CarrierTransientError], counter: str
) -> None:
    """Retried when idempotent; sent once only when it may have taken effect (a buy)."""
    sim = simulator(fault_rate=1.0, fault_kinds=(fault,), timeout_delay=1.0)

    async def run(idempotent: bool) -> ExecutorStats:
        async with executor_for(sim, 2, timeout=0.3, max_attempts=2) as executor:
            with pytest.raises(error_class) as raised:
                await executor.call(
                    lambda client: request_json(client, "GET", "/shipments/shp_1"),
                    name="retrieve shipment", idempotent=idempotent,
                )
            assert raised.value.may_have_taken_effect
            assert raised.value.message.startswith("retrieve shipment: ")
            return executor.stats

    retried, once = asyncio.run(run(True)), asyncio.run(run(False))
    assert (retried.attempts, retried.retries, getattr(retried, counter)) == (2, 1, 2)
    assert (once.attempts, once.retries, getattr(once, counter)) == (1, 0, 1)
    assert retried.failures == once.failures == 1
