"""Pickups through the real easypost SDK: rates, buying once, cancelling, listing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import easypost
import pytest
from easypost.errors import FilteringError, InvalidRequestError

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

from .conftest import FROM, shipment_params
from .test_simulator_batches import KEY, settled


def label(client: easypost.EasyPostClient) -> Any:
    return client.shipment.create(**shipment_params(carrier="USPS", service="Priority"))


def window(shipment: Any, days_ahead: int = 30) -> dict[str, str]:
    """A pickup window days ahead of the simulated clock (read off the label's own date)."""
    day = datetime.fromisoformat(shipment.created_at.replace("Z", "+00:00")).date()
    when = (day + timedelta(days=days_ahead)).isoformat()
    return {"min_datetime": when, "max_datetime": f"{when}T17:00:00Z"}


def pickup_params(of: Any, **overrides: Any) -> dict[str, Any]:
    """A pickup of shipment `of` (unless overridden), in a window days ahead."""
    params = {"address": dict(FROM), "shipment": of, "reference": "dock-1",
              "instructions": "Pickup at front door", "is_account_address": False,
              **window(of)}
    params.update(overrides)
    return params


def test_pickup_is_rated_bought_once_and_cancelled(
    sim: RunningSimulator, client: easypost.EasyPostClient
) -> None:
    shipment = label(client)
    params = pickup_params(shipment)
    pickup = client.pickup.create(**params)
    assert pickup.id.startswith("pickup_") and pickup.object == "Pickup"
    assert pickup.status == "unknown" and pickup.confirmation is None
    assert pickup.min_datetime == f"{params['min_datetime']}T00:00:00Z"
    assert pickup.max_datetime == params["max_datetime"]
    assert (pickup.reference, pickup.instructions) == ("dock-1", "Pickup at front door")
    assert pickup.address.street1 == FROM["street1"]
    rates = [(r.carrier, r.service, r.rate) for r in pickup.pickup_rates]
    assert rates == [("USPS", "NextDay", "0.00")]
    assert all(r.pickup_id == pickup.id and r.id.startswith("pickuprate_")
               for r in pickup.pickup_rates)
    assert pickup.lowest_rate().service == "NextDay"
    with pytest.raises(FilteringError):
        pickup.lowest_rate(carriers=["BAD CARRIER"])

    scheduled = client.pickup.buy(pickup.id, carrier="USPS", service="NextDay")
    assert scheduled.status == "scheduled"
    assert scheduled.confirmation.startswith("WTC") and len(scheduled.confirmation) == 11
    assert client.pickup.retrieve(pickup.id).confirmation == scheduled.confirmation
    with pytest.raises(InvalidRequestError) as twice:
        client.pickup.buy(pickup.id, carrier="USPS", service="NextDay")
    assert twice.value.code == "PICKUP.STATUS.INVALID"
    ledger = sim.stats()["pickups"]
    assert ledger["scheduled"] == 1 and ledger["by_pickup"] == {pickup.id: 1}

    canceled = client.pickup.cancel(pickup.id)
    assert canceled.status == "canceled"
    with pytest.raises(InvalidRequestError) as again:
        client.pickup.cancel(pickup.id)
    assert again.value.code == "PICKUP.STATUS.INVALID"
    assert sim.stats()["pickups"]["canceled"] == 1


def test_pickup_errors(client: easypost.EasyPostClient) -> None:
    shipment = label(client)
    with pytest.raises(InvalidRequestError) as no_parcels:
        client.pickup.create(**pickup_params(shipment, shipment=None))
    assert no_parcels.value.code == "PICKUP.REQUEST.INVALID"
    with pytest.raises(InvalidRequestError) as no_start:
        client.pickup.create(**pickup_params(shipment, min_datetime=None))
    assert no_start.value.code == "PICKUP.MIN_DATETIME.REQUIRED"
    with pytest.raises(InvalidRequestError) as no_end:
        client.pickup.create(**pickup_params(shipment, max_datetime=None))
    assert no_end.value.code == "PICKUP.MAX_DATETIME.REQUIRED"
    with pytest.raises(InvalidRequestError) as no_address:
        client.pickup.create(**pickup_params(shipment, address=None))
    assert no_address.value.code == "PICKUP.ADDRESS.REQUIRED"

    pickup = client.pickup.create(**pickup_params(shipment))
    with pytest.raises(InvalidRequestError) as unscheduled:
        client.pickup.cancel(pickup.id)
    assert unscheduled.value.code == "PICKUP.CANCEL.FAILED"
    with pytest.raises(InvalidRequestError) as no_such_rate:
        client.pickup.buy(pickup.id, carrier="USPS", service="SameDay")
    assert no_such_rate.value.code == "PICKUP.BUY.NO_MATCHING_RATES"
    with pytest.raises(InvalidRequestError) as no_service:
        client.pickup.buy(pickup.id, carrier="USPS")
    assert no_service.value.code == "PICKUP.SERVICE.REQUIRED"

    # A window already past gets no rates, as on EasyPost, and so cannot be bought.
    past = client.pickup.create(**pickup_params(shipment, **window(shipment, -30)))
    assert past.pickup_rates == []
    with pytest.raises(InvalidRequestError) as nothing:
        client.pickup.buy(past.id, carrier="USPS", service="NextDay")
    assert nothing.value.code == "PICKUP.BUY.NO_MATCHING_RATES"


def test_pickup_for_a_batch(client: easypost.EasyPostClient) -> None:
    batch = client.batch.create(shipments=[shipment_params(), shipment_params()])
    settled(client, batch.id, "created")
    with pytest.raises(InvalidRequestError) as unbought:
        client.pickup.create(**pickup_params(label(client), shipment=None, batch=batch))
    assert unbought.value.code == "PICKUP.BATCH.INVALID"
    client.batch.buy(batch.id)
    batch = settled(client, batch.id, "purchased")
    carrier = client.shipment.retrieve(batch.shipments[0].id).selected_rate.carrier
    pickup = client.pickup.create(**pickup_params(label(client), shipment=None, batch=batch))
    assert {r.carrier for r in pickup.pickup_rates} == {carrier}


def test_pickups_are_listed_in_pages(client: easypost.EasyPostClient) -> None:
    shipment = label(client)
    made = [client.pickup.create(**pickup_params(shipment)).id for _ in range(3)]
    first = client.pickup.all(page_size=2)
    assert [p.id for p in first["pickups"]] == made[:0:-1] and first["has_more"] is True
    rest = client.pickup.get_next_page(first, page_size=2)
    assert [p.id for p in rest["pickups"]] == [made[0]]


def test_two_simulators_schedule_a_pickup_once(tmp_path: Path) -> None:
    state = tmp_path / "sim.sqlite"
    with running_simulator(SimulatorConfig(state_path=state)) as a, \
            running_simulator(SimulatorConfig(state_path=state)) as b:
        clients = [easypost.EasyPostClient(KEY, api_base=s.api_base) for s in (a, b)]
        pickup = clients[0].pickup.create(**pickup_params(label(clients[0])))

        def buy(i: int) -> str:
            try:
                clients[i % 2].pickup.buy(pickup.id, carrier="USPS", service="NextDay")
                return "scheduled"
            except InvalidRequestError as exc:
                assert exc.code == "PICKUP.STATUS.INVALID"
                return "refused"

        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(buy, range(6)))
        assert outcomes.count("scheduled") == 1
        assert clients[1].pickup.retrieve(pickup.id).status == "scheduled"
        ledger = b.stats()["pickups"]
        assert ledger["scheduled"] == 1 and ledger["max_per_pickup"] == 1
