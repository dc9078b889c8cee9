"""Carrier pickups: the intent written before each request, and what EasyPost answered.

A pickup is created (state `creating` → `created`) and then bought (`buying` → `scheduled`);
`buying` is committed before the buy is sent, so a lost answer is resolved by retrieving the
pickup, never by buying again. One pickup a day per carrier and origin until cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import asyncpg

from shipctl.store.manifests import ManifestLabel, labels_shipping_on
from shipctl.store.sql import query


@dataclass(frozen=True)
class StoredPickup:
    id: int
    mode: str
    pickup_date: date
    state: str
    pickup_id: str | None
    reference: str
    label_carrier: str
    origin: str
    shipment_id: str
    carrier: str | None
    service: str | None
    rate: Decimal | None
    confirmation: str | None
    min_datetime: datetime
    max_datetime: datetime
    instructions: str | None
    label_count: int
    error_message: str | None


def _pickup(row: asyncpg.Record) -> StoredPickup:
    return StoredPickup(
        row["id"], row["mode"], row["pickup_date"], row["state"], row["easypost_pickup_id"],
        row["reference"], row["label_carrier"], row["origin"], row["shipment_id"],
        row["carrier"], row["service"], row["rate"], row["confirmation"], row["min_datetime"],
        row["max_datetime"], row["instructions"], row["label_count"], row["error_message"])


async def day_labels(
    pool: asyncpg.Pool, *, mode: str, ship_date: date, carrier: str | None
) -> list[ManifestLabel]:
    return await labels_shipping_on(pool, mode=mode, ship_date=ship_date, carrier=carrier)


async def open_pickup(
    pool: asyncpg.Pool, *, mode: str, day: date, label_carrier: str, origin: str
) -> StoredPickup | None:
    row = await pool.fetchrow(query("pickups_open"), mode, day, label_carrier, origin)
    return None if row is None else _pickup(row)


async def intend(
    pool: asyncpg.Pool, *, mode: str, day: date, reference: str, label_carrier: str,
    origin: str, shipment_id: str, window: tuple[datetime, datetime],
    instructions: str | None, labels: int,
) -> StoredPickup | None:
    """The pickup's row, written before it is created; None when the day has one already."""
    row = await pool.fetchrow(query("pickups_intend"), mode, day, reference, label_carrier,
                              origin, shipment_id, window[0], window[1], instructions, labels)
    return None if row is None else _pickup(row)


async def update(
    pool: asyncpg.Pool, row_id: int, state: str, *, pickup_id: str | None = None,
    carrier: str | None = None, service: str | None = None, rate: Decimal | None = None,
    confirmation: str | None = None, error: str | None = None,
) -> StoredPickup:
    row = await pool.fetchrow(query("pickups_update"), row_id, state, pickup_id, carrier,
                              service, rate, confirmation, error)
    assert row is not None
    return _pickup(row)


async def list_pickups(pool: asyncpg.Pool, *, mode: str, day: date | None) -> list[StoredPickup]:
    return [_pickup(r) for r in await pool.fetch(query("pickups_list"), mode, day)]


async def find(pool: asyncpg.Pool, *, mode: str, key: str) -> StoredPickup | None:
    row = await pool.fetchrow(query("pickups_find"), mode, key)
    return None if row is None else _pickup(row)
