"""Shipments across a border, customs objects and parcels, through the real SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import easypost
import pytest
import requests
from easypost.errors import InvalidRequestError, NotFoundError

from shipctl.simulator import SimulatorConfig, running_simulator

from .conftest import FROM, PARCEL, error_detail, shipment_params

TORONTO = {"name": "Ann Tremblay", "street1": "100 Queen St W", "city": "Toronto",
           "state": "ON", "zip": "M5H 2N2", "country": "CA", "phone": "4165550100"}
SYDNEY = {"name": "Bo Lee", "street1": "1 Macquarie St", "city": "Sydney", "state": "NSW",
          "zip": "2000", "country": "AU", "phone": "0255550100"}
# The official SDK test suite's basic customs item and info (test_customs_info_create.yaml).
ITEM = {"description": "Sweet shirts", "quantity": 2, "weight": 11, "value": 23.25,
        "hs_tariff_number": "654321", "origin_country": "US"}
INFO = {"eel_pfc": "NOEEI 30.37(a)", "customs_certify": True, "customs_signer": "Steve Brule",
        "contents_type": "merchandise", "contents_explanation": "", "restriction_type": "none",
        "non_delivery_option": "return", "customs_items": [ITEM]}
USPS_INTERNATIONAL = {"FirstClassPackageInternationalService", "PriorityMailInternational",
                      "ExpressMailInternational"}


@pytest.fixture
def full() -> Iterator[easypost.EasyPostClient]:
    with running_simulator(SimulatorConfig(carriers=("USPS", "UPS", "FedEx"))) as sim:
        yield easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)


def abroad(to: dict[str, Any] = TORONTO, **overrides: Any) -> dict[str, Any]:
    return shipment_params(to_address=dict(to), **overrides)


def test_without_customs_rates_say_so_and_the_buy_is_refused(
    full: easypost.EasyPostClient,
) -> None:
    shipment = full.shipment.create(**abroad())
    assert shipment.customs_info is None
    # USPS rates the parcel's international services; UPS and FedEx need the contents.
    assert {r.service for r in shipment.rates} == USPS_INTERNATIONAL
    assert {(m.carrier, m.type) for m in shipment.messages} == {
        ("UPS", "rate_error"), ("FedEx", "rate_error")}
    assert all("'customs_info' is required for international shipments" in m.message
               for m in shipment.messages)
    with pytest.raises(InvalidRequestError) as error:
        full.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert error.value.http_status == 422
    assert error.value.code == "SHIPMENT.POSTAGE.FAILURE"
    assert "'customs_info' is required" in error.value.message
    assert full.shipment.retrieve(shipment.id).postage_label is None


def test_with_customs_international_services_only(full: easypost.EasyPostClient) -> None:
    shipment = full.shipment.create(**abroad(customs_info=INFO))
    assert shipment.messages == []
    services = {(r.carrier, r.service) for r in shipment.rates}
    assert services == {
        ("USPS", "FirstClassPackageInternationalService"), ("USPS", "PriorityMailInternational"),
        ("USPS", "ExpressMailInternational"), ("UPS", "UPSStandard"), ("UPS", "Expedited"),
        ("UPS", "UPSSaver"), ("FedEx", "INTERNATIONAL_ECONOMY"),
        ("FedEx", "INTERNATIONAL_PRIORITY"),
    }
    info = shipment.customs_info
    assert info.id.startswith("cstinfo_") and info.customs_signer == "Steve Brule"
    [item] = info.customs_items
    assert item.id.startswith("cstitem_") and (item.value, item.weight) == ("23.25", 11.0)


def test_priced_by_zone_and_weight(full: easypost.EasyPostClient) -> None:
    def priority(to: dict[str, Any], weight: float) -> float:
        shipment = full.shipment.create(**abroad(to, customs_info=INFO,
                                                 parcel={**PARCEL, "weight": weight}))
        return float(next(r.rate for r in shipment.rates
                          if r.service == "PriorityMailInternational"))

    assert priority(SYDNEY, 16) > priority(TORONTO, 16)
    assert priority(TORONTO, 80) > priority(TORONTO, 16)
    # First-Class Package International takes 4 lb at most; UPS Standard goes to CA/MX only.
    heavy = full.shipment.create(**abroad(customs_info=INFO, parcel={**PARCEL, "weight": 80}))
    assert "FirstClassPackageInternationalService" not in {r.service for r in heavy.rates}
    far = full.shipment.create(**abroad(SYDNEY, customs_info=INFO))
    assert "UPSStandard" not in {r.service for r in far.rates}


@pytest.mark.parametrize(("carrier", "form_type", "title"), [
    ("USPS", "cn22", b"CN 22"), ("UPS", "commercial_invoice", b"COMMERCIAL INVOICE"),
])
def test_the_bought_label_has_its_customs_form(
    full: easypost.EasyPostClient, carrier: str, form_type: str, title: bytes,
) -> None:
    shipment = full.shipment.create(**abroad(customs_info=INFO))
    bought = full.shipment.buy(shipment.id, rate=shipment.lowest_rate([carrier]))
    [form] = bought.forms
    assert form.object == "Form" and form.id.startswith("form_")
    assert form.form_type == form_type and form.submitted_electronically is None
    pdf = requests.get(form.form_url, timeout=10)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert title in pdf.content and b"Sweet shirts" in pdf.content
    assert full.shipment.retrieve(shipment.id).forms[0].form_url == form.form_url


def test_domestic_labels_have_no_forms(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params())
    assert client.shipment.buy(shipment.id, rate=shipment.lowest_rate()).forms == []


def test_customs_objects_by_id(client: easypost.EasyPostClient) -> None:
    item = client.customs_item.create(**ITEM)
    assert item.to_dict().keys() >= {"id", "object", "description", "hs_tariff_number",
                                      "origin_country", "quantity", "value", "weight", "code",
                                      "mode", "manufacturer", "currency", "eccn",
                                      "printed_commodity_identifier"}
    assert (item.object, item.value, item.weight, item.quantity) == ("CustomsItem", "23.25",
                                                                       11.0, 2)
    assert client.customs_item.retrieve(item.id).description == "Sweet shirts"
    info = client.customs_info.create(**{**INFO, "customs_items": [{"id": item.id}]})
    assert info.object == "CustomsInfo" and info.customs_items[0].id == item.id
    assert info.declaration is None and info.restriction_comments is None
    assert client.customs_info.retrieve(info.id).customs_items[0].id == item.id
    shipment = client.shipment.create(**abroad(customs_info={"id": info.id}))
    assert shipment.customs_info.id == info.id
    assert {r.service for r in shipment.rates} == USPS_INTERNATIONAL
    bought = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
    assert bought.forms[0].form_type == "cn22"


def test_customs_items_inline_on_the_shipment(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**abroad(customs_items=[ITEM]))
    assert shipment.customs_info.customs_items[0].description == "Sweet shirts"
    assert client.shipment.buy(shipment.id, rate=shipment.lowest_rate()).forms


def test_bad_customs_are_refused(client: easypost.EasyPostClient) -> None:
    with pytest.raises(InvalidRequestError) as error:
        client.customs_item.create(description="Shirt", quantity=1, weight=3)
    assert error_detail(error.value) == "value"
    with pytest.raises(InvalidRequestError) as error:
        client.customs_info.create(**{**INFO, "contents_type": "other"})
    assert error_detail(error.value) == "customs_info.contents_explanation"
    with pytest.raises(NotFoundError):
        client.customs_info.retrieve("cstinfo_" + "0" * 32)
    with pytest.raises(NotFoundError):
        client.shipment.create(**abroad(customs_info={"id": "cstinfo_" + "0" * 32}))


def test_parcels(client: easypost.EasyPostClient) -> None:
    parcel = client.parcel.create(**PARCEL)
    assert parcel.id.startswith("prcl_") and parcel.object == "Parcel"
    assert (parcel.length, parcel.width, parcel.height, parcel.weight) == (10.0, 8.0, 4.0, 15.4)
    assert parcel.predefined_package is None and parcel.mode == "test"
    assert client.parcel.retrieve(parcel.id).to_dict() == parcel.to_dict()
    shipment = client.shipment.create(from_address=dict(FROM), to_address=dict(TORONTO),
                                      parcel={"id": parcel.id}, customs_info=INFO)
    assert shipment.parcel.id == parcel.id
    with pytest.raises(InvalidRequestError) as error:
        client.parcel.create(length=1)
    assert error_detail(error.value) == "parcel.weight"
    with pytest.raises(NotFoundError):
        client.parcel.retrieve("prcl_" + "0" * 32)


def test_territories_and_military_post(client: easypost.EasyPostClient) -> None:
    # Puerto Rico is domestic mail: domestic services, no customs needed.
    san_juan = {"name": "Ana", "street1": "1 Calle Luna", "city": "San Juan", "state": "PR",
                "zip": "00901", "country": "PR"}
    shipment = client.shipment.create(**abroad(san_juan))
    assert "GroundAdvantage" in {r.service for r in shipment.rates}
    assert client.shipment.buy(shipment.id, rate=shipment.lowest_rate()).forms == []
    # An APO address is in the US, but its label needs a customs declaration.
    apo = {"name": "Sgt Lee", "street1": "Unit 2050 Box 4190", "city": "APO", "state": "AP",
           "zip": "96278", "country": "US"}
    without = client.shipment.create(**abroad(apo))
    with pytest.raises(InvalidRequestError) as error:
        client.shipment.buy(without.id, rate=without.lowest_rate())
    assert "'customs_info' is required" in error.value.message
    declared = client.shipment.create(**abroad(apo, customs_info=INFO))
    assert client.shipment.buy(declared.id, rate=declared.lowest_rate()).forms[0].form_type \
        == "cn22"
