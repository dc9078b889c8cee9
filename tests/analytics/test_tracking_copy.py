"""Each shipment's copy of its tracker (migration 0003) stays what a join would have read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from shipctl.models import TrackingEvent, TrackingUpdate
from shipctl.store import migrations
from tests.analytics.conftest import SHIPMENTS, TRACKERS, _insert, store_tracking, t

pytestmark = pytest.mark.db

# Shipments whose copy differs from what a LEFT JOIN on trackers reads now.
OUT_OF_SYNC = """
SELECT s.reference
FROM shipments s LEFT JOIN trackers t ON t.tracking_code = s.tracking_code
WHERE (s.tracking_status, s.delivered_at, s.first_est_delivery_date, s.last_event_at)
      IS DISTINCT FROM (t.status, t.delivered_at, t.first_est_delivery_date, t.last_event_at)
ORDER BY s.reference
"""
COPY = (
    "SELECT tracking_status, delivered_at, first_est_delivery_date, last_event_at"
    " FROM shipments WHERE reference = $1"
)


def test_history_is_copied_in_sync(history: str, sql: Callable[..., Any]) -> None:
    assert sql(OUT_OF_SYNC) == []
    [s2] = sql(COPY, "S2")
    assert tuple(s2) == (
        "delivered",
        t("2026-03-06 14:24"),
        t("2026-03-05 20:00"),
        t("2026-03-06 14:24"),
    )
    [s5] = sql(COPY, "S5")  # refunded, never tracked
    assert tuple(s5) == (None, None, None, None)


async def test_tracking_sweep_updates_the_copy(history: str, sql: Callable[..., Any]) -> None:
    delivered = TrackingUpdate(
        tracking_code="T6", status="delivered", delivered_at=t("2026-03-23 11:00"),
        est_delivery_date=t("2026-03-23 20:00"),
        events=(TrackingEvent(occurred_at=t("2026-03-23 11:00"), status="delivered"),),
    )  # fmt: skip
    first_seen = TrackingUpdate(
        tracking_code="T9", status="in_transit", est_delivery_date=t("2026-04-03 20:00"),
        events=(TrackingEvent(occurred_at=t("2026-04-01 09:00"), status="in_transit"),),
    )  # fmt: skip
    await store_tracking(history, [delivered, first_seen])
    assert sql(OUT_OF_SYNC) == []
    [s6] = sql(COPY, "S6")
    # the first promise stays, the last scan moves on
    assert tuple(s6) == (
        "delivered",
        t("2026-03-23 11:00"),
        t("2026-03-21 20:00"),
        t("2026-03-23 11:00"),
    )
    [s9] = sql(COPY, "S9")
    assert tuple(s9) == ("in_transit", None, t("2026-04-03 20:00"), t("2026-04-01 09:00"))


def test_codes_and_deletes_follow_the_trackers(history: str, sql: Callable[..., Any]) -> None:
    sql("UPDATE shipments SET tracking_code = 'T1' WHERE reference = 'P1'")  # tracker exists
    sql("UPDATE shipments SET tracking_code = 'T404' WHERE reference = 'S3'")  # no tracker
    sql("DELETE FROM trackers WHERE tracking_code = 'T2'")
    assert sql(OUT_OF_SYNC) == []
    assert sql(COPY, "P1")[0]["tracking_status"] == "delivered"
    assert tuple(sql(COPY, "S3")[0]) == (None, None, None, None)
    assert tuple(sql(COPY, "S2")[0]) == (None, None, None, None)


async def test_migration_backfills_stored_shipments(db: str) -> None:
    """A database at version 2 with shipments and trackers gets its copies on upgrade."""
    old = db.replace("/shipctl_test_", "/shipctl_v2_", 1)
    name = urlsplit(old).path.lstrip("/")

    admin = await asyncpg.connect(db)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        conn = await asyncpg.connect(old)
        try:
            for migration in migrations.available()[:2]:
                async with conn.transaction():
                    await conn.execute(migration.sql)
            await conn.execute(
                "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text"
                " NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
                "INSERT INTO schema_migrations VALUES (1, 'initial'), (2, 'analytics')"
            )
            await _insert(old)
            applied = [m.version for m in await migrations.migrate(conn)]
            copied = await conn.fetchval(
                "SELECT count(*) FROM shipments WHERE tracking_status IS NOT NULL"
            )
            out_of_sync = await conn.fetch(OUT_OF_SYNC)
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    assert applied == [m.version for m in migrations.available()[2:]]
    assert out_of_sync == []
    tracked = {code for code, *_ in TRACKERS}
    assert copied == sum(s["tracking_code"] in tracked for s in SHIPMENTS) == 9
