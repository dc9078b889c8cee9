"""Writing the demo history: COPY in chunks inside one transaction, then fresh statistics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

from shipctl.errors import InputError
from shipctl.store.sql import query

SHIPMENT_COLUMNS = (
    "reference", "run_id", "mode", "state", "position",
    "to_name", "to_city", "to_state", "to_zip", "to_country",
    "from_company", "from_city", "from_state", "from_zip", "from_country", "weight_oz",
    "requested_carrier", "requested_service", "carrier", "service", "easypost_shipment_id",
    "rate", "currency", "delivery_days", "est_delivery_date", "tracking_code", "purchased_at",
    "error_code", "error_message", "attempts", "created_at", "updated_at",
    "tracking_status", "delivered_at", "first_est_delivery_date", "last_event_at",
)  # fmt: skip
TRACKER_COLUMNS = (
    "tracking_code", "carrier", "status", "status_detail", "est_delivery_date",
    "first_est_delivery_date", "delivered_at", "last_event_at", "checked_at", "created_at",
    "updated_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "tracking_code", "occurred_at", "status", "status_detail", "message", "city", "state",
)  # fmt: skip


class Chunk(Protocol):
    shipments: list[tuple[object, ...]]
    trackers: list[tuple[object, ...]]
    events: list[tuple[object, ...]]


@dataclass(frozen=True)
class SeedCounts:
    run_id: int
    shipments: int
    trackers: int
    events: int
    refunds: int


async def seed(
    pool: asyncpg.Pool,
    options: dict[str, Any],
    history: Callable[[int], Iterable[Chunk]],
    *,
    replace: bool,
) -> SeedCounts:
    """Store `history(run_id)` in one transaction; an interrupted seed leaves nothing behind."""
    shipments = trackers = events = 0
    async with pool.acquire() as conn:
        async with conn.transaction():
            if await conn.fetchval(query("demo_existing")):
                if not replace:
                    raise InputError(
                        "demo shipments are already stored: pass --replace to seed them again"
                    )
                await conn.execute(query("demo_clear"))
            run_id = await conn.fetchval(query("demo_open_run"), options)
            if await conn.fetchval(query("demo_is_superuser")):
                # The history is consistent by construction (a tracker before its events), so
                # the per-row foreign-key triggers, a third of the load time, can be skipped.
                await conn.execute("SET LOCAL session_replication_role = replica")
            chunks = iter(history(run_id))
            # The next chunk is generated in a thread while this one streams into COPY, so
            # Python and PostgreSQL work side by side.
            upcoming = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
            while (chunk := await upcoming) is not None:
                upcoming = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
                await conn.copy_records_to_table(
                    "shipments", records=chunk.shipments, columns=SHIPMENT_COLUMNS
                )
                await conn.copy_records_to_table(
                    "trackers", records=chunk.trackers, columns=TRACKER_COLUMNS
                )
                await conn.copy_records_to_table(
                    "tracking_events", records=chunk.events, columns=EVENT_COLUMNS
                )
                shipments += len(chunk.shipments)
                trackers += len(chunk.trackers)
                events += len(chunk.events)
            refunds = int((await conn.execute(query("demo_refunds"), run_id)).split()[-1])
            await conn.execute(query("demo_close_run"), run_id)
        await conn.execute(query("demo_analyze"))
    return SeedCounts(run_id, shipments, trackers, events, refunds)
