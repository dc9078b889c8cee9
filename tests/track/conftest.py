"""Fixtures for tracking: a simulator on port 0, settings aimed at it and the test database,
and purchased shipments seeded with tracking codes the simulator knows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import easypost
import pytest
from pydantic import SecretStr

from shipctl.config import Settings
from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator
from tests.conftest import run_blocking

FROM = {"name": "Warehouse", "street1": "388 Townsend St", "city": "San Francisco",
        "state": "CA", "zip": "94107", "country": "US"}
TO = {"name": "Elizabeth Swan", "street1": "179 N Harbor Dr", "city": "Redondo Beach",
      "state": "CA", "zip": "90277", "country": "US"}
PARCEL = {"length": 10, "width": 8, "height": 4, "weight": 15.4}

TEST_CODES = {
    "EZ1000000001": "pre_transit",
    "EZ2000000002": "in_transit",
    "EZ3000000003": "out_for_delivery",
    "EZ4000000004": "delivered",
    "EZ5000000005": "return_to_sender",
    "EZ6000000006": "failure",
    "EZ7000000007": "unknown",
}


def real_now() -> datetime:
    """Tests inject the clock; the simulator's own clock starts from real time."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Label:
    tracking_code: str
    carrier: str
    shipment_id: str
    tracker_id: str | None = None


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    # Half a simulated day a real minute (720x real time): fast enough that tests can ask for
    # a clock that moves, slow enough that the simulator's own labels stay in pre-transit
    # for the length of a test.
    with running_simulator(SimulatorConfig(seed=11, days_per_minute=0.5)) as running:
        yield running


@pytest.fixture
def settings(sim: RunningSimulator, db: str, tmp_path: Path) -> Settings:
    return Settings(
        easypost_api_key=SecretStr("EZTK-track-tests"),
        easypost_api_base=sim.api_base,
        database_url=SecretStr(db),
        data_dir=tmp_path / "data",
        timeout=5.0,
    )


def buy_labels(api_base: str, count: int, carrier: str = "USPS") -> list[Label]:
    """Buy `count` labels from the simulator through the SDK (one-call buy)."""
    client = easypost.EasyPostClient("EZTK-track-tests", api_base=api_base)
    service = {"USPS": "GroundAdvantage", "UPS": "Ground", "FedEx": "FEDEX_GROUND"}[carrier]

    def buy(index: int) -> Label:
        shipment = client.shipment.create(
            from_address=FROM, to_address=TO, parcel=PARCEL, carrier=carrier, service=service,
            reference=f"TRK-{carrier}-{index}",
        )
        return Label(shipment.tracking_code, carrier, shipment.id)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(buy, range(count)))


def ez_labels() -> list[Label]:
    return [Label(code, "USPS", f"shp_test_{code}") for code in TEST_CODES]


def seed_shipments(
    database_url: str, labels: list[Label], *, purchased_at: datetime | None = None,
    est_delivery_date: datetime | None = None,
) -> None:
    """Purchased, current shipments rows for these labels."""
    bought = purchased_at or real_now() - timedelta(days=1)

    async def go() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.executemany(
                "INSERT INTO shipments (reference, state, mode, easypost_shipment_id, carrier,"
                " service, tracking_code, tracker_id, purchased_at, est_delivery_date)"
                " VALUES ($1, 'purchased', 'simulated', $2, $3, 'Ground', $4, $5, $6, $7)",
                [(f"REF-{label.tracking_code}", label.shipment_id, label.carrier,
                  label.tracking_code, label.tracker_id, bought, est_delivery_date)
                 for label in labels],
            )
        finally:
            await conn.close()

    run_blocking(go())


@pytest.fixture
def seed(db: str) -> Callable[..., None]:
    return lambda labels, **kw: seed_shipments(db, labels, **kw)
