"""Batches through the real easypost SDK: create, add/remove, buy, merged labels, listing."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import easypost
import pytest
import requests
from easypost.errors import InvalidRequestError
from pypdf import PdfReader

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

from .conftest import shipment_params

KEY = "EZTK_simulated"


def wait_for(fetch: Callable[[], Any], done: Callable[[Any], bool], seconds: float = 5.0) -> Any:
    """Poll as a client of EasyPost must: until `done(fetch())` or the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def settled(client: easypost.EasyPostClient, batch_id: str, state: str) -> Any:
    batch = wait_for(lambda: client.batch.retrieve(batch_id), lambda b: b.state == state)
    assert batch.state == state
    return batch


def lowest(rates: list[Any]) -> Any:
    return min(rates, key=lambda r: Decimal(r.rate))


def test_batch_is_created_bought_once_and_listed(
    sim: RunningSimulator, client: easypost.EasyPostClient
) -> None:
    before = client.shipment.create(**shipment_params(reference="bought-before"))
    before = client.shipment.buy(before.id, rate=before.rates[0])
    chosen = shipment_params(reference="chosen", carrier="USPS", service="Priority")
    plain = shipment_params(reference="plain")

    batch = client.batch.create(shipments=[chosen, plain, {"id": before.id}])
    # Answered while EasyPost still works on it: creating, nothing listed yet.
    assert batch.id.startswith("batch_") and batch.object == "Batch"
    assert batch.state == "creating" and batch.shipments == []
    assert batch.num_shipments == 3 and set(batch.status.to_dict().values()) == {0}

    batch = settled(client, batch.id, "created")
    statuses = {s.reference: s.batch_status for s in batch.shipments}
    assert statuses == {"chosen": "created", "plain": "created",
                        "bought-before": "postage_purchased"}
    assert batch.status.created == 2 and batch.status.postage_purchased == 1
    # Named with a service, the new shipment was rated, not bought (unlike shipment.create).
    chosen_id = next(s.id for s in batch.shipments if s.reference == "chosen")
    assert client.shipment.retrieve(chosen_id).postage_label is None

    bought = client.batch.buy(batch.id)
    assert bought.state == "purchasing"
    queued = {s.reference: (s.batch_status, s.tracking_code) for s in bought["shipments"]}
    assert queued["chosen"] == ("queued_for_purchase", None)
    assert queued["bought-before"] == ("postage_purchased", before.tracking_code)
    assert bought.status.queued_for_purchase == 2

    batch = settled(client, batch.id, "purchased")
    assert batch.status.postage_purchased == 3 and batch.status.queued_for_purchase == 0
    by_reference = {s.reference: client.shipment.retrieve(s.id) for s in batch.shipments}
    assert by_reference["chosen"].selected_rate.service == "Priority"
    plain_shipment = by_reference["plain"]
    assert plain_shipment.selected_rate.rate == lowest(plain_shipment.rates).rate
    assert by_reference["bought-before"].tracking_code == before.tracking_code
    for summary in batch.shipments:
        shipment = by_reference[summary.reference]
        assert summary.tracking_code == shipment.tracking_code
        assert (shipment.batch_id, shipment.batch_status) == (batch.id, "postage_purchased")

    with pytest.raises(InvalidRequestError) as again:
        client.batch.buy(batch.id)
    assert again.value.code == "BATCH.STATE.ALREADY_PURCHASED"
    purchases = sim.stats()["purchases"]
    assert purchases["total"] == 3 and purchases["max_per_shipment"] == 1


def test_a_batch_cannot_be_bought_while_it_is_being_created(
    client: easypost.EasyPostClient,
) -> None:
    batch = client.batch.create(shipments=[shipment_params()])
    with pytest.raises(InvalidRequestError) as creating:
        client.batch.buy(batch.id)
    assert creating.value.code == "BATCH.STATE.CREATING"
    settled(client, batch.id, "created")
    assert client.batch.buy(batch.id).state == "purchasing"


def test_add_and_remove_shipments(client: easypost.EasyPostClient) -> None:
    bought = client.shipment.create(**shipment_params(carrier="USPS", service="Priority"))
    unbought = client.shipment.create(**shipment_params())
    batch = client.batch.create()
    assert batch.state == "created" and batch.num_shipments == 0

    batch = client.batch.add_shipments(batch.id, shipments=[bought, unbought])
    assert batch.num_shipments == 2
    assert {s.id: s.batch_status for s in batch.shipments} == {
        bought.id: "postage_purchased", unbought.id: "created"}
    assert client.shipment.retrieve(unbought.id).batch_id == batch.id
    # Adding one again changes nothing; a shipment is in one batch only.
    assert client.batch.add_shipments(batch.id, shipments=[bought]).num_shipments == 2
    other = client.batch.create()
    with pytest.raises(InvalidRequestError) as taken:
        client.batch.add_shipments(other.id, shipments=[bought])
    assert taken.value.code == "BATCH.PARAMS.INVALID"

    batch = client.batch.remove_shipments(batch.id, shipments=[unbought])
    assert batch.num_shipments == 1 and batch.state == "purchased"
    assert client.shipment.retrieve(unbought.id).batch_id is None
    batch = client.batch.remove_shipments(batch.id, shipments=[bought])
    assert batch.num_shipments == 0 and batch.shipments == []
    with pytest.raises(InvalidRequestError) as empty:
        client.batch.add_shipments(batch.id, shipments=[])
    assert empty.value.code == "BATCH.SHIPMENTS.REQUIRED"


def _bought_batch(client: easypost.EasyPostClient, count: int) -> Any:
    batch = client.batch.create(shipments=[shipment_params() for _ in range(count)])
    settled(client, batch.id, "created")
    client.batch.buy(batch.id)
    return settled(client, batch.id, "purchased")


def test_batch_label_merges_every_label(client: easypost.EasyPostClient) -> None:
    batch = client.batch.create(shipments=[shipment_params()])
    settled(client, batch.id, "created")
    with pytest.raises(InvalidRequestError) as unbought:
        client.batch.label(batch.id, file_format="PDF")
    assert unbought.value.code == "BATCH.STATE.NOT_PURCHASED"

    batch = _bought_batch(client, 3)
    with pytest.raises(InvalidRequestError) as png:
        client.batch.label(batch.id, file_format="PNG")
    assert png.value.code == "BATCH.FILE_FORAMT.INVALID"  # sic, as EasyPost spells it

    generating = client.batch.label(batch.id, file_format="PDF")
    assert generating.state == "label_generating" and generating.label_url is None
    batch = settled(client, batch.id, "label_generated")
    response = requests.get(batch.label_url, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) == 3
    codes = [s.tracking_code for s in batch.shipments]
    assert [code in page.extract_text() for code, page in zip(codes, pages, strict=True)] \
        == [True] * 3

    client.batch.label(batch.id, file_format="ZPL")
    batch = settled(client, batch.id, "label_generated")
    zpl = requests.get(batch.label_url, timeout=10).text
    assert batch.label_url.endswith(".zpl")
    assert zpl.count("^XA") == 3 and all(code in zpl for code in codes)


def test_a_purchase_that_fails_is_reported_on_its_shipment() -> None:
    with running_simulator(SimulatorConfig(balance=20.0)) as sim:
        client = easypost.EasyPostClient(KEY, api_base=sim.api_base)
        dear = shipment_params(reference="dear", carrier="USPS", service="Express")
        cheap = shipment_params(reference="cheap")
        batch = client.batch.create(shipments=[cheap, dear])
        settled(client, batch.id, "created")
        client.batch.buy(batch.id)
        batch = settled(client, batch.id, "purchase_failed")
        summary = {s.reference: s for s in batch.shipments}
        assert summary["cheap"].batch_status == "postage_purchased"
        assert summary["dear"].batch_status == "postage_purchase_failed"
        assert "Insufficient funds" in summary["dear"].batch_message
        assert batch.status.postage_purchase_failed == 1
        dear_shipment = client.shipment.retrieve(summary["dear"].id)
        assert dear_shipment.postage_label is None
        assert dear_shipment.batch_status == "postage_purchase_failed"
        assert sim.stats()["purchases"]["total"] == 1


def test_batches_are_listed_newest_first_in_pages(client: easypost.EasyPostClient) -> None:
    made = [client.batch.create(reference=f"b{i}").id for i in range(3)]
    first = client.batch.all(page_size=2)
    assert [b.id for b in first["batches"]] == made[:0:-1] and first["has_more"] is True
    rest = client.batch.get_next_page(first, page_size=2)
    assert [b.id for b in rest["batches"]] == [made[0]] and rest["has_more"] is False
    assert client.batch.retrieve(made[1]).reference == "b1"


def test_two_simulators_buy_a_batch_once(tmp_path: Path) -> None:
    state = tmp_path / "sim.sqlite"
    with running_simulator(SimulatorConfig(state_path=state)) as a, \
            running_simulator(SimulatorConfig(state_path=state)) as b:
        clients = [easypost.EasyPostClient(KEY, api_base=s.api_base) for s in (a, b)]
        batch = clients[0].batch.create(shipments=[shipment_params() for _ in range(5)])
        settled(clients[1], batch.id, "created")

        def buy(i: int) -> str:
            try:
                clients[i % 2].batch.buy(batch.id)
                return "bought"
            except InvalidRequestError as exc:
                assert exc.code == "BATCH.STATE.ALREADY_PURCHASED"
                return "refused"

        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(buy, range(4)))
        assert outcomes.count("bought") == 1
        settled(clients[0], batch.id, "purchased")
        purchases = b.stats()["purchases"]
        assert purchases["total"] == 5 and purchases["max_per_shipment"] == 1


def test_a_batch_buy_whose_answer_is_lost_is_not_bought_again(
    sim: RunningSimulator, client: easypost.EasyPostClient
) -> None:
    batch = client.batch.create(shipments=[shipment_params() for _ in range(3)])
    settled(client, batch.id, "created")
    sim.set_faults(fault_rate=1.0, kinds=["lost_response"])
    with pytest.raises(easypost.errors.EasyPostError):
        client.batch.buy(batch.id)
    sim.set_faults(fault_rate=0.0)
    # The purchase was committed before the answer was lost: a retry buys nothing again.
    with pytest.raises(InvalidRequestError) as retried:
        client.batch.buy(batch.id)
    assert retried.value.code == "BATCH.STATE.ALREADY_PURCHASED"
    assert settled(client, batch.id, "purchased").status.postage_purchased == 3
    purchases = sim.stats()["purchases"]
    assert purchases["total"] == 3 and purchases["max_per_shipment"] == 1
