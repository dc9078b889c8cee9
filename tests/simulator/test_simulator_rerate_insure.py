"""shipment.regenerate_rates, shipment.insure, rate.retrieve and tracker.retrieve_batch
through the real easypost SDK."""

from __future__ import annotations

from pathlib import Path

import easypost
import pytest
from easypost.errors import InvalidRequestError, NotFoundError
from easypost.models import Tracker

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

from .conftest import shipment_params
from .test_simulator_batches import KEY


def test_regenerated_rates_replace_the_old_ones(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params())
    answer = client.shipment.regenerate_rates(shipment.id)
    fresh = answer["rates"]
    old_ids = {r.id for r in shipment.rates}
    assert {r.id for r in fresh}.isdisjoint(old_ids)
    assert [(r.carrier, r.service, r.rate) for r in fresh] == [
        (r.carrier, r.service, r.rate) for r in shipment.rates]
    assert all(r.shipment_id == shipment.id and r.object == "Rate" for r in fresh)
    assert [r.id for r in client.shipment.retrieve(shipment.id).rates] == [r.id for r in fresh]

    with pytest.raises(InvalidRequestError):
        client.shipment.buy(shipment.id, rate=shipment.rates[0])  # an old rate is gone
    bought = client.shipment.buy(shipment.id, rate=fresh[0])
    assert bought.selected_rate.id == fresh[0].id


def test_rate_retrieve(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params())
    for rate in shipment.rates:
        assert client.rate.retrieve(rate.id).to_dict() == rate.to_dict()
    with pytest.raises(NotFoundError):
        client.rate.retrieve("rate_" + "0" * 32)
    with pytest.raises(NotFoundError):
        client.rate.retrieve("nonsense")
    # Once bought and rerated, the bought rate can still be read.
    bought = client.shipment.buy(shipment.id, rate=shipment.rates[1])
    client.shipment.regenerate_rates(shipment.id)
    assert client.rate.retrieve(bought.selected_rate.id).id == bought.selected_rate.id


def test_insure_a_bought_shipment_once(sim: RunningSimulator,
                                       client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params(carrier="USPS", service="Priority",
                                                        insurance=0))
    assert shipment.insurance is None
    insured = client.shipment.insure(shipment.id, amount="100")
    assert insured.insurance == "100.00"
    fee = next(f for f in insured.fees if f.type == "InsuranceFee")
    assert (fee.amount, fee.charged, fee.refunded) == ("1.00000", True, False)
    assert client.shipment.retrieve(shipment.id).insurance == "100.00"
    with pytest.raises(InvalidRequestError) as twice:
        client.shipment.insure(shipment.id, amount="50")
    assert twice.value.code == "SHIPMENT.INSURANCE.ALREADY_PURCHASED"
    assert sim.stats()["insurance"] == {"total": 1, "amount": "100", "fees": "1.00"}


def test_insurance_bought_with_the_label_costs_the_same(sim: RunningSimulator,
                                                       client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params())
    bought = client.shipment.buy(shipment.id, rate=shipment.lowest_rate(), insurance="250")
    assert bought.insurance == "250.00"
    fee = next(f for f in bought.fees if f.type == "InsuranceFee")
    assert fee.amount == "2.50000"
    assert sim.stats()["insurance"] == {"total": 1, "amount": "250", "fees": "2.50"}
    other = client.shipment.create(**shipment_params())
    with pytest.raises(InvalidRequestError):
        client.shipment.buy(other.id, rate=other.lowest_rate(), insurance="lots")


@pytest.mark.parametrize(("amount", "code"), [
    (None, "INSURANCE.AMOUNT.REQUIRED"),
    ("0", "INSURANCE.AMOUNT.BELOW_MINIMUM"),
    ("5000.01", "INSURANCE.AMOUNT.ABOVE_MAXIMUM"),
    ("lots", "INSURANCE.PARAMETERS.INVALID"),
])
def test_insure_refuses_bad_amounts(client: easypost.EasyPostClient, amount: str | None,
                                    code: str) -> None:
    shipment = client.shipment.create(**shipment_params(carrier="USPS", service="Priority"))
    params = {} if amount is None else {"amount": amount}
    with pytest.raises(InvalidRequestError) as refused:
        client.shipment.insure(shipment.id, **params)
    assert refused.value.code == code


def test_insure_needs_postage(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params())
    with pytest.raises(InvalidRequestError) as unbought:
        client.shipment.insure(shipment.id, amount="100")
    assert unbought.value.code == "SHIPMENT.POSTAGE.REQUIRED"


def test_tracker_retrieve_batch(client: easypost.EasyPostClient) -> None:
    labels = [client.shipment.create(**shipment_params(carrier="USPS", service="Priority"))
              for _ in range(2)]
    test_code = client.tracker.create(tracking_code="EZ1000000001")
    codes = [s.tracking_code for s in labels] + [test_code.tracking_code, "NOT-A-CODE"]
    answer = client.tracker.retrieve_batch(tracking_codes=codes)
    trackers = answer["trackers"]
    assert answer["has_more"] is False
    assert [t.tracking_code for t in trackers] == codes[:3]
    assert all(isinstance(t, Tracker) for t in trackers)
    assert trackers[0].shipment_id == labels[0].id
    assert client.tracker.retrieve_batch(tracking_codes=codes, carrier="UPS")["trackers"] == []
    with pytest.raises(InvalidRequestError):
        client.tracker.retrieve_batch(tracking_codes=[])


def test_a_rerate_on_one_simulator_is_seen_by_another(tmp_path: Path) -> None:
    state = tmp_path / "sim.sqlite"
    with running_simulator(SimulatorConfig(state_path=state)) as a, \
            running_simulator(SimulatorConfig(state_path=state)) as b:
        client_a, client_b = (easypost.EasyPostClient(KEY, api_base=s.api_base)
                              for s in (a, b))
        shipment = client_a.shipment.create(**shipment_params())
        fresh = client_b.shipment.regenerate_rates(shipment.id)["rates"]
        # `a` made the shipment and remembers its rates; it must answer with the new ones.
        assert [r.id for r in client_a.shipment.retrieve(shipment.id).rates] == [
            r.id for r in fresh]
        bought = client_a.shipment.buy(shipment.id, rate=fresh[0])
        assert [r.id for r in bought.rates] == [r.id for r in fresh]
        assert client_b.rate.retrieve(fresh[2].id).service == fresh[2].service
