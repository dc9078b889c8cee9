"""The day rollups of migration 0004: reports read them, yet stay exact whatever changes."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from shipctl.analytics.export import report_rows
from shipctl.analytics.report import build_report, parse_sections
from shipctl.analytics.window import make_window
from shipctl.store.database import Target, create_pool
from tests.analytics.conftest import t

pytestmark = pytest.mark.db

ALL = parse_sections("overview,carrier,service,day,week,month,route,status,failures")
NOW = datetime(2026, 4, 1, tzinfo=UTC)
MARCH_DAYS = "day >= '2026-03-01' AND day < '2026-04-01'"


async def _report(url: str, since: str, until: str, **settings: str) -> dict[str, Any]:
    if settings:  # a plain pool, e.g. read-only, on the already migrated database
        pool = await asyncpg.create_pool(url, min_size=1, max_size=4, server_settings=settings)
    else:
        pool = await create_pool(Target(url=url, embedded=False), max_size=4)
    try:
        window = make_window(since, until, NOW)
        return report_rows(await build_report(pool, window, ALL, top=10, as_of=NOW))
    finally:
        await pool.close()


async def report(url: str, since: str = "2026-03-01", until: str = "2026-03-31",
                 **settings: str) -> Any:
    return await _report(url, since, until, **settings)


async def test_report_builds_rollups_and_then_reads_them(
    history: str, sql: Callable[..., Any],
) -> None:
    assert sql("SELECT count(*) FROM analytics_service_days")[0][0] == 0
    first = await report(history)
    # every whole March day with labels was rebuilt and its change notes consumed
    days = sql("SELECT DISTINCT day FROM analytics_service_days ORDER BY day")
    assert [str(d[0]) for d in days] == [
        "2026-03-02", "2026-03-03", "2026-03-05", "2026-03-10", "2026-03-12", "2026-03-16",
        "2026-03-20", "2026-03-25", "2026-03-30", "2026-03-31",
    ]  # fmt: skip
    assert sql(f"SELECT count(*) FROM analytics_changes WHERE {MARCH_DAYS}")[0][0] == 0
    assert sql("SELECT count(*) FROM analytics_route_days")[0][0] > 0
    assert await report(history) == first


async def test_changes_after_a_refresh_are_seen(history: str, sql: Callable[..., Any]) -> None:
    before = await report(history)
    assert before["overview"][0]["delivered"] == 5
    # S6 is delivered (a tracking sweep writes the tracker; the copy trigger updates S6),
    # S8's label is refunded with a partial refund, and S1 is deleted.
    sql("UPDATE trackers SET status = 'delivered', delivered_at = '2026-03-22 09:00+00' "
        "WHERE tracking_code = 'T6'")  # fmt: skip
    sql("UPDATE shipments SET state = 'refunded' WHERE reference = 'S8'")
    sql("INSERT INTO refunds (shipment_id, easypost_shipment_id, status, amount) "
        "SELECT id, 'shp_s8', 'refunded', 5.00 FROM shipments WHERE reference = 'S8'")
    sql("DELETE FROM shipments WHERE reference = 'S1'")
    noted = sql(f"SELECT DISTINCT day FROM analytics_changes WHERE {MARCH_DAYS} ORDER BY day")
    assert [str(d[0]) for d in noted] == ["2026-03-02", "2026-03-20", "2026-03-30"]

    # Read-only: no refresh possible, the changed days are read from the shipments.
    read_only = await report(history, default_transaction_read_only="on")
    assert sql(f"SELECT count(DISTINCT day) FROM analytics_changes WHERE {MARCH_DAYS}")[0][0] == 3
    after = await report(history)  # refreshes, then reads the rebuilt rollups
    assert sql(f"SELECT count(*) FROM analytics_changes WHERE {MARCH_DAYS}")[0][0] == 0
    assert read_only == after
    overview = after["overview"][0]
    assert overview["labels"] == 10  # S1 gone
    assert overview["spend"] == "155.35"  # 165.35 - 10.00
    assert overview["refunds"] == 3  # S5 S10 S8
    assert overview["refund_amount"] == "32.50"  # 20.00 + 7.50 + S8's 5.00
    # delivered among labels not refunded: S2 S3 S4 S11 and now S6; S1 gone, S8 refunded
    assert (overview["delivered"], overview["delivered_share"]) == (5, 0.714)
    ups = next(r for r in after["carrier"] if r["carrier"] == "UPS")
    # S4 1 day, S6 bought 20 March, delivered 22 March: 2 days
    assert (ups["delivered"], ups["transit_days_mean"], ups["transit_days_p90"]) == (2, 1.5, 1.9)


async def test_window_edges_inside_days_are_read_from_shipments(history: str) -> None:
    await report(history)  # rollups built for every March day
    # 2 March 10:00 (S1 bought at exactly 10:00: in) to 10 March 10:00 (S4 at 08:00 in,
    # S3 at 12:00 out): S1 S2 S10 S4.
    figures = await report(history, "2026-03-02T10:00", "2026-03-10T10:00")
    overview = figures["overview"][0]
    assert (overview["labels"], overview["spend"]) == (4, "44.75")
    assert [(d["period"], d["labels"]) for d in figures["day"]] == [
        ("2026-03-02", 1), ("2026-03-03", 1), ("2026-03-05", 1), ("2026-03-10", 1)]
    # A window inside one day: S3 and S4 both bought on 10 March.
    inside = (await report(history, "2026-03-10T07:00", "2026-03-10T13:00"))["overview"][0]
    assert (inside["labels"], inside["spend"]) == (2, "21.75")


async def test_histogram_percentile_equals_percentile_cont(db: str) -> None:
    rng = random.Random(7)

    conn = await asyncpg.connect(db)
    try:
        for _ in range(60):
            values = [rng.randint(0, 9) for _ in range(rng.randint(1, 40))]
            counts: dict[int, int] = {}
            for v in values:
                counts[v] = counts.get(v, 0) + 1
            days = list(counts)  # histogram pairs in no particular order
            for fraction in (0.0, 0.1, 0.5, 0.9, 1.0):
                expected = await conn.fetchval(
                    "SELECT percentile_cont($2::float8) WITHIN GROUP (ORDER BY v) "
                    "FROM unnest($1::int[]) AS v", values, fraction)  # fmt: skip
                got = await conn.fetchval(
                    "SELECT transit_percentile($1::int[], $2::bigint[], $3)",
                    [*days, None], [*(counts[d] for d in days), 3], fraction)  # fmt: skip
                assert got == pytest.approx(expected), (values, fraction)
        assert await conn.fetchval(
            "SELECT transit_percentile('{}'::int[], '{}'::bigint[], 0.5)") is None
    finally:
        await conn.close()


async def test_truncate_empties_the_rollups(history: str, sql: Callable[..., Any]) -> None:
    await report(history)
    sql("TRUNCATE shipments CASCADE")
    assert sql("SELECT count(*) FROM analytics_service_days")[0][0] == 0
    assert sql("SELECT count(*) FROM analytics_route_days")[0][0] == 0
    assert (await report(history))["overview"][0]["labels"] == 0


async def test_demo_seed_notes_every_day_despite_replica_role(
    db: str, sql: Callable[..., Any],
) -> None:
    """`demo seed` loads with session_replication_role = replica; the notes still happen."""

    conn = await asyncpg.connect(db)
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute(
            "INSERT INTO shipments (reference, state, mode, carrier, service, rate, "
            "purchased_at) VALUES ('R1', 'purchased', 'simulated', 'USPS', 'Priority', "
            "5.00, $1)", t("2026-03-04 12:00"))  # fmt: skip
    finally:
        await conn.close()

    assert [str(d[0]) for d in sql("SELECT day FROM analytics_changes")] == ["2026-03-04"]
