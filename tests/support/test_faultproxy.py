"""The fault proxy does what the money-safety tests rely on, seen through the real SDK."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import easypost
import pytest
import requests

from shipctl.simulator import RunningSimulator, running_simulator
from tests.support.faultproxy import FaultProxy, fault_proxy, template

KEY = "EZTK-proxy-test"
ADDRESS = {"name": "Ann Lee", "street1": "100 Main St", "city": "Portland", "state": "OR",
           "zip": "97214", "country": "US"}
WAREHOUSE = {"name": "Dock", "street1": "2200 Oak Ave", "city": "Austin", "state": "TX",
             "zip": "78701", "country": "US"}


@pytest.fixture
def pair() -> Iterator[tuple[RunningSimulator, FaultProxy]]:
    with running_simulator() as sim, fault_proxy(sim.api_base) as proxy:
        yield sim, proxy


def shipment(client: easypost.EasyPostClient) -> Any:
    return client.shipment.create(to_address=ADDRESS, from_address=WAREHOUSE,
                                  parcel={"weight": 10}, reference="P-1")


def test_lost_answer_buys_then_drops_and_stays_down_until_up(
    pair: tuple[RunningSimulator, FaultProxy]
) -> None:
    sim, proxy = pair
    client = easypost.EasyPostClient(KEY, api_base=proxy.api_base, timeout=2)
    created = shipment(client)
    proxy.lose_buy_answer(nth=1)
    with pytest.raises(easypost.errors.EasyPostError):
        client.shipment.buy(created.id, rate=created.rates[0])
    assert sim.stats()["purchases"]["by_shipment"] == {created.id: 1}
    assert proxy.lost == [created.id] and proxy.is_down
    with pytest.raises(easypost.errors.EasyPostError):
        client.shipment.retrieve(created.id)
    proxy.up()
    assert client.shipment.retrieve(created.id).postage_label is not None
    assert proxy.count("POST /v2/shipments/{id}/buy") == 1
    assert proxy.forwarded["POST /v2/shipments/{id}/buy"] == 1


def test_refused_buy_never_reaches_the_simulator_and_503_outage_ends_by_itself(
    pair: tuple[RunningSimulator, FaultProxy]
) -> None:
    sim, proxy = pair
    client = easypost.EasyPostClient(KEY, api_base=proxy.api_base, timeout=2)
    created = shipment(client)
    proxy.refuse_buy(nth=1, down_for=0.5, mode="503")
    with pytest.raises(easypost.errors.EasyPostError):
        client.shipment.buy(created.id, rate=created.rates[0])
    with pytest.raises(easypost.errors.ServiceUnavailableError):
        client.shipment.retrieve(created.id)
    time.sleep(0.6)
    assert client.shipment.retrieve(created.id).postage_label is None
    assert sim.stats()["purchases"]["total"] == 0


def test_hung_buy_lands_after_the_client_gave_up(
    pair: tuple[RunningSimulator, FaultProxy]
) -> None:
    sim, proxy = pair
    client = easypost.EasyPostClient(KEY, api_base=proxy.api_base, timeout=1)
    created = shipment(client)
    proxy.hang_buys(1.5)
    with pytest.raises(easypost.errors.EasyPostError):
        client.shipment.buy(created.id, rate=created.rates[0])
    assert sim.stats()["purchases"]["total"] == 0
    proxy.settle()
    assert sim.stats()["purchases"]["total"] == 1


def test_reject_all_and_hide_simulator(pair: tuple[RunningSimulator, FaultProxy]) -> None:
    _, proxy = pair
    stats = proxy.api_base.removesuffix("/v2") + "/_sim/stats"
    assert "purchases" in requests.get(stats, timeout=5).json()
    proxy.hide_simulator()
    assert requests.get(stats, timeout=5).status_code == 404
    proxy.reject_all(401)
    client = easypost.EasyPostClient(KEY, api_base=proxy.api_base, timeout=2)
    with pytest.raises(easypost.errors.UnauthorizedError):
        shipment(client)
    assert proxy.count("POST /v2/shipments") == 1
    assert proxy.forwarded["POST /v2/shipments"] == 0


def test_template_names_ids() -> None:
    assert template("POST", "/v2/shipments/shp_1a2B/buy") == "POST /v2/shipments/{id}/buy"
    assert template("GET", "/_sim/stats") == "GET /_sim/stats"


def test_at_request_calls_back_before_or_after_the_simulator_and_drops_the_answer(
    pair: tuple[RunningSimulator, FaultProxy]
) -> None:
    _, proxy = pair
    client = easypost.EasyPostClient(KEY, api_base=proxy.api_base, timeout=2)
    called: list[int] = []
    key = "POST /v2/shipments"
    proxy.at_request(key, nth=1, when="before", callback=lambda: called.append(1))
    with pytest.raises(easypost.errors.EasyPostError):
        shipment(client)
    assert called == [1] and proxy.forwarded[key] == 0  # never reached the simulator
    proxy.at_request(key, nth=2, when="after", callback=lambda: called.append(2))
    shipment(client)  # the first from now passes
    with pytest.raises(easypost.errors.EasyPostError):
        shipment(client)
    assert called == [1, 2] and proxy.forwarded[key] == 2  # the second took effect
    assert proxy.called_at == [f"before {key}", f"after {key}"]
    assert len(client.shipment.all(page_size=10)["shipments"]) == 2
