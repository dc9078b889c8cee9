"""Scan forms through the real easypost SDK: one form per label, one origin, one carrier."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import easypost
import pytest
import requests
from easypost.errors import InvalidRequestError
from pypdf import PdfReader

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

from .conftest import FROM, shipment_params
from .test_simulator_batches import KEY, settled, wait_for

REAL_TIME = 1 / 1440  # days per minute: a simulated second per second


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """In real time: a label bought a moment ago is still today's when it goes on a form."""
    with running_simulator(SimulatorConfig(seed=7, days_per_minute=REAL_TIME,
                                           carriers=("USPS", "UPS", "FedEx"))) as running:
        yield running


def bought(client: easypost.EasyPostClient, carrier: str = "USPS", service: str = "Priority",
           **overrides: Any) -> Any:
    return client.shipment.create(**shipment_params(carrier=carrier, service=service,
                                                    **overrides))


def pdf_text(url: str) -> str:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_scan_form_lists_its_labels(sim: RunningSimulator,
                                    client: easypost.EasyPostClient) -> None:
    labels = [bought(client), bought(client)]
    form = client.scan_form.create(shipments=labels)
    assert form.id.startswith("sf_") and form.object == "ScanForm"
    assert form.status == "created" and form.message is None
    assert form.tracking_codes == [s.tracking_code for s in labels]
    assert form.address.street1 == FROM["street1"]
    assert form.batch_id.startswith("batch_")
    text = pdf_text(form.form_url)
    assert all(s.tracking_code in text for s in labels) and form.id in text

    assert client.scan_form.retrieve(form.id).to_dict() == form.to_dict()
    assert client.shipment.retrieve(labels[0].id).scan_form.id == form.id
    # Its batch is there too, bought, listing the same shipments.
    batch = client.batch.retrieve(form.batch_id)
    assert batch.state == "purchased" and {s.id for s in batch.shipments} == {
        s.id for s in labels}
    ledger = sim.stats()["scan_forms"]
    assert ledger["total"] == 1 and ledger["labels"] == 2 and ledger["max_per_shipment"] == 1


def test_the_sdk_tests_own_shape_is_accepted(client: easypost.EasyPostClient) -> None:
    shipment = bought(client)
    form = client.scan_form.create(shipment=[shipment])  # as easypost-python's test sends it
    assert form.tracking_codes == [shipment.tracking_code]


def test_a_label_goes_on_one_form_only(sim: RunningSimulator,
                                       client: easypost.EasyPostClient) -> None:
    first, second = bought(client), bought(client)
    form = client.scan_form.create(shipments=[first])
    with pytest.raises(InvalidRequestError) as twice:
        client.scan_form.create(shipments=[second, first])
    assert twice.value.code == "SCAN_FORM.CREATE.FAILURE"
    assert first.id in twice.value.message and form.id in twice.value.message
    # Refused as a whole: the other label was not put on a form and still can be.
    assert client.shipment.retrieve(second.id).scan_form is None
    assert client.scan_form.create(shipments=[second]).tracking_codes == [second.tracking_code]
    ledger = sim.stats()["scan_forms"]
    assert ledger["total"] == 2 and ledger["max_per_shipment"] == 1


def test_labels_from_two_addresses_are_refused(client: easypost.EasyPostClient) -> None:
    here = bought(client)
    elsewhere = bought(client, from_address={**FROM, "street1": "1 Market St",
                                             "street2": None, "zip": "94105"})
    with pytest.raises(InvalidRequestError) as mixed:
        client.scan_form.create(shipments=[here, elsewhere])
    assert mixed.value.code == "SCAN_FORM.SHIPMENTS.INVALID"
    assert "same from address" in mixed.value.message
    # The same place written again (another address object) is the same origin.
    again = bought(client, from_address={**FROM, "street1": FROM["street1"].upper()})
    assert len(client.scan_form.create(shipments=[here, again]).tracking_codes) == 2


def test_labels_of_two_carriers_are_refused(client: easypost.EasyPostClient) -> None:
    usps = bought(client)
    shipment = client.shipment.create(**shipment_params())
    other = next(r for r in shipment.rates if r.carrier != "USPS")
    other_label = client.shipment.buy(shipment.id, rate=other)
    with pytest.raises(InvalidRequestError) as mixed:
        client.scan_form.create(shipments=[usps, other_label])
    assert mixed.value.code == "SCAN_FORM.BATCH.MULTIPLE_CARRIERS"


def test_refunded_unbought_and_unknown_labels_are_refused(
    client: easypost.EasyPostClient,
) -> None:
    refunded = bought(client)
    client.shipment.refund(refunded.id)
    with pytest.raises(InvalidRequestError) as refused:
        client.scan_form.create(shipments=[refunded])
    assert refused.value.code == "SCAN_FORM.SHIPMENTS.INVALID"
    assert "refunded" in refused.value.message

    unbought = client.shipment.create(**shipment_params())
    with pytest.raises(InvalidRequestError) as not_bought:
        client.scan_form.create(shipments=[unbought])
    assert not_bought.value.code == "SCAN_FORM.SHIPMENTS.INVALID"

    with pytest.raises(InvalidRequestError) as unknown:
        client.scan_form.create(shipments=[{"id": "shp_nope"}, bought(client)])
    assert unknown.value.code == "SCAN_FORM.CREATE.FAILURE"
    assert "1 of the specified shipments were not found: shp_nope" in unknown.value.message

    with pytest.raises(InvalidRequestError) as empty:
        client.scan_form.create(shipments=[])
    assert empty.value.code == "SCAN_FORM.SHIPMENTS.REQUIRED"


def test_batch_scan_form(client: easypost.EasyPostClient) -> None:
    batch = client.batch.create(shipments=[shipment_params(), shipment_params()])
    settled(client, batch.id, "created")
    with pytest.raises(InvalidRequestError) as unbought:
        client.batch.create_scan_form(batch.id)
    assert unbought.value.code == "SCAN_FORM.BATCH.NOT_PURCHASED"
    client.batch.buy(batch.id)
    batch = settled(client, batch.id, "purchased")

    queued = client.batch.create_scan_form(batch.id)
    assert queued.scan_form.status == "creating" and queued.scan_form.form_url is None
    batch = wait_for(lambda: client.batch.retrieve(batch.id),
                     lambda b: b.scan_form.status == "created")
    form = batch.scan_form
    codes = [s.tracking_code for s in batch.shipments]
    assert form.status == "created" and form.batch_id == batch.id
    assert sorted(form.tracking_codes) == sorted(codes)
    assert all(code in pdf_text(form.form_url) for code in codes)
    assert client.scan_form.retrieve(form.id).batch_id == batch.id
    with pytest.raises(InvalidRequestError) as again:
        client.batch.create_scan_form(batch.id)
    assert again.value.code == "SCAN_FORM.CREATE.FAILURE"


def test_scan_forms_are_listed_in_pages(client: easypost.EasyPostClient) -> None:
    made = [client.scan_form.create(shipments=[bought(client)]).id for _ in range(3)]
    first = client.scan_form.all(page_size=2)
    assert [f.id for f in first["scan_forms"]] == made[:0:-1] and first["has_more"] is True
    rest = client.scan_form.get_next_page(first, page_size=2)
    assert [f.id for f in rest["scan_forms"]] == [made[0]]


def test_two_simulators_put_a_label_on_one_form(tmp_path: Path) -> None:
    state = tmp_path / "sim.sqlite"
    config = SimulatorConfig(state_path=state, days_per_minute=REAL_TIME)
    with running_simulator(config) as a, running_simulator(config) as b:
        clients = [easypost.EasyPostClient(KEY, api_base=s.api_base) for s in (a, b)]
        labels = [bought(clients[0]) for _ in range(3)]

        def manifest(i: int) -> str:
            try:
                clients[i % 2].scan_form.create(shipments=labels)
                return "made"
            except InvalidRequestError as exc:
                assert exc.code == "SCAN_FORM.CREATE.FAILURE"
                return "refused"

        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(manifest, range(6)))
        assert outcomes.count("made") == 1
        ledger = a.stats()["scan_forms"]
        assert ledger["total"] == 1 and ledger["labels"] == 3
        assert ledger["max_per_shipment"] == 1


def test_a_label_dated_before_today_is_refused() -> None:
    # A simulated day a second: the label is yesterday's a second after it was bought.
    with running_simulator(SimulatorConfig(days_per_minute=60.0)) as fast:
        client = easypost.EasyPostClient(KEY, api_base=fast.api_base)
        shipment = bought(client)
        time.sleep(1.1)
        with pytest.raises(InvalidRequestError) as stale:
            client.scan_form.create(shipments=[shipment])
        assert stale.value.code == "SCAN_FORM.SHIPMENTS.INVALID"
        assert "is dated" in stale.value.message
        assert fast.stats()["scan_forms"]["total"] == 0


def test_reset_forgets_forms(sim: RunningSimulator, client: easypost.EasyPostClient) -> None:
    form = client.scan_form.create(shipments=[bought(client)])
    sim.reset()
    assert sim.stats()["scan_forms"] == {"total": 0, "labels": 0, "by_shipment": {},
                                         "max_per_shipment": 0}
    with pytest.raises(easypost.errors.NotFoundError):
        client.scan_form.retrieve(form.id)
