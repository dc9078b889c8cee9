"""The sweep against the simulator and the real test database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from shipctl.cli.wiring import connect_carrier
from shipctl.config import Settings
from shipctl.jobs import track
from shipctl.simulator import RunningSimulator
from shipctl.store.database import open_pool

from .conftest import TEST_CODES, buy_labels, ez_labels, real_now

Sql = Callable[..., list[Any]]


async def sweep(settings: Settings, **options: Any) -> track.SweepReport:
    options.setdefault("now", real_now())
    return await track.run_sweep(settings, **options, carriers=connect_carrier)


def tracker_requests(sim: RunningSimulator) -> int:
    requests = sim.stats()["requests"]
    return sum(
        count for endpoint, by_status in requests.items() if "/trackers" in endpoint
        for count in by_status.values()
    )


async def test_test_codes_report_their_statuses(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    seed(ez_labels())
    report = await sweep(settings)

    assert report.outcome == "completed" and report.failed == 0
    assert report.in_flight == report.checked == 7
    stored = {r["tracking_code"]: r for r in sql("SELECT * FROM trackers")}
    assert {code: row["status"] for code, row in stored.items()} == TEST_CODES
    assert all(row["tracker_id"].startswith("trk_") for row in stored.values())
    delivered = stored["EZ4000000004"]
    assert delivered["signed_by"] == "John Tester"
    last_delivered = sql(
        "SELECT max(occurred_at) AS at FROM tracking_events"
        " WHERE tracking_code = 'EZ4000000004' AND status = 'delivered'"
    )[0]["at"]
    assert delivered["delivered_at"] == last_delivered is not None
    assert all(row["delivered_at"] is None for code, row in stored.items()
               if code != "EZ4000000004")
    assert all(row["first_est_delivery_date"] == row["est_delivery_date"] is not None
               for code, row in stored.items() if code != "EZ7000000007")
    events = {r["tracking_code"]: r["n"] for r in sql(
        "SELECT tracking_code, count(*) AS n FROM tracking_events GROUP BY 1")}
    assert events == {"EZ1000000001": 2, "EZ2000000002": 4, "EZ3000000003": 5,
                      "EZ4000000004": 6, "EZ5000000005": 5, "EZ6000000006": 5}
    assert report.new_events == sum(events.values())
    assert report.by_status == {status: 1 for status in TEST_CODES.values()}
    # The test codes' histories are a month old: the ones still moving are stale.
    kinds = {e.tracking_code: e.kinds for e in report.exceptions}
    assert kinds == {"EZ1000000001": ("stale",), "EZ2000000002": ("stale",),
                     "EZ3000000003": ("stale",), "EZ5000000005": ("returned",),
                     "EZ6000000006": ("failure",)}


async def test_rerun_adds_no_events_and_skips_final(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    seed(buy_labels(sim.api_base, 12) + ez_labels())
    first = await sweep(settings)
    events = sql("SELECT count(*) AS n FROM tracking_events")[0]["n"]
    assert first.checked == 19 and first.new_events == events > 0

    second = await sweep(settings)
    assert second.in_flight == 19 - 3  # delivered, returned and failed are final
    assert second.new_events == 0
    assert sql("SELECT count(*) AS n FROM tracking_events")[0]["n"] == events
    checked = sql("SELECT count(*) AS n FROM trackers WHERE checked_at IS NOT NULL")[0]["n"]
    assert checked == 19


async def test_only_current_purchased_shipments_within_since(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    old, recent = ez_labels()[:1], ez_labels()[1:2]
    seed(old, purchased_at=real_now() - timedelta(days=90))
    seed(recent)
    sql("UPDATE shipments SET superseded_at = now() WHERE tracking_code = 'EZ2000000002'")
    assert (await sweep(settings)).in_flight == 0
    sql("UPDATE shipments SET superseded_at = NULL")
    report = await sweep(settings, since=timedelta(days=30))
    assert [row["tracking_code"] for row in sql("SELECT tracking_code FROM trackers")] == [
        "EZ2000000002"]
    assert report.in_flight == 1
    assert (await sweep(settings, since=timedelta(days=120))).in_flight == 2


async def test_nothing_in_flight(settings: Settings, sim: RunningSimulator) -> None:
    report = await sweep(settings)
    assert report.outcome == "completed" and report.in_flight == 0 and report.checked == 0
    assert tracker_requests(sim) == 0


async def test_late_and_stale_judged_by_the_injected_clock(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None]
) -> None:
    seed(buy_labels(sim.api_base, 3))
    assert (await sweep(settings)).exceptions == ()
    report = await sweep(settings, now=real_now() + timedelta(days=20))
    assert {e.kinds for e in report.exceptions} == {("stale", "late")}
    assert len(report.exceptions) == 3
    assert all(e.reference and e.reference.startswith("REF-") for e in report.exceptions)
    later = await sweep(settings, now=real_now() + timedelta(days=20),
                        stale_after=timedelta(days=30))
    assert later.exceptions[0].kinds == ("late",)


async def test_sweep_with_faults_stores_every_tracker(
    settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    from shipctl.simulator import SimulatorConfig, running_simulator

    config = SimulatorConfig(seed=3, days_per_minute=0.5, fault_rate=0.0, timeout_delay=3.0)
    with running_simulator(config) as faulty:
        labels = buy_labels(faulty.api_base, 40) + ez_labels()
        seed(labels)
        faulty.set_faults(0.15, kinds=("500", "503", "drop", "timeout"))
        aimed = settings.model_copy(update={"easypost_api_base": faulty.api_base,
                                            "timeout": 1.0})
        report = await sweep(aimed)
        assert faulty.stats()["faults_total"] > 0
    assert report.failed == 0 and report.checked == len(labels)
    assert sql("SELECT count(*) AS n FROM trackers")[0]["n"] == len(labels)


async def test_method_each_stores_the_same(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    seed(ez_labels())
    report = await sweep(settings, method="each")
    assert report.checked == 7 and report.method == "each"
    assert {r["tracking_code"]: r["status"] for r in sql("SELECT * FROM trackers")} == TEST_CODES
    assert "GET /v2/trackers" not in sim.stats()["requests"]


async def test_a_failing_lookup_is_reported_and_the_sweep_goes_on(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    from shipctl.carrier.client import make_client
    from shipctl.carrier.executor import CarrierExecutor

    seed(ez_labels())
    sim.set_faults(1.0, kinds=("500",))
    client = make_client("EZTK-x", api_base=sim.api_base, timeout=5.0, concurrency=4)
    # one attempt per call, so injected errors become failures instead of retries
    async with CarrierExecutor(client, 4, max_attempts=1) as executor, open_pool(
        settings.database_url.get_secret_value() if settings.database_url else None,
        settings.data_dir,
    ) as pool:
        report = await track.sweep(pool, executor, now=real_now())
    assert report.outcome == "completed" and report.checked == 0 and report.failed == 7
    assert {f.error_code for f in report.failures} == {"INTERNAL_SERVER_ERROR"}
    assert sql("SELECT count(*) AS n FROM trackers")[0]["n"] == 0
    sim.set_faults(0.0)
    assert (await sweep(settings)).checked == 7


async def test_overlapping_sweeps_second_skips(
    sim: RunningSimulator, settings: Settings, seed: Callable[..., None], sql: Sql
) -> None:
    seed(buy_labels(sim.api_base, 30) + ez_labels())
    url = settings.database_url.get_secret_value() if settings.database_url else None

    class FirstBatch:
        def __init__(self) -> None:
            self.done = asyncio.Event()

        def begin(self, total: int) -> None:
            pass

        def advance(self, checked: int, failed: int) -> None:
            self.done.set()

    first_batch = FirstBatch()
    async with open_pool(url, settings.data_dir) as pool, connect_carrier(settings) as carrier:
        first_sweep = asyncio.create_task(track.sweep(
            pool, carrier.executor, now=real_now(), progress=first_batch, batch_size=10))
        await first_batch.done.wait()
        async with open_pool(url, settings.data_dir) as other_pool:
            second = await track.sweep(other_pool, carrier.executor, now=real_now())
        first = await first_sweep
    assert first.outcome == "completed" and first.checked == 37
    assert second.outcome == "skipped" and second.checked == 0
    # each code looked up once: four paced list pages, no creates (the buys made trackers)
    requests = sim.stats()["requests"]
    assert requests["GET /v2/trackers"] == {"200": 4}
    assert sum(requests.get("POST /v2/trackers", {}).values()) == 7  # the EZ codes
    assert sql("SELECT count(*) AS n FROM trackers")[0]["n"] == 37


@pytest.mark.parametrize("codes", [["EZ4000000004"]])
async def test_lock_is_free_after_a_sweep(
    settings: Settings, seed: Callable[..., None], codes: list[str], sim: RunningSimulator
) -> None:
    seed([label for label in ez_labels() if label.tracking_code in codes])
    assert (await sweep(settings)).outcome == "completed"
    assert (await sweep(settings)).outcome == "completed"
