"""Tracking storage: the shipments in flight, the sweep lock, and trackers with their events.

Each batch of updates is written in one transaction of two statements (trackers upserted,
events inserted with ON CONFLICT DO NOTHING), so a sweep killed midway keeps every batch it
finished and a rerun adds no duplicate events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from shipctl.models import TrackingUpdate
from shipctl.store.sql import query

# Any fixed 64-bit number ("SHIPCTRK"): held by the one sweep running against a database.
SWEEP_LOCK = 0x5348_4950_4354_524B


@dataclass(frozen=True)
class TrackedShipment:
    """A bought shipment as tracking sees it: its code, carrier and what is stored so far."""

    tracking_code: str
    carrier: str | None
    tracker_id: str | None
    reference: str | None
    purchased_at: datetime | None
    est_delivery_date: datetime | None
    last_event_at: datetime | None
    status: str | None


def _shipment(row: asyncpg.Record) -> TrackedShipment:
    return TrackedShipment(
        tracking_code=row["tracking_code"],
        carrier=row["carrier"],
        tracker_id=row["tracker_id"],
        reference=row["reference"],
        purchased_at=row["purchased_at"],
        est_delivery_date=row["est_delivery_date"],
        last_event_at=row["last_event_at"],
        status=row["status"],
    )


async def in_flight(pool: asyncpg.Pool, *, purchased_since: datetime) -> list[TrackedShipment]:
    """Current purchased shipments bought since then whose tracking status is not final."""
    rows = await pool.fetch(query("tracked_shipments"), None, purchased_since)
    return [_shipment(row) for row in rows]


async def open_exceptions(
    pool: asyncpg.Pool, *, purchased_since: datetime
) -> list[dict[str, Any]]:
    """Returned and failed shipments bought since then, neither refunded nor bought again."""
    return [dict(row) for row in await pool.fetch(query("tracking_open_exceptions"),
                                                  purchased_since)]


async def known_shipments(
    pool: asyncpg.Pool, tracking_codes: Sequence[str]
) -> dict[str, TrackedShipment]:
    """The current shipments with these tracking codes, by code."""
    rows = await pool.fetch(query("tracked_shipments"), list(tracking_codes), None)
    return {row["tracking_code"]: _shipment(row) for row in rows}


async def store_updates(pool: asyncpg.Pool, updates: Sequence[TrackingUpdate]) -> Counter[str]:
    """Upsert the trackers and add their new events in one transaction; new events per code."""
    latest: dict[str, TrackingUpdate] = {u.tracking_code: u for u in updates}
    if not latest:
        return Counter()
    batch = list(latest.values())
    events = [(u.tracking_code, e) for u in batch for e in u.events]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            query("tracking_upsert_trackers"),
            [u.tracking_code for u in batch],
            [u.carrier for u in batch],
            [u.tracker_id for u in batch],
            [u.status for u in batch],
            [u.status_detail for u in batch],
            [u.est_delivery_date for u in batch],
            [u.delivered_at for u in batch],
            [u.signed_by for u in batch],
            [u.public_url for u in batch],
            [max((e.occurred_at for e in u.events), default=None) for u in batch],
        )
        added = await conn.fetch(
            query("tracking_insert_events"),
            [code for code, _ in events],
            [e.occurred_at for _, e in events],
            [e.status for _, e in events],
            [e.status_detail for _, e in events],
            # the unique key includes the message: '' (the column default) stands for none
            [e.message or "" for _, e in events],
            [e.city for _, e in events],
            [e.state for _, e in events],
            [e.zip for _, e in events],
            [e.country for _, e in events],
        )
    return Counter(row["tracking_code"] for row in added)


@asynccontextmanager
async def sweep_lock(pool: asyncpg.Pool) -> AsyncIterator[bool]:
    """Hold the sweep lock for the block if no other sweep holds it; yields whether it did.

    A session-level advisory lock on a connection kept for the whole sweep: PostgreSQL
    releases it when that session ends, so a sweep killed with -9 never leaves it behind.
    """
    async with pool.acquire() as conn:
        acquired = bool(await conn.fetchval(query("tracking_try_lock"), SWEEP_LOCK))
        try:
            yield acquired
        finally:
            if acquired and not conn.is_closed():
                await conn.fetchval(query("tracking_unlock"), SWEEP_LOCK)
