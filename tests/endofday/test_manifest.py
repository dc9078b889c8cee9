"""`shipctl manifest`: the day's labels on scan forms, each exactly once, against the
simulator (its ledger counts the forms every label is on) and the real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.jobs.bulk_support import ledger

from .support import CONFIG, Run, buy, pdf_pages, write_orders


@pytest.fixture
def simulate(shipctl: Run, isolated_env: Path) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    return lambda *args: shipctl("--simulate", *args)


def form_labels(sql: Run) -> dict[str, list[str]]:
    """EasyPost form id → the references on it, as PostgreSQL holds them."""
    rows = sql("SELECT f.easypost_scan_form_id, s.reference FROM scan_form_labels l "
               "JOIN scan_forms f ON f.id = l.scan_form_id JOIN shipments s ON s.id = "
               "l.shipment_id WHERE f.state = 'created' ORDER BY s.reference")
    forms: dict[str, list[str]] = {}
    for row in rows:
        forms.setdefault(row[0], []).append(row[1])
    return forms


@pytest.mark.slow
def test_labels_from_two_origins_go_on_forms_once_grouped_by_origin(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    buy(simulate, write_orders(isolated_env / "orders.csv", 250))
    result = simulate("manifest", "--per-form", "60", "--out", "forms.pdf")
    assert result.exit_code == 0, result.stdout + result.stderr
    forms = form_labels(sql)
    on_forms = [ref for refs in forms.values() for ref in refs]
    assert sorted(on_forms) == [f"M-{i:05d}" for i in range(250)]  # every label, once
    # Grouped by origin: the east warehouse's orders (every third) never share a form.
    for refs in forms.values():
        assert len({int(r[2:]) % 3 == 0 for r in refs}) == 1
        assert len(refs) <= 60
    # 84 east labels → 2 forms; 166 others → 3 forms.
    assert len(forms) == 5
    stats = ledger(isolated_env / "data")["scan_forms"]
    assert stats["total"] == 5 and stats["labels"] == 250 and stats["max_per_shipment"] == 1
    # The forms' PDFs, merged: each form's PDF has at least one page.
    assert pdf_pages(isolated_env / "forms.pdf") >= 5
    assert "5 form(s) made, 250 label(s) on them" in result.stdout

    listed = simulate("manifest", "list", "--date", "today")
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.count("created") == 5


def test_second_run_forms_only_labels_bought_since_and_refunded_ones_are_left_out(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    buy(simulate, write_orders(isolated_env / "a.csv", 12, prefix="A"))
    first = simulate("manifest")
    assert first.exit_code == 0, first.stderr
    assert Path(isolated_env / f"scan-forms-{_today()}.pdf").exists()
    again = simulate("manifest")
    assert again.exit_code == 0 and "left to put on a form" in again.stdout

    buy(simulate, write_orders(isolated_env / "b.csv", 6, prefix="B"))
    refunded = simulate("refund", "B-00001", "B-00002", "--yes")
    assert refunded.exit_code == 0, refunded.stderr
    second = simulate("manifest")
    assert second.exit_code == 0, second.stderr
    forms = form_labels(sql)
    refs = sorted(r for refs in forms.values() for r in refs)
    assert refs == sorted([f"A-{i:05d}" for i in range(12)]
                          + ["B-00000", "B-00003", "B-00004", "B-00005"])
    assert Path(isolated_env / f"scan-forms-{_today()}-2.pdf").exists()
    assert ledger(isolated_env / "data")["scan_forms"]["max_per_shipment"] == 1

    # A label refunded after it was put on a form is reported.
    late = simulate("refund", "A-00004", "--yes")
    assert late.exit_code == 0, late.stderr
    listed = simulate("manifest", "list")
    assert "A-00004" in listed.stderr and "refunded after" in listed.stderr
    rows = {r[0]: (r[1], r[2]) for r in sql(
        "SELECT f.easypost_scan_form_id, count(*), count(*) FILTER (WHERE s.state = 'refunded')"
        " FROM scan_form_labels l JOIN scan_forms f ON f.id = l.scan_form_id"
        " JOIN shipments s ON s.id = l.shipment_id GROUP BY 1")}
    assert sum(refunded_count for _, refunded_count in rows.values()) == 1


def test_bad_date_is_one_clear_line(simulate: Run) -> None:
    result = simulate("manifest", "--date", "someday")
    assert result.exit_code == 2
    assert "--date 'someday': give today, tomorrow or a date" in result.stderr
    assert "Traceback" not in result.stderr


def _today() -> str:
    from shipctl.shipdates import utc_today

    return utc_today().isoformat()


def test_listing_when_nothing_was_formed(simulate: Run) -> None:
    listed = simulate("manifest", "list")
    assert listed.exit_code == 0, listed.stderr
    assert "no simulated scan forms" in listed.stdout


def test_analytics_shows_the_manifested_share_per_ship_day(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    buy(simulate, write_orders(isolated_env / "a.csv", 6, prefix="A"))
    assert simulate("manifest").exit_code == 0
    buy(simulate, write_orders(isolated_env / "b.csv", 2, prefix="B"))  # after the forms
    result = simulate("analytics", "--since", "1d", "--by", "manifested", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["sections"]["manifested"]
    assert [(r["period"], r["labels"], r["manifested"]) for r in rows] == [(_today(), 8, 6)]
    assert float(rows[0]["manifested_share"]) == pytest.approx(0.75)


def test_a_second_manifest_at_the_same_time_is_refused(
    simulate: Run, db: str, isolated_env: Path
) -> None:
    import asyncio

    import asyncpg

    from shipctl.store.manifests import MANIFEST_LOCK

    async def hold_then_run() -> tuple[int, str]:
        conn = await asyncpg.connect(db)
        try:
            assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", MANIFEST_LOCK)
            result = await asyncio.to_thread(simulate, "manifest")
            return result.exit_code, result.stderr
        finally:
            await conn.close()

    code, stderr = asyncio.run(hold_then_run())
    assert code == 2 and "another `shipctl manifest` is running" in stderr
    assert simulate("manifest").exit_code == 0  # the lock went with its session
