"""Carrier accounts through the real SDK: which carriers exist, and which ones rate a shipment."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import easypost
import pytest
from easypost.errors import InvalidRequestError, NotFoundError
from typer.testing import CliRunner

from shipctl.simulator import SimulatorConfig, running_simulator
from shipctl.simulator.config import parse_carriers

from .conftest import TO, carrier_accounts, shipment_params

ALL = ("USPS", "UPS", "FedEx")


@pytest.fixture
def full() -> Iterator[easypost.EasyPostClient]:
    """A simulator whose account has USPS, UPS and FedEx."""
    with running_simulator(SimulatorConfig(carriers=ALL)) as sim:
        yield easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)


def test_a_new_test_account_has_usps_only(client: easypost.EasyPostClient) -> None:
    [usps] = carrier_accounts(client)
    assert usps.id == "ca_b25657e9896e4d63ac8151ac346ac41e"  # the SDK test suite's
    assert (usps.object, usps.type, usps.readable) == ("CarrierAccount", "UspsAccount", "USPS")
    assert usps.description == "USPS Account" and usps.billing_type == "easypost"
    assert usps.credentials.to_dict() == {} and usps.reference is None
    assert client.carrier_account.retrieve(usps.id).id == usps.id
    shipment = client.shipment.create(**shipment_params())
    assert {r.carrier for r in shipment.rates} == {"USPS"}
    assert {r.carrier_account_id for r in shipment.rates} == {usps.id}


def test_configured_accounts(full: easypost.EasyPostClient) -> None:
    accounts = carrier_accounts(full)
    assert [(a.readable, a.type) for a in accounts] == [
        ("USPS", "UspsAccount"), ("UPS", "UpsAccount"), ("FedEx", "FedexAccount")]
    assert all(a.id.startswith("ca_") and len(a.id) == 35 for a in accounts)
    shipment = full.shipment.create(**shipment_params())
    assert len(shipment.rates) == 9
    by_carrier = {a.readable: a.id for a in accounts}
    assert all(r.carrier_account_id == by_carrier[r.carrier] for r in shipment.rates)


def test_rates_come_only_from_the_shipments_carrier_accounts(
    full: easypost.EasyPostClient,
) -> None:
    ups = next(a for a in carrier_accounts(full) if a.readable == "UPS")
    shipment = full.shipment.create(**shipment_params(carrier_accounts=[ups.id]))
    assert {r.carrier for r in shipment.rates} == {"UPS"} and len(shipment.rates) == 3
    as_objects = full.shipment.create(**shipment_params(carrier_accounts=[{"id": ups.id}]))
    assert {r.carrier for r in as_objects.rates} == {"UPS"}
    # An id that is none of the account's rates nothing.
    unknown = full.shipment.create(**shipment_params(carrier_accounts=["ca_" + "0" * 32]))
    assert unknown.rates == []


def test_ups_and_fedex_charge_more_to_a_home(full: easypost.EasyPostClient) -> None:
    def rates(residential: bool | None) -> dict[str, Decimal]:
        to = {**TO, "residential": residential} if residential is not None else dict(TO)
        shipment = full.shipment.create(**shipment_params(to_address=to))
        assert shipment.to_address.residential is residential
        return {f"{r.carrier} {r.service}": Decimal(r.rate) for r in shipment.rates}

    home, business, unknown = rates(True), rates(False), rates(None)
    assert business == unknown  # as a carrier rates an address it was not told about
    extra = {name: home[name] - business[name] for name in home}
    assert extra == {
        "USPS GroundAdvantage": 0, "USPS Priority": 0, "USPS Express": 0,
        "UPS Ground": Decimal("5.55"), "UPS 2ndDayAir": Decimal("6.10"),
        "UPS NextDayAir": Decimal("6.10"), "FedEx FEDEX_GROUND": Decimal("5.45"),
        "FedEx FEDEX_2_DAY": Decimal("5.95"), "FedEx STANDARD_OVERNIGHT": Decimal("5.95")}


def test_an_account_without_ups_cannot_rate_with_it(client: easypost.EasyPostClient) -> None:
    # The UPS account id of a simulator that has one; this account has none.
    with running_simulator(SimulatorConfig(carriers=ALL)) as other:
        ups = next(a.id for a in carrier_accounts(easypost.EasyPostClient(
            "EZTK_simulated", api_base=other.api_base)) if a.readable == "UPS")
    shipment = client.shipment.create(**shipment_params(carrier_accounts=[ups]))
    assert shipment.rates == []
    with pytest.raises(NotFoundError):
        client.carrier_account.retrieve(ups)


def test_a_carrier_that_cannot_rate_answers_in_messages(full: easypost.EasyPostClient) -> None:
    shipment = full.shipment.create(**shipment_params(parcel={"weight": 100 * 16}))
    assert {r.carrier for r in shipment.rates} == {"UPS", "FedEx"}
    [message] = shipment.messages
    assert message.to_dict() == {
        "carrier": "USPS", "carrier_account_id": "ca_b25657e9896e4d63ac8151ac346ac41e",
        "type": "rate_error", "message": "USPS: parcel weight exceeds 70 lb maximum."}


def test_two_accounts_of_one_carrier_each_rate_and_form_apart() -> None:
    """`USPS,USPS`: two USPS accounts, as an EasyPost account may hold. Each rates the
    shipment with its own account id; a label goes on a form only with its account's."""
    with running_simulator(SimulatorConfig(carriers=("USPS", "USPS"))) as sim:
        client = easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)
        first, second = carrier_accounts(client)
        assert first.id == "ca_b25657e9896e4d63ac8151ac346ac41e"
        assert second.id.startswith("ca_") and second.id != first.id
        assert (first.description, second.description) == ("USPS Account", "USPS Account 2")
        assert second.readable == "USPS" and client.carrier_account.retrieve(second.id).id \
            == second.id
        both = client.shipment.create(**shipment_params())
        assert len(both.rates) == 6  # three services from each account
        assert {(r.carrier_account_id, r.service) for r in both.rates} == {
            (a.id, s) for a in (first, second) for s in ("GroundAdvantage", "Priority",
                                                         "Express")}
        labels = [client.shipment.create(**shipment_params(
            carrier_accounts=[account.id], service="Priority")) for account in (first, second)]
        assert [label.selected_rate.carrier_account_id for label in labels] == [first.id,
                                                                             second.id]
        with pytest.raises(InvalidRequestError) as mixed:
            client.scan_form.create(shipments=labels)
        assert mixed.value.code == "SCAN_FORM.BATCH.MULTIPLE_CARRIERS"
        assert first.id in mixed.value.message and second.id in mixed.value.message
        forms = [client.scan_form.create(shipments=[label]) for label in labels]
        assert len({form.id for form in forms}) == 2


def test_carrier_names_parse() -> None:
    assert parse_carriers("usps, fedex,UPS") == ("USPS", "FedEx", "UPS")
    assert parse_carriers("USPS,usps") == ("USPS", "USPS")  # two USPS accounts
    with pytest.raises(ValueError, match="unknown carrier 'DHL'"):
        parse_carriers("USPS,DHL")
    with pytest.raises(ValueError, match="at least one"):
        parse_carriers("")


def test_the_config_checks_and_normalises_its_values() -> None:
    assert SimulatorConfig(carriers=("ups", "usps")).carriers == ("UPS", "USPS")
    for bad in ({"carriers": ("DHL",)}, {"refund_reject_rate": 1.5}, {"refund_days": -1.0},
                {"delivery_dates": "sometimes"}):
        with pytest.raises(ValueError):
            SimulatorConfig(**bad)


def test_serve_rejects_an_unknown_carrier() -> None:
    from shipctl.cli.main import app

    result = CliRunner().invoke(app, ["simulator", "serve", "--carriers", "USPS,DHL"])
    assert result.exit_code == 2
    assert "unknown carrier 'DHL'" in result.output
