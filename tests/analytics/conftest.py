"""Analytics fixtures: a small hand-made history whose every figure is worked out in the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from shipctl.models import TrackingUpdate
from shipctl.store.tracking import store_updates


def t(text: str) -> datetime:
    """`2026-03-02 10:00` as a UTC time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _shipment(
    ref: str, state: str, carrier: str | None, service: str | None, rate: str | None, *,
    purchased: str | None = None, created: str | None = None, est: str | None = None,
    code: str | None = None, to_state: str | None = "CA", to_country: str = "US",
    from_state: str = "NV", mode: str = "test", error: tuple[str, str] | None = None,
    requested: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "reference": ref, "state": state, "mode": mode, "carrier": carrier, "service": service,
        "rate": Decimal(rate) if rate else None,
        "purchased_at": t(purchased) if purchased else None,
        "created_at": t(created or purchased or "2026-03-01 00:00"),
        "est_delivery_date": t(est) if est else None, "tracking_code": code,
        "to_state": to_state, "to_country": to_country, "from_state": from_state,
        "from_country": "US", "error_code": error[0] if error else None,
        "error_message": error[1] if error else None, "requested_carrier": requested or carrier,
    }  # fmt: skip


# Window [2026-03-01, 2026-04-01): `--since 2026-03-01 --until 2026-03-31`.
SHIPMENTS = [
    _shipment("S1", "purchased", "USPS", "Priority", "10.00", purchased="2026-03-02 10:00",
              est="2026-03-04 20:00", code="T1"),
    _shipment("S2", "purchased", "USPS", "Priority", "12.00", purchased="2026-03-03 10:00",
              est="2026-03-05 20:00", code="T2"),
    _shipment("S3", "purchased", "USPS", "GroundAdvantage", "6.50",
              purchased="2026-03-10 12:00", code="T3", to_state="TX"),
    _shipment("S4", "purchased", "UPS", "Ground", "15.25", purchased="2026-03-10 08:00",
              est="2026-03-12 20:00", code="T4"),
    _shipment("S5", "refunded", "UPS", "Ground", "20.00", purchased="2026-03-16 09:00",
              est="2026-03-19 20:00", code="T5"),
    _shipment("S6", "purchased", "UPS", "NextDayAir", "40.10", purchased="2026-03-20 09:00",
              est="2026-03-21 20:00", code="T6", to_state=None, to_country="GB"),
    _shipment("S7", "purchased", "FedEx", "FEDEX_GROUND", "9.99", purchased="2026-03-25 15:00",
              est="2026-03-28 20:00", code="T7", to_state="TX"),
    _shipment("S8", "purchased", "FedEx", "FEDEX_GROUND", "11.01",
              purchased="2026-03-30 15:00", est="2026-04-02 20:00", code="T8", to_state="TX"),
    _shipment("S9", "purchased", "USPS", "Priority", "8.00", purchased="2026-03-31 23:00",
              est="2026-04-02 20:00", code="T9"),
    _shipment("S10", "refunded", "USPS", "Priority", "7.50", purchased="2026-03-05 10:00",
              est="2026-03-07 20:00", code="T10"),
    _shipment("S11", "purchased", "FedEx", "FEDEX_2_DAY", "25.00", purchased="2026-03-12 10:00",
              est="2026-03-14 20:00", code="T11", from_state="OH", to_state="NY", mode="live"),
    # outside the window: before it, and at its exclusive end
    _shipment("S12", "purchased", "USPS", "Priority", "99.00", purchased="2026-02-27 10:00",
              est="2026-03-01 20:00", code="T12"),
    _shipment("S13", "purchased", "USPS", "Priority", "55.00", purchased="2026-04-01 00:00",
              code="T13"),
    # failed purchases: no carrier bought, the one asked for
    _shipment("F1", "failed", None, None, None, created="2026-03-05 08:00", requested="USPS",
              error=("SHIPMENT.POSTAGE.FAILURE", "no postage")),
    _shipment("F2", "failed", None, None, None, created="2026-03-06 08:00", requested="USPS",
              error=("SHIPMENT.POSTAGE.FAILURE", "no postage")),
    _shipment("F3", "failed", None, None, None, created="2026-03-07 08:00", requested="UPS",
              error=("ADDRESS.VERIFY.FAILURE", "bad address")),
    _shipment("F4", "failed", None, None, None, created="2026-02-01 08:00", requested="UPS",
              error=("ADDRESS.VERIFY.FAILURE", "bad address")),
    _shipment("P1", "created", "USPS", None, None, created="2026-03-08 08:00"),
]  # fmt: skip

# tracking code, status, delivered_at, first estimate, last event
TRACKERS = [
    ("T1", "delivered", "2026-03-04 10:00", "2026-03-04 20:00", "2026-03-04 10:00"),
    ("T2", "delivered", "2026-03-06 14:24", "2026-03-05 20:00", "2026-03-06 14:24"),
    ("T3", "delivered", "2026-03-14 12:00", "2026-03-14 00:00", "2026-03-14 12:00"),
    ("T4", "delivered", "2026-03-11 08:00", "2026-03-12 20:00", "2026-03-11 08:00"),
    ("T6", "in_transit", None, "2026-03-21 20:00", "2026-03-21 09:00"),
    ("T7", "return_to_sender", None, "2026-03-28 20:00", "2026-03-27 12:00"),
    ("T8", "in_transit", None, "2026-04-02 20:00", "2026-03-31 10:00"),
    ("T11", "delivered", "2026-03-14 18:00", "2026-03-14 20:00", "2026-03-14 18:00"),
    ("T12", "delivered", "2026-02-28 10:00", "2026-03-01 20:00", "2026-02-28 10:00"),
]


async def _insert(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        columns = list(SHIPMENTS[0])
        await conn.executemany(
            f"INSERT INTO shipments ({', '.join(columns)}) "
            f"VALUES ({', '.join(f'${i}' for i in range(1, len(columns) + 1))})",
            [tuple(row[c] for c in columns) for row in SHIPMENTS],
        )
        await conn.executemany(
            "INSERT INTO trackers (tracking_code, status, delivered_at, "
            "first_est_delivery_date, last_event_at) VALUES ($1, $2, $3, $4, $5)",
            [
                (code, status, t(d) if d else None, t(first), t(last))
                for code, status, d, first, last in TRACKERS
            ],
        )
        # S5's refund came back in full; S10 has no refund row, so its price counts.
        await conn.execute(
            "INSERT INTO refunds (shipment_id, easypost_shipment_id, status, amount) "
            "SELECT id, 'shp_s5', 'refunded', 20.00 FROM shipments WHERE reference = 'S5'"
        )
    finally:
        await conn.close()


@pytest.fixture
async def history(db: str) -> str:
    """The hand-made history above, stored in the emptied test database."""
    await _insert(db)
    return db


async def store_tracking(url: str, updates: list[TrackingUpdate]) -> None:
    """Store tracking updates as a sweep would, through a pool of its own."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await store_updates(pool, updates)
    finally:
        await pool.close()
