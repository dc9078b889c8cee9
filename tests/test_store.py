"""The store: migrations, the embedded server, and `shipctl db`."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from shipctl.store import database, migrations
from tests.conftest import Shipctl, Sql


def test_migrations_are_numbered_and_recorded(sql: Sql) -> None:
    shipped = [m.version for m in migrations.available()]
    assert shipped == sorted(shipped) and shipped[0] == 1
    recorded = [r["version"] for r in sql("SELECT version FROM schema_migrations ORDER BY 1")]
    assert recorded == shipped


async def test_concurrent_migrations_apply_once(database_url: str) -> None:
    """Several processes connecting at once to an empty database apply each migration once."""
    admin = await asyncpg.connect(database_url)
    await admin.execute("DROP DATABASE IF EXISTS shipctl_race WITH (FORCE)")
    await admin.execute("CREATE DATABASE shipctl_race")
    await admin.close()
    url = urlunsplit(urlsplit(database_url)._replace(path="/shipctl_race"))
    conns = [await asyncpg.connect(url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrations.migrate(c) for c in conns))
        recorded = await conns[0].fetchval("SELECT count(*) FROM schema_migrations")
    finally:
        for c in conns:
            await c.close()
    assert sum(len(r) for r in results) == len(migrations.available())
    assert recorded == len(migrations.available())


async def test_unreachable_database_is_one_line_without_password() -> None:
    target = database.Target(url="postgresql://shipper:hunter2@127.0.0.1:1/orders", embedded=False)
    with pytest.raises(database.DatabaseConfigError) as caught:
        await database.create_pool(target)
    message = caught.value.message
    assert "127.0.0.1:1/orders" in message
    assert "hunter2" not in message and "\n" not in message


def test_reference_is_unique_among_current_labels(sql: Sql) -> None:
    sql("INSERT INTO shipments (reference) VALUES ('A-1')")
    with pytest.raises(asyncpg.UniqueViolationError):
        sql("INSERT INTO shipments (reference) VALUES ('A-1')")
    sql("UPDATE shipments SET superseded_at = now() WHERE reference = 'A-1'")
    sql("INSERT INTO shipments (reference) VALUES ('A-1')")
    assert len(sql("SELECT 1 FROM shipments WHERE reference = 'A-1'")) == 2


def test_tracking_events_deduplicate(sql: Sql) -> None:
    sql("INSERT INTO trackers (tracking_code) VALUES ('EZ1')")
    insert = (
        "INSERT INTO tracking_events (tracking_code, occurred_at, status, message) "
        "VALUES ('EZ1', '2026-11-01T10:00Z', 'in_transit', 'Arrived') ON CONFLICT DO NOTHING"
    )
    sql(insert)
    sql(insert)
    assert len(sql("SELECT 1 FROM tracking_events")) == 1


def test_db_status_and_migrate_cli(shipctl: Shipctl) -> None:
    result = shipctl("db", "status")
    assert result.exit_code == 0, result.stderr
    assert "0 pending" in result.stdout
    assert shipctl("db", "migrate").stdout.strip() == "the database is up to date"
    assert "nothing pending" in shipctl("db", "migrate", "--sql").stdout


def test_bad_database_url_exit_code_and_masking(shipctl: Shipctl) -> None:
    result = shipctl(
        "db", "migrate", env={"DATABASE_URL": "postgresql://shipper:hunter2@127.0.0.1:1/orders"}
    )
    assert result.exit_code == 3
    assert "127.0.0.1:1/orders" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert shipctl(
        "db", "url", env={"DATABASE_URL": "postgresql://shipper:hunter2@db.example:5432/x"}
    ).stdout.strip() == "postgresql://shipper:***@db.example:5432/x"


async def test_a_worker_claims_no_more_orders_than_it_asked_for(db: str, tmp_path: Path) -> None:
    """The rest stay for the run's other workers: one worker hoarding them would leave it
    buying alone at the end of the run while the others have nothing to do."""
    from shipctl.models import Address, Order, Parcel
    from shipctl.store.claims import OrderClaims
    from shipctl.store.shipments import Scope, open_run, record_run_orders

    to = Address(name="Ann Lee", street1="22 Oak Ave", city="Boston", state="MA", zip="02108",
                 country="US")
    orders = [Order(reference=f"C-{i}", to_address=to, parcel=Parcel(weight_oz=Decimal(12)))
              for i in range(40)]
    scope = Scope(mode="test")
    async with database.open_pool(db, tmp_path) as pool:
        run_id, _ = await open_run(pool, "bulk", scope=scope, input_path="orders.csv",
                                   input_sha256="c" * 64, options={})
        await record_run_orders(pool, run_id, orders, scope=scope)
        async with (OrderClaims(pool, run_id, ["pending"]) as one,
                    OrderClaims(pool, run_id, ["pending"]) as two):
            first = await one.claim(5)
            second = await two.claim(5)
            assert len(first) == len(second) == 5
            assert not {o.id for o in first} & {o.id for o in second}
            assert await one.remaining() == 40
