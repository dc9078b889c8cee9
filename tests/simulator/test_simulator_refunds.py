"""Refunds through the real SDK: submitted first, then refunded, rejected or not_applicable;
a second refund refused; refund.create by tracking codes, refund.all and refund.retrieve."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import easypost
import pytest
from easypost.errors import InvalidRequestError, NotFoundError

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

from .conftest import shipment_params

# One simulated day per real minute: a label stays pre_transit (unscanned) for some 20 s,
# and a refund is answered `refund_days` (0.01 day, 0.6 s) after it was asked for.
SLOW: dict[str, Any] = {"seed": 3, "days_per_minute": 1.0, "refund_days": 0.01}


@pytest.fixture
def refunding() -> Iterator[Callable[..., easypost.EasyPostClient]]:
    running: list[Any] = []

    def start(**config: Any) -> easypost.EasyPostClient:
        manager = running_simulator(SimulatorConfig(**{**SLOW, **config}))
        sim: RunningSimulator = manager.__enter__()
        running.append(manager)
        return easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)

    yield start
    for manager in running:
        manager.__exit__(None, None, None)


def bought(client: easypost.EasyPostClient) -> Any:
    shipment = client.shipment.create(**shipment_params())
    rate = next(r for r in shipment.rates if r.service == "GroundAdvantage")
    return client.shipment.buy(shipment.id, rate=rate)


def settle(client: easypost.EasyPostClient, shipment_id: str, timeout: float = 10.0) -> Any:
    """The shipment once its refund is no longer `submitted`."""
    deadline = time.monotonic() + timeout
    while True:
        shipment = client.shipment.retrieve(shipment_id)
        if shipment.refund_status != "submitted" or time.monotonic() > deadline:
            return shipment
        time.sleep(0.1)


def test_refund_is_submitted_then_refunded(refunding: Callable[..., Any]) -> None:
    client = refunding()
    label = bought(client)
    assert label.refund_status is None
    asked = client.shipment.refund(label.id)
    assert asked.refund_status == "submitted"
    assert all(not fee.refunded for fee in asked.fees)
    done = settle(client, label.id)
    assert done.refund_status == "refunded"
    assert all(fee.refunded for fee in done.fees)


def test_rejected_share_is_configurable(refunding: Callable[..., Any]) -> None:
    client = refunding(refund_reject_rate=1.0)
    label = bought(client)
    assert client.shipment.refund(label.id).refund_status == "submitted"
    done = settle(client, label.id)
    assert done.refund_status == "rejected"
    assert all(not fee.refunded for fee in done.fees)
    # A rejected refund may be asked for again, as EasyPost's docs allow.
    assert client.shipment.refund(label.id).refund_status == "submitted"
    refunds = client.refund.all(page_size=10)["refunds"]
    assert [r.shipment_id for r in refunds] == [label.id, label.id]


def test_half_rejected_is_roughly_half() -> None:
    with running_simulator(SimulatorConfig(**{**SLOW, "refund_days": 0.0},
                                           refund_reject_rate=0.5)) as sim:
        client = easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)
        statuses = []
        for _ in range(24):
            label = bought(client)
            client.shipment.refund(label.id)
            statuses.append(client.shipment.retrieve(label.id).refund_status)
    assert set(statuses) == {"refunded", "rejected"}
    assert 4 <= statuses.count("rejected") <= 20


def test_scanned_label_is_not_applicable() -> None:
    # A day per real second: the label is accepted at the origin facility (scanned) after
    # 0.35 s; the refund is answered 0.1 s after it was asked for.
    with running_simulator(SimulatorConfig(seed=3, days_per_minute=60.0,
                                           refund_days=0.1)) as sim:
        client = easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)
        label = bought(client)
        deadline = time.monotonic() + 10
        while client.tracker.retrieve(label.tracker.id).status == "pre_transit":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.shipment.refund(label.id).refund_status == "submitted"
        assert settle(client, label.id).refund_status == "not_applicable"
        with pytest.raises(InvalidRequestError) as error:
            client.shipment.refund(label.id)
        assert error.value.http_status == 422
        assert "not_applicable" in error.value.message


def test_second_refund_is_refused_with_422(refunding: Callable[..., Any]) -> None:
    client = refunding()
    label = bought(client)
    client.shipment.refund(label.id)
    with pytest.raises(InvalidRequestError) as error:
        client.shipment.refund(label.id)
    assert error.value.http_status == 422
    assert error.value.code == "SHIPMENT.REFUND.UNAVAILABLE"
    assert "already requested" in error.value.message
    settle(client, label.id)
    with pytest.raises(InvalidRequestError):  # and once refunded, too
        client.shipment.refund(label.id)
    with pytest.raises(InvalidRequestError):  # by tracking code as well
        client.refund.create(carrier="USPS", tracking_codes=[label.tracking_code])
    assert len(client.refund.all()["refunds"]) == 1


def test_unbought_shipment_cannot_be_refunded(refunding: Callable[..., Any]) -> None:
    client = refunding()
    shipment = client.shipment.create(**shipment_params())
    with pytest.raises(InvalidRequestError) as error:
        client.shipment.refund(shipment.id)
    assert "not been purchased" in error.value.message


def test_refund_create_by_tracking_codes(refunding: Callable[..., Any]) -> None:
    client = refunding()
    first, second = bought(client), bought(client)
    made = client.refund.create(carrier="USPS",
                                tracking_codes=[first.tracking_code, second.tracking_code])
    assert [r.shipment_id for r in made] == [first.id, second.id]
    for refund in made:
        assert refund.id.startswith("rfnd_") and refund.object == "Refund"
        assert refund.status == "submitted" and refund.carrier == "USPS"
        assert refund.confirmation_number is None
        assert set(refund.to_dict()) == {
            "id", "object", "created_at", "updated_at", "tracking_code",
            "confirmation_number", "status", "carrier", "shipment_id"}
    assert made[0].tracking_code == first.tracking_code
    assert client.shipment.retrieve(first.id).refund_status == "submitted"
    settle(client, second.id)
    again = client.refund.retrieve(made[1].id)
    assert again.status == "refunded" and again.updated_at >= again.created_at


def test_refund_create_refuses_unknown_codes_and_other_carriers(
    refunding: Callable[..., Any],
) -> None:
    client = refunding()
    label = bought(client)
    with pytest.raises(NotFoundError):
        client.refund.create(carrier="USPS", tracking_codes=[label.tracking_code, "9400NOPE"])
    with pytest.raises(InvalidRequestError) as error:
        client.refund.create(carrier="UPS", tracking_codes=[label.tracking_code])
    assert "USPS" in error.value.message
    with pytest.raises(InvalidRequestError):
        client.refund.create(carrier="USPS")
    # Nothing was refunded by the refused requests, not even the good code of the first.
    assert client.shipment.retrieve(label.id).refund_status is None
    assert client.refund.all()["refunds"] == []


def test_refund_all_pages_and_retrieve(refunding: Callable[..., Any]) -> None:
    client = refunding()
    labels = [bought(client) for _ in range(3)]
    for label in labels:
        client.shipment.refund(label.id)
    first = client.refund.all(page_size=2)
    assert len(first["refunds"]) == 2 and first["has_more"] is True
    newest_first = [label.id for label in reversed(labels)]
    assert [r.shipment_id for r in first["refunds"]] == newest_first[:2]
    rest = client.refund.get_next_page(refunds=first, page_size=2)
    assert [r.shipment_id for r in rest["refunds"]] == newest_first[2:]
    assert rest["has_more"] is False
    got = client.refund.retrieve(first["refunds"][0].id)
    assert got.id == first["refunds"][0].id and got.tracking_code == labels[-1].tracking_code
    with pytest.raises(NotFoundError):
        client.refund.retrieve("rfnd_missing")


def test_refunds_are_in_the_ledger_and_credit_the_balance() -> None:
    config = SimulatorConfig(**{**SLOW, "refund_days": 0.0}, balance=100.0)
    with running_simulator(config) as sim:
        client = easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)
        label = bought(client)
        spent = sim.stats()["balance"]
        client.shipment.refund(label.id)
        stats = sim.stats()
    assert stats["refunds"]["total"] == 1
    assert float(stats["balance"]) == pytest.approx(float(spent) + float(label.selected_rate.rate))
