"""Trackers through the real SDK: EasyPost's test codes, reuse, listing and progression."""

from __future__ import annotations

import time

import easypost
import pytest
import requests

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator
from shipctl.simulator.trackers import new_tracker, render

from .conftest import shipment_params

EXPECTED = {
    "EZ1000000001": "pre_transit",
    "EZ2000000002": "in_transit",
    "EZ3000000003": "out_for_delivery",
    "EZ4000000004": "delivered",
    "EZ5000000005": "return_to_sender",
    "EZ6000000006": "failure",
    "EZ7000000007": "unknown",
}


@pytest.mark.parametrize(("code", "status"), EXPECTED.items())
def test_test_codes(client: easypost.EasyPostClient, code: str, status: str) -> None:
    tracker = client.tracker.create(tracking_code=code, carrier="USPS")
    assert tracker.status == status and tracker.id.startswith("trk_")
    if status != "unknown":
        assert tracker.tracking_details[-1].status == status
        assert tracker.tracking_details[-1].tracking_location.object == "TrackingLocation"
    if status == "delivered":
        assert tracker.signed_by
    assert client.tracker.retrieve(tracker.id).status == status


def test_same_code_same_tracker_and_list(client: easypost.EasyPostClient) -> None:
    first = client.tracker.create(tracking_code="EZ2000000002", carrier="USPS")
    assert client.tracker.create(tracking_code="EZ2000000002", carrier="USPS").id == first.id
    assert client.tracker.create(tracking_code="EZ2000000002").id == first.id
    other = client.tracker.create(tracking_code="EZ4000000004", carrier="USPS")
    client.tracker.create(tracking_code="EZ1000000001", carrier="USPS")
    found = client.tracker.all(tracking_codes=["EZ2000000002", "EZ4000000004"])
    assert {t.id for t in found["trackers"]} == {first.id, other.id}
    assert found["has_more"] is False
    page = client.tracker.all(page_size=1)
    assert len(page["trackers"]) == 1 and page["has_more"] is True


def test_a_deleted_tracker_is_gone(client: easypost.EasyPostClient) -> None:
    kept = client.tracker.create(tracking_code="EZ1000000001", carrier="USPS")
    gone = client.tracker.create(tracking_code="EZ2000000002", carrier="USPS")
    client.tracker.delete(gone.id)
    assert [t.id for t in client.tracker.all()["trackers"]] == [kept.id]
    for call in (client.tracker.retrieve, client.tracker.delete):
        with pytest.raises(easypost.errors.NotFoundError):
            call(gone.id)
    # Asked for again, the code gets a new tracker.
    assert client.tracker.create(tracking_code="EZ2000000002", carrier="USPS").id != gone.id


def test_arbitrary_code_gets_an_unknown_tracker(client: easypost.EasyPostClient) -> None:
    tracker = client.tracker.create(tracking_code="1ZNOTAREALCODE0001")
    assert tracker.status == "unknown" and tracker.tracking_details == []
    assert tracker.carrier == "UPS"


def test_index_is_limited_to_five_per_second(sim: RunningSimulator) -> None:
    statuses = [
        requests.get(sim.api_base + "/trackers", headers={"Authorization": "Bearer EZTK-test"},
                     timeout=5)
        for _ in range(12)
    ]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, "no 429 from the index endpoint"
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"]["code"] == "RATE_LIMITED"


def test_bought_label_progresses_on_the_simulated_clock() -> None:
    # 14400 simulated days per real minute is four days a second: a whole delivery in ~1 s.
    with running_simulator(SimulatorConfig(days_per_minute=14400.0)) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        shipment = client.shipment.create(**shipment_params())
        rate = next(r for r in shipment.rates if r.service == "Express")
        bought = client.shipment.buy(shipment.id, rate=rate)
        seen = {bought.tracker.status}
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            tracker = client.tracker.retrieve(bought.tracker.id)
            seen.add(tracker.status)
            if tracker.status in {"delivered", "return_to_sender", "failure"}:
                break
            time.sleep(0.05)
        assert "pre_transit" in seen
        assert tracker.status in {"delivered", "return_to_sender", "failure"}
        assert tracker.est_delivery_date
        details = tracker.tracking_details
        assert [d.datetime for d in details] == sorted(d.datetime for d in details)
        by_code = client.tracker.create(tracking_code=bought.tracking_code, carrier=rate.carrier)
        assert by_code.id == bought.tracker.id
        assert client.shipment.retrieve(shipment.id).status == tracker.status


def test_exception_shares_are_seeded_by_tracking_code() -> None:
    outcomes: dict[str, int] = {}
    for i in range(2000):
        plan = new_tracker(f"9400{i:018d}", "USPS", 0.0, shipment_id="shp_x", days=2)
        status = render(plan, 30 * 86400.0)["status"]
        outcomes[status] = outcomes.get(status, 0) + 1
        assert render(plan, 30 * 86400.0)["status"] == status
    assert outcomes["delivered"] > 1700
    assert 30 < outcomes["return_to_sender"] < 150 and 20 < outcomes["failure"] < 120


def test_a_new_tracker_shows_its_label_until_accepted() -> None:
    """Whatever its plan, a tracker shows only its label's creation until the carrier accepts
    the parcel (0.35 days later), then both."""
    from shipctl.simulator import trackers

    day = trackers.DAY
    for i in range(200):
        plan = new_tracker(f"9400{i:018d}", "USPS", 1000 * day, shipment_id=f"shp_{i}",
                           days=1 + i % 5, origin={"city": "A", "state": "CA", "zip": "94107"})
        events = trackers.simulated_events(plan)[0]
        assert events[0].offset_days == 0 and min(e.offset_days for e in events[1:]) > 0.3
        for at in (1000 * day, 1000.2 * day, 1000.34 * day):
            shown = render(plan, at)
            assert [d["message"] for d in shown["tracking_details"]] == [
                "Shipping Label Created"]
            assert shown["status"] == "pre_transit"
        later = render(plan, 1000.36 * day)
        assert [d["message"] for d in later["tracking_details"]][:2] == [
            "Shipping Label Created", "Accepted at Origin Facility"]
