"""Scan forms by carrier account: an EasyPost account with two USPS accounts gets a form per
account (and origin), as EasyPost requires, whether shipctl stored each label's account when
it bought it, learns it from EasyPost (labels bought before it stored accounts), or had it
wrong."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipctl.simulator import SimulatorConfig
from shipctl.simulator.carrier_accounts import account_id
from tests.conftest import CliResult

from .support import CONFIG, Carrier, Run, carrier_for, write_orders

FIRST, SECOND = account_id("USPS", 1), account_id("USPS", 2)
SCAN_FORM = "POST /v2/scan_forms"


@pytest.fixture
def carrier() -> Iterator[Carrier]:
    with carrier_for(SimulatorConfig(carriers=("USPS", "USPS"))) as carrier:
        yield carrier


@pytest.fixture
def run(shipctl: Run, isolated_env: Path, carrier: Carrier) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)

    def invoke(*args: str) -> CliResult:
        result: CliResult = shipctl(*args, env=carrier.env)
        return result

    return invoke


def buy_on_two_accounts(run: Run, path: Path, count: int) -> None:
    """Orders 0, 2, 4… on the second USPS account; the others on the cheapest rate (the
    first account's, offered first at the same price)."""
    orders = write_orders(path, count, account=lambda i: SECOND if i % 2 == 0 else "")
    result = run("bulk", str(orders), "--yes", "--labels-out", "labels.pdf", "--force")
    assert result.exit_code == 0, result.stdout + result.stderr


def forms_by_key(sql: Run) -> dict[tuple[str, str], set[str]]:
    """(EasyPost form, its carrier account) → the references on it."""
    forms: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in sql("SELECT f.easypost_scan_form_id AS form, f.carrier_account_id AS account, "
                   "s.reference FROM scan_form_labels l JOIN scan_forms f ON "
                   "f.id = l.scan_form_id JOIN shipments s ON s.id = l.shipment_id "
                   "WHERE f.state = 'created'"):
        forms[(row["form"], row["account"])].add(row["reference"])
    return forms


def expected_account(reference: str) -> str:
    return SECOND if int(reference[2:]) % 2 == 0 else FIRST


def assert_one_form_per_account_and_origin(sql: Run, carrier: Carrier, count: int) -> None:
    forms = forms_by_key(sql)
    assert sorted(r for refs in forms.values() for r in refs) == [
        f"M-{i:05d}" for i in range(count)]  # every label, once
    for (_, account), refs in forms.items():
        assert {expected_account(r) for r in refs} == {account}
        assert len({int(r[2:]) % 3 == 0 for r in refs}) == 1  # one origin
    assert len(forms) == 4  # two accounts × two origins
    stats = carrier.sim.stats()["scan_forms"]
    assert stats["total"] == 4 and stats["labels"] == count and stats["max_per_shipment"] == 1


def test_labels_of_two_usps_accounts_go_on_forms_of_their_own_account(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    buy_on_two_accounts(run, isolated_env / "orders.csv", 24)
    stored = {r["reference"]: r["carrier_account_id"] for r in sql(
        "SELECT reference, carrier_account_id FROM shipments")}
    assert stored == {ref: expected_account(ref) for ref in stored}

    result = run("manifest", "--out", "forms.pdf")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "4 form(s) made, 24 label(s) on them" in result.stdout
    assert_one_form_per_account_and_origin(sql, carrier, 24)
    assert carrier.proxy.count(SCAN_FORM) == 4  # none refused: grouped right at once
    assert FIRST in result.stdout and SECOND in result.stdout

    listed = run("manifest", "list")
    assert listed.exit_code == 0, listed.stderr
    assert "account" in listed.stdout
    lines = [line for line in listed.stdout.splitlines() if "created" in line]
    assert len(lines) == 4
    assert sum(FIRST in line for line in lines) == 2
    assert sum(SECOND in line for line in lines) == 2


def test_labels_bought_before_accounts_were_stored_learn_theirs_from_easypost(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    buy_on_two_accounts(run, isolated_env / "orders.csv", 12)
    # As migration 0012 leaves labels bought earlier whose order named no account.
    sql("UPDATE shipments SET carrier_account_id = NULL")
    result = run("manifest")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert_one_form_per_account_and_origin(sql, carrier, 12)
    assert carrier.proxy.count(SCAN_FORM) == 4
    assert carrier.proxy.count("GET /v2/shipments/{id}") == 12  # each read once, then kept
    stored = {r["reference"]: r["carrier_account_id"] for r in sql(
        "SELECT reference, carrier_account_id FROM shipments")}
    assert stored == {ref: expected_account(ref) for ref in stored}


def test_labels_stored_under_the_wrong_account_are_grouped_again(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    buy_on_two_accounts(run, isolated_env / "orders.csv", 12)
    # shipctl believes every label is the first account's: EasyPost refuses the mixed forms
    # naming no label, each label is read, and the second account's are formed apart.
    sql("UPDATE shipments SET carrier_account_id = $1", FIRST)
    result = run("manifest")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "of other carrier accounts, grouped again" in result.stdout
    forms = forms_by_key(sql)
    for (_, account), refs in forms.items():
        assert {expected_account(r) for r in refs} == {account}
    assert sum(len(refs) for refs in forms.values()) == 12
    stats = carrier.sim.stats()["scan_forms"]
    assert stats["labels"] == 12 and stats["max_per_shipment"] == 1 and stats["total"] == 4
    assert sql("SELECT count(*) AS n FROM scan_form_exclusions")[0]["n"] == 0
    stored = {r["reference"]: r["carrier_account_id"] for r in sql(
        "SELECT reference, carrier_account_id FROM shipments")}
    assert stored == {ref: expected_account(ref) for ref in stored}


async def test_migration_0012_backfills_the_accounts_orders_named(db: str) -> None:
    """A label whose order named its carrier account was rated by that account only: the
    migration stores it. Others stay NULL, for `manifest` to read from EasyPost."""
    from urllib.parse import urlsplit

    import asyncpg

    from shipctl.store import migrations

    old = db.replace("/shipctl_test_", "/shipctl_v11_", 1)
    name = urlsplit(old).path.lstrip("/")
    admin = await asyncpg.connect(db)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        conn = await asyncpg.connect(old)
        try:
            before = [m for m in migrations.available() if m.version < 12]
            for migration in before:
                async with conn.transaction():
                    await conn.execute(migration.sql)
            await conn.execute(
                "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text"
                " NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            await conn.executemany("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                   [(m.version, m.name) for m in before])
            await conn.executemany(
                "INSERT INTO shipments (reference, state, mode, easypost_shipment_id, options) "
                "VALUES ($1, 'purchased', 'test', $2, $3::jsonb)",
                [("named", "shp_1", f'{{"carrier_account": "{SECOND}"}}'),
                 ("other", "shp_2", '{"signature": "adult"}'),
                 ("plain", "shp_3", None),
                 ("never-created", None, f'{{"carrier_account": "{SECOND}"}}')])
            applied = [m.version for m in await migrations.migrate(conn)]
            rows = {r["reference"]: r["carrier_account_id"] for r in await conn.fetch(
                "SELECT reference, carrier_account_id FROM shipments")}
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    assert 12 in applied
    assert rows == {"named": SECOND, "other": None, "plain": None, "never-created": None}
