"""Fault injection and rate limiting, seen through the real SDK's exceptions."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import easypost
import pytest
import requests
from easypost.errors import (
    HttpError,
    InternalServerError,
    RateLimitError,
    ServiceUnavailableError,
    TimeoutError,
)

from shipctl.simulator import SimulatorConfig, running_simulator

from .conftest import shipment_params


@pytest.mark.parametrize(("kind", "error"), [
    ("500", InternalServerError), ("503", ServiceUnavailableError), ("drop", HttpError),
])
def test_fault_kinds(kind: str, error: type[Exception]) -> None:
    with running_simulator(SimulatorConfig(fault_rate=1.0, fault_kinds=(kind,), seed=1)) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        with pytest.raises(error):
            client.shipment.create(**shipment_params())
        stats = sim.stats()  # never faulted itself
        assert stats["faults"] == {kind: 1}
        assert requests.get(sim.api_base.removesuffix("/v2") + "/_sim/stats", timeout=5).ok


def test_timeout_fault_outlasts_the_client() -> None:
    config = SimulatorConfig(fault_rate=1.0, fault_kinds=("timeout",), timeout_delay=3.0)
    with running_simulator(config) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base, timeout=1)
        with pytest.raises(TimeoutError):  # the answer would have come after 3 s
            client.shipment.create(**shipment_params())
    # Leaving the block must not wait out the sleeping request.


def test_lost_buy_response_still_buys() -> None:
    with running_simulator(SimulatorConfig(seed=3)) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        shipment = client.shipment.create(**shipment_params(reference="order-lost"))
        sim.set_faults(fault_rate=1.0, kinds=["lost_response"])
        with pytest.raises(HttpError):
            client.shipment.buy(shipment.id, rate=shipment.rates[0])
        sim.set_faults(fault_rate=0.0)
        stats = sim.stats()
        assert stats["purchases"]["by_shipment"] == {shipment.id: 1}
        assert stats["purchases"]["by_reference"] == {"order-lost": 1}
        assert stats["faults"] == {"lost_response": 1}
        assert client.shipment.retrieve(shipment.id).postage_label is not None


def test_lost_response_only_hits_buys() -> None:
    config = SimulatorConfig(fault_rate=1.0, fault_kinds=("lost_response",))
    with running_simulator(config) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        assert client.shipment.create(**shipment_params()).id  # not a buy: no fault applies


def test_fault_rate_is_seeded() -> None:
    def run() -> list[str]:
        config = SimulatorConfig(fault_rate=0.5, fault_kinds=("500", "503"), seed=42)
        outcomes = []
        with running_simulator(config) as sim:
            client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
            for _ in range(20):
                try:
                    client.shipment.create(**shipment_params())
                    outcomes.append("ok")
                except (InternalServerError, ServiceUnavailableError) as exc:
                    outcomes.append(str(exc.http_status))
        return outcomes

    first = run()
    assert first == run()
    assert 3 < first.count("ok") < 17


def test_rate_limit_under_load() -> None:
    with running_simulator(SimulatorConfig(rate_limit=20.0)) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)

        def create(_: int) -> str:
            try:
                client.shipment.create(**shipment_params())
                return "ok"
            except RateLimitError as exc:
                assert exc.http_status == 429
                return "429"

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(create, range(60)))
        assert outcomes.count("429") > 0 and outcomes.count("ok") >= 4
        raw = None
        for _ in range(40):
            raw = requests.post(sim.api_base + "/shipments", json={"shipment": shipment_params()},
                                headers={"Authorization": "Bearer EZTK-test"}, timeout=5)
            if raw.status_code == 429:
                break
        assert raw is not None and raw.status_code == 429
        assert int(raw.headers["Retry-After"]) >= 1
        assert sim.stats()["rate_limited"] >= outcomes.count("429")


def test_latency_is_applied() -> None:
    with running_simulator(SimulatorConfig(latency=0.2, jitter=0.1, seed=5)) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        started = time.monotonic()
        client.shipment.create(**shipment_params())
        assert time.monotonic() - started >= 0.12
