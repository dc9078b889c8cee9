"""Round trips through the real easypost SDK for addresses, shipments, labels and refunds."""

from __future__ import annotations

import base64
import time

import easypost
import pytest
import requests
from easypost.errors import (
    InvalidRequestError,
    NotFoundError,
    PaymentError,
    UnauthorizedError,
)

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

from .conftest import FROM, TO, error_detail, shipment_params


def test_address_create_and_verify(client: easypost.EasyPostClient) -> None:
    plain = client.address.create(**FROM)
    assert plain.id.startswith("adr_") and len(plain.id) == 36
    assert plain.verifications.to_dict() == {}
    verified = client.address.create(verify=True, **TO)
    assert verified.verifications.delivery.success is True
    assert verified.zip.startswith("90277-")
    checked = client.address.verify(plain.id)
    # As the real API: the secondary line folded into street1, a new Address.
    assert (checked.street1, checked.street2) == ("388 TOWNSEND ST APT 20", "")
    assert checked.id != plain.id
    assert client.address.retrieve(plain.id).street2 == "Apt 20"


def test_addresses_are_listed_newest_first_in_pages(client: easypost.EasyPostClient) -> None:
    made = [client.address.create(**{**TO, "name": f"Name {i}"}).id for i in range(3)]
    shipment = client.shipment.create(**shipment_params())
    first = client.address.all(page_size=2)
    # The shipment's own addresses are listed too, the newest first.
    assert [a.id for a in first["addresses"]] == [shipment.from_address.id,
                                               shipment.to_address.id]
    assert first["has_more"] is True
    rest = client.address.get_next_page(addresses=first, page_size=100)
    assert [a.id for a in rest["addresses"]] == made[::-1] and rest["has_more"] is False


def test_tax_identifiers_are_kept_with_the_number_hidden(
    client: easypost.EasyPostClient,
) -> None:
    given = {"entity": "SENDER", "tax_id": "GB123456789", "tax_id_type": "EORI",
             "issuing_country": "GB"}
    shipment = client.shipment.create(**shipment_params(), tax_identifiers=[given])
    expected = [{**given, "tax_id": "HIDDEN"}]
    assert shipment.to_dict()["tax_identifiers"] == expected
    assert client.shipment.retrieve(shipment.id).to_dict()["tax_identifiers"] == expected
    assert "tax_identifiers" not in client.shipment.create(**shipment_params()).to_dict()
    with pytest.raises(easypost.errors.ApiError) as error:
        client.shipment.create(**shipment_params(), tax_identifiers=[{"entity": "SENDER"}])
    assert error.value.http_status == 422


@pytest.mark.parametrize("bad", [{"zip": "00000"}, {"street1": "1 UNDELIVERABLE Way"},
                                 {"street1": "invalid"}])
def test_unverifiable_address(client: easypost.EasyPostClient, bad: dict[str, str]) -> None:
    fields = {**TO, **bad}
    soft = client.address.create(verify=True, **fields)
    assert soft.verifications.delivery.success is False
    with pytest.raises(InvalidRequestError) as strict:
        client.address.create(verify_strict=True, **fields)
    assert strict.value.code == "ADDRESS.VERIFY.FAILURE"
    assert error_detail(strict.value, "code") == "E.ADDRESS.NOT_FOUND"
    with pytest.raises(InvalidRequestError):
        client.address.verify(soft.id)


def test_create_shipment_rates(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params(reference="order-1"))
    assert shipment.id.startswith("shp_") and shipment.reference == "order-1"
    services = {(r.carrier, r.service) for r in shipment.rates}
    # A new test account's only carrier, as the default simulator's.
    assert services == {("USPS", "GroundAdvantage"), ("USPS", "Priority"), ("USPS", "Express")}
    for rate in shipment.rates:
        assert isinstance(rate.rate, str) and float(rate.rate) > 0
        assert float(rate.list_rate) >= float(rate.rate)
        assert rate.delivery_days >= 1 and rate.carrier_account_id.startswith("ca_")
        assert rate.delivery_date is None  # as the real API's recordings
    assert 1 <= shipment.usps_zone <= 8
    again = client.shipment.create(**shipment_params())
    assert [r.rate for r in again.rates] == [r.rate for r in shipment.rates]  # deterministic


def test_rates_grow_with_weight_and_distance(client: easypost.EasyPostClient) -> None:
    def ground(**overrides: object) -> float:
        shipment = client.shipment.create(**shipment_params(**overrides))
        return float(next(r.rate for r in shipment.rates if r.service == "GroundAdvantage"))

    near = ground()
    heavy = ground(parcel={"weight": 160})
    far = ground(to_address={**TO, "zip": "02139", "city": "Cambridge", "state": "MA"})
    assert heavy > near and far > near


def test_heavy_parcel_gets_rate_errors() -> None:
    with running_simulator(SimulatorConfig(carriers=("USPS", "UPS", "FedEx"))) as sim:
        client = easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)
        shipment = client.shipment.create(**shipment_params(parcel={"weight": 80 * 16}))
        assert {r.carrier for r in shipment.rates} == {"UPS", "FedEx"}
        assert shipment.messages[0].carrier == "USPS"
        assert shipment.messages[0].type == "rate_error"
        too_heavy = client.shipment.create(**shipment_params(parcel={"weight": 200 * 16}))
        assert too_heavy.rates == [] and len(too_heavy.messages) == 3


@pytest.mark.parametrize(("change", "field"), [
    ({"parcel": {"length": 1}}, "parcel.weight"),
    ({"parcel": {"weight": 0}}, "parcel.weight"),
    ({"to_address": {**TO, "zip": None}}, "to_address.zip"),
    ({"to_address": {**TO, "country": "XX"}}, "to_address.country"),
])
def test_invalid_shipment(client: easypost.EasyPostClient, change: dict[str, object],
                          field: str) -> None:
    with pytest.raises(InvalidRequestError) as error:
        client.shipment.create(**shipment_params(**change))
    assert (error.value.code or "").startswith("PARAMETER.")
    assert error_detail(error.value) == field


def test_buy_label_convert_and_download(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params(reference="order-2"))
    rate = shipment.lowest_rate(carriers=["USPS"])
    bought = client.shipment.buy(shipment.id, rate=rate)
    assert bought.selected_rate.id == rate.id
    assert bought.tracking_code and bought.tracker.tracking_code == bought.tracking_code
    label = bought.postage_label
    assert label.id.startswith("pl_") and label.label_size == "4x6"
    assert label.label_file_type == "image/png"
    assert [f.type for f in bought.fees] == ["LabelFee", "PostageFee"]
    assert bought.fees[1].amount == f"{float(rate.rate):.5f}"
    png = requests.get(label.label_url, timeout=10)
    assert png.content.startswith(b"\x89PNG")
    converted = client.shipment.label(shipment.id, file_format="ZPL")
    zpl = requests.get(converted.postage_label.label_zpl_url, timeout=10).text
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert f"^BCN,200,Y,N,N^FD{bought.tracking_code}^FS" in zpl
    assert "SIMULATED — NOT VALID POSTAGE" in zpl
    pdf_url = client.shipment.label(shipment.id, file_format="PDF").postage_label.label_pdf_url
    pdf = requests.get(pdf_url, timeout=10).content
    assert pdf.startswith(b"%PDF")
    with pytest.raises(InvalidRequestError) as again:
        client.shipment.buy(shipment.id, rate=rate)
    assert again.value.code == "SHIPMENT.POSTAGE.EXISTS"


def test_label_pdf_is_4x6_with_the_warning(client: easypost.EasyPostClient) -> None:
    import io

    from pypdf import PdfReader

    shipment = client.shipment.create(**shipment_params(options={"label_format": "PDF"}))
    bought = client.shipment.buy(shipment.id, rate=shipment.rates[0])
    reader = PdfReader(io.BytesIO(requests.get(bought.postage_label.label_url, timeout=10).content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (288, 432)
    assert "NOT VALID POSTAGE" in reader.pages[0].extract_text()


def test_one_call_buy(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params(service="Priority", carrier="USPS"))
    assert shipment.postage_label is not None
    assert shipment.selected_rate.service == "Priority"


def test_retrieve_by_id_and_reference_and_list(
    client: easypost.EasyPostClient, sim: RunningSimulator
) -> None:
    created = [client.shipment.create(**shipment_params(reference=f"ref-{i}")) for i in range(5)]
    client.shipment.buy(created[0].id, rate=created[0].rates[0])
    assert client.shipment.retrieve(created[1].id).id == created[1].id
    assert client.shipment.retrieve("ref-3").id == created[3].id
    first = client.shipment.all(page_size=2)
    assert [s.id for s in first["shipments"]] == [created[4].id, created[3].id]
    assert first["has_more"] is True
    second = client.shipment.get_next_page(first, page_size=2)
    assert [s.id for s in second["shipments"]] == [created[2].id, created[1].id]
    bought = client.shipment.all(purchased=True)
    assert [s.id for s in bought["shipments"]] == [created[0].id] and bought["has_more"] is False
    with pytest.raises(InvalidRequestError):
        client.shipment.all(page_size=101)


def test_refund(client: easypost.EasyPostClient) -> None:
    shipment = client.shipment.create(**shipment_params())
    with pytest.raises(InvalidRequestError):
        client.shipment.refund(shipment.id)
    client.shipment.buy(shipment.id, rate=shipment.rates[0])
    assert client.shipment.refund(shipment.id).refund_status == "submitted"
    deadline = time.monotonic() + 5
    while client.shipment.retrieve(shipment.id).refund_status != "refunded":
        assert time.monotonic() < deadline, "refund never completed on the simulated clock"
        time.sleep(0.2)


def test_not_found_and_unknown_route(
    client: easypost.EasyPostClient, sim: RunningSimulator
) -> None:
    with pytest.raises(NotFoundError):
        client.shipment.retrieve("shp_" + "0" * 32)
    with pytest.raises(NotFoundError):
        client.tracker.retrieve("trk_" + "0" * 32)
    response = requests.get(sim.api_base + "/nothing/here",
                            headers={"Authorization": "Bearer EZTK-test"},
                            timeout=5)
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"


def test_auth(sim: RunningSimulator) -> None:
    with pytest.raises(UnauthorizedError):
        easypost.EasyPostClient("", api_base=sim.api_base).shipment.create(**shipment_params())
    bare = requests.post(sim.api_base + "/shipments", json={}, timeout=5)
    assert bare.status_code == 401 and bare.json()["error"]["code"] == "APIKEY.REQUIRED"
    basic = base64.b64encode(b"EZTK_key:").decode()
    ok = requests.get(sim.api_base + "/shipments", headers={"Authorization": f"Basic {basic}"},
                      timeout=5)
    assert ok.status_code == 200
    assert requests.get(sim.api_base.removesuffix("/v2") + "/_sim/stats", timeout=5).ok


def test_balance_runs_out() -> None:
    with running_simulator(SimulatorConfig(balance=10.0)) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        first = client.shipment.create(**shipment_params())
        cheapest = min(first.rates, key=lambda r: float(r.rate))
        client.shipment.buy(first.id, rate=cheapest)
        second = client.shipment.create(**shipment_params())
        with pytest.raises(PaymentError):
            client.shipment.buy(second.id, rate=max(second.rates, key=lambda r: float(r.rate)))
        stats = sim.stats()
        assert stats["purchases"]["total"] == 1
        assert float(stats["balance"]) == pytest.approx(10.0 - float(cheapest.rate))


def test_ledger_counts_double_purchase_of_a_reference(
    client: easypost.EasyPostClient, sim: RunningSimulator
) -> None:
    for _ in range(2):
        shipment = client.shipment.create(**shipment_params(reference="dup"))
        client.shipment.buy(shipment.id, rate=shipment.rates[0])
    stats = sim.stats()
    assert stats["purchases"]["by_reference"]["dup"] == 2
    assert stats["purchases"]["max_per_reference"] == 2
    assert stats["requests"]["POST /v2/shipments/{id}/buy"]["200"] == 2
    sim.reset()
    assert sim.stats()["purchases"]["total"] == 0
