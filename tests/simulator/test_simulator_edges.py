"""API keys, the clock, reset, request charsets, the state file's mode and tracker paging."""

from __future__ import annotations

import os
import stat
import time
from datetime import datetime
from pathlib import Path

import easypost
import pytest
import requests
from easypost.errors import UnauthorizedError

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator
from shipctl.simulator.clock import DAY, Anchor, next_anchor

from .conftest import shipment_params


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


# -- API keys --------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["EZTK0123456789abcdef", "EZAK0123456789abcdef"])
def test_test_and_production_keys_are_let_in(sim: RunningSimulator, key: str) -> None:
    client = easypost.EasyPostClient(key, api_base=sim.api_base)
    assert client.shipment.create(**shipment_params()).rates


@pytest.mark.parametrize("key", ["k", "anything", "eztk-lowercase", "TK0123"])
def test_an_unknown_key_gets_401_as_from_easypost(sim: RunningSimulator, key: str) -> None:
    with pytest.raises(UnauthorizedError) as raised:
        easypost.EasyPostClient(key, api_base=sim.api_base).shipment.create(**shipment_params())
    assert raised.value.http_status == 401
    assert raised.value.code == "APIKEY.INACTIVE"
    answer = requests.get(sim.api_base + "/trackers", headers={"Authorization": f"Bearer {key}"},
                          timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"error": {
        "code": "APIKEY.INACTIVE",
        "message": "This api key is no longer active. Please use a different api key or "
                   "reactivate this key.",
        "errors": []}}


def test_a_missing_key_gets_401(sim: RunningSimulator) -> None:
    bare = requests.get(sim.api_base + "/shipments", timeout=5)
    assert bare.status_code == 401 and bare.json()["error"]["code"] == "APIKEY.REQUIRED"


def test_configured_keys_are_let_in_besides_ezt_and_eza_ones() -> None:
    config = SimulatorConfig(api_keys=("warehouse-1", "warehouse-2"))
    with running_simulator(config) as sim:
        for key in ("warehouse-1", "warehouse-2", "EZTKtest"):
            client = easypost.EasyPostClient(key, api_base=sim.api_base)
            assert client.tracker.create(tracking_code="EZ1000000001").id
        with pytest.raises(UnauthorizedError):
            easypost.EasyPostClient("warehouse-3", api_base=sim.api_base).tracker.create(
                tracking_code="EZ1000000001")
    with pytest.raises(ValueError, match="API key"):
        SimulatorConfig(api_keys=("",))


def test_reset_requires_a_key(sim: RunningSimulator) -> None:
    client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
    shipment = client.shipment.create(**shipment_params())
    reset_url = sim.origin + "/_sim/reset"
    refused = requests.post(reset_url, timeout=5)
    assert refused.status_code == 401
    wrong = requests.post(reset_url, headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401
    assert client.shipment.retrieve(shipment.id).id == shipment.id  # nothing was cleared
    done = requests.post(reset_url, headers={"Authorization": "Bearer EZTK-test"}, timeout=5)
    assert done.status_code == 200 and done.json() == {"reset": True}
    with pytest.raises(easypost.errors.NotFoundError):
        client.shipment.retrieve(shipment.id)


# -- request bodies --------------------------------------------------------------------------

def _post_shipment(sim: RunningSimulator, body: bytes, charset: str) -> requests.Response:
    return requests.post(sim.api_base + "/shipments", data=body, timeout=5, headers={
        "Authorization": "Bearer EZTK-test",
        "Content-Type": f"application/json; charset={charset}"})


@pytest.mark.parametrize("charset", ["klingon", "rot13", "base64", "x-unknown-8"])
def test_an_unknown_charset_is_a_400_not_a_500(sim: RunningSimulator, charset: str) -> None:
    answer = _post_shipment(sim, b'{"shipment": {}}', charset)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "BAD_REQUEST" and charset in error["message"]
    assert "Traceback" not in answer.text
    assert sim.stats()["requests"]["POST /v2/shipments"].get("500") is None


def test_a_body_not_in_its_charset_is_a_400(sim: RunningSimulator) -> None:
    answer = _post_shipment(sim, '{"shipment": {"reference": "ü"}}'.encode("utf-16"), "ascii")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "BAD_REQUEST"


def test_a_known_charset_is_decoded(sim: RunningSimulator) -> None:
    body = ('{"shipment": {"reference": "Müller", "to_address": {"name": "J", "street1": '
            '"179 N Harbor Dr", "city": "Redondo Beach", "state": "CA", "zip": "90277"}, '
            '"from_address": {"name": "S", "street1": "388 Townsend St", "city": '
            '"San Francisco", "state": "CA", "zip": "94107"}, "parcel": {"weight": 4}}}')
    answer = _post_shipment(sim, body.encode("latin-1"), "ISO-8859-1")
    assert answer.status_code == 201, answer.text
    assert answer.json()["reference"] == "Müller"


# -- the state file --------------------------------------------------------------------------

def test_the_state_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    state = tmp_path / "nested" / "state.sqlite3"
    old = os.umask(0o022)
    try:
        with running_simulator(SimulatorConfig(state_path=state)) as sim:
            client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
            client.shipment.create(**shipment_params())
            files = [state, *state.parent.glob("state.sqlite3-*")]
            for path in files:
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        os.umask(old)
    assert state.exists()


# -- tracker.all with a carrier --------------------------------------------------------------

def test_tracker_list_filters_by_carrier_before_paging() -> None:
    # The index endpoint's own limit (5 requests a second) is not what this test is about.
    with running_simulator(SimulatorConfig(seed=7, days_per_minute=60.0,
                                           index_rate_limit=None)) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        ups = [client.tracker.create(tracking_code=f"1Z999AA1012345678{i}", carrier="UPS")
               for i in range(3)]
        for i in range(25):  # newer than every UPS tracker: a page of 20 would hold none of them
            client.tracker.create(tracking_code=f"9400100000000000000{i:03d}", carrier="USPS")
        first = client.tracker.all(carrier="UPS", page_size=2)
        rest = client.tracker.get_next_page(first, page_size=2)
        lower = client.tracker.all(carrier="ups", page_size=20)
    assert [t.carrier for t in first["trackers"]] == ["UPS", "UPS"] and first["has_more"] is True
    assert [t.carrier for t in rest["trackers"]] == ["UPS"] and rest["has_more"] is False
    assert {t.id for t in first["trackers"] + rest["trackers"]} == {t.id for t in ups}
    assert len(lower["trackers"]) == 3 and lower["has_more"] is False


# -- the clock -------------------------------------------------------------------------------

def test_the_clock_is_real_time_by_default() -> None:
    with running_simulator(SimulatorConfig()) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        shipment = client.shipment.create(**shipment_params())
        bought = client.shipment.buy(shipment.id, rate=shipment.rates[0])
        assert abs(_seconds(bought.postage_label.label_date) - time.time()) < 5
        time.sleep(1.5)
        tracker = client.tracker.retrieve(bought.tracker.id)
        assert tracker.status == "pre_transit"
        assert abs(_seconds(tracker.updated_at) - time.time()) < 5
        assert _seconds(tracker.est_delivery_date) - time.time() >= DAY - 10


def test_fast_forward_moves_trackers_over_their_transit_time() -> None:
    # 2880 days a minute: two simulated days a real second.
    with running_simulator(SimulatorConfig(days_per_minute=2880.0)) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        shipment = client.shipment.create(**shipment_params())
        rate = max(shipment.rates, key=lambda r: r.delivery_days)
        bought = client.shipment.buy(shipment.id, rate=rate)
        created = _seconds(bought.tracker.created_at)
        deadline = time.monotonic() + rate.delivery_days / 2 + 6
        while True:
            tracker = client.tracker.retrieve(bought.tracker.id)
            if tracker.status in {"delivered", "return_to_sender", "failure"}:
                break
            assert time.monotonic() < deadline, tracker.status
            time.sleep(0.1)
        took = _seconds(tracker.tracking_details[-1].datetime) - created
        if tracker.status == "delivered":
            # On its rate's transit time, or late by up to three days.
            assert rate.delivery_days * DAY <= took <= (rate.delivery_days + 3) * DAY


def test_a_change_of_speed_never_moves_the_clock_back(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    with running_simulator(SimulatorConfig(state_path=state, days_per_minute=14400.0)) as fast:
        client = easypost.EasyPostClient("EZTK-test", api_base=fast.api_base)
        time.sleep(0.5)  # five simulated days
        ahead = _seconds(client.shipment.create(**shipment_params()).created_at)
    assert ahead - time.time() > 4 * DAY
    with running_simulator(SimulatorConfig(state_path=state)) as real:
        client = easypost.EasyPostClient("EZTK-test", api_base=real.api_base)
        first = _seconds(client.shipment.create(**shipment_params()).created_at)
        time.sleep(1.1)
        second = _seconds(client.shipment.create(**shipment_params()).created_at)
    assert first >= ahead
    assert 1 <= second - first <= 3  # a second is a second again


def test_next_anchor() -> None:
    assert next_anchor(None, 1.0, 100.0) == Anchor(100.0, 100.0, 1.0)
    kept = Anchor(50.0, 60.0, 1.0)
    assert next_anchor(kept, 1.0, 100.0) is kept
    fast = Anchor(50.0, 50.0, 10.0)
    assert next_anchor(fast, 1.0, 100.0) == Anchor(100.0, 550.0, 1.0)
    assert Anchor.parse(fast.text()) == fast
    with pytest.raises(ValueError):
        SimulatorConfig(days_per_minute=0)


async def test_the_simulate_setting_fast_forwards_the_in_process_simulator(
    tmp_path: Path,
) -> None:
    import asyncio

    from shipctl.cli.wiring import simulated_api
    from shipctl.config import Settings

    settings = Settings(simulate=True, simulate_days_per_minute=1440.0, data_dir=tmp_path)
    async with simulated_api(settings) as api:
        client = easypost.EasyPostClient(api.key, api_base=api.base)
        shipment = await asyncio.to_thread(client.shipment.create, **shipment_params())
        await asyncio.sleep(1.0)
        later = await asyncio.to_thread(client.shipment.create, **shipment_params())
    assert _seconds(later.created_at) - _seconds(shipment.created_at) >= 0.8 * DAY


def test_a_state_file_from_before_the_real_time_clock_keeps_its_dates(tmp_path: Path) -> None:
    """Older simulators kept only an epoch and ran 60 days a minute from it: carry on from
    where that clock had got to, at the new speed."""
    from shipctl.simulator.simulation import Simulation
    from shipctl.simulator.state import Store

    state = tmp_path / "old.sqlite3"
    store = Store(state)
    epoch = time.time() - 60.0  # a minute ago: sixty simulated days
    with store.transaction():
        store.set_meta("epoch", repr(epoch))
    simulation = Simulation(SimulatorConfig(), store)
    now = simulation.now()
    assert 59 * DAY < now - time.time() < 61 * DAY
    assert simulation.clock.speed == 1.0
    store.close()
