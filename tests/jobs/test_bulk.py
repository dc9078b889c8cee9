"""`shipctl bulk` end to end: the real SDK, the simulator, and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import easypost
import pypdf
import pytest

from shipctl.simulator import SimulatorConfig, running_simulator
from tests.conftest import Shipctl, Sql
from tests.jobs.bulk_support import (
    EXAMPLES,
    ledger,
    read_results,
    use_example_settings,
    write_orders,
)


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the Rich tables in `text`, cell by cell."""
    return [[cell.strip() for cell in line.strip().strip("│").split("│")]
            for line in text.splitlines() if line.startswith("│")]


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


def test_buys_every_order_once_with_results_and_labels(
    shipctl: Shipctl, home: Path, sql: Sql,
) -> None:
    result = shipctl("--simulate", "bulk", str(EXAMPLES / "orders.csv"), "--yes",
                     "--results-out", "results.csv", "--labels-out", "labels.pdf")
    assert result.exit_code == 0, result.stdout + result.stderr
    purchased = sql("SELECT reference, tracking_code, mode FROM shipments WHERE state='purchased'")
    assert len(purchased) == 66  # 4 of them abroad
    assert {row["mode"] for row in purchased} == {"simulated"}
    stats = ledger(home / "data")
    assert stats["purchases"]["total"] == 66
    assert stats["purchases"]["max_per_reference"] == 1
    assert stats["purchases"]["max_per_shipment"] == 1
    rows = read_results(home / "results.csv")
    assert [r["status"] for r in rows] == ["purchased"] * 66
    assert {r["tracking_code"] for r in rows} == {row["tracking_code"] for row in purchased}
    # Each international label is followed by its customs form.
    assert len(pypdf.PdfReader(home / "labels.pdf").pages) == 66 + 4
    assert "purchased 66 · failed 0" in result.stdout


def test_rerun_buys_nothing_again(shipctl: Shipctl, home: Path) -> None:
    orders = write_orders(home / "orders.csv", 12)
    assert shipctl("--simulate", "bulk", str(orders), "--yes").exit_code == 0
    again = shipctl("--simulate", "bulk", str(orders), "--yes", "--results-out", "again.csv")
    assert again.exit_code == 0, again.stderr
    assert "12 already purchased" in again.stdout
    assert ledger(home / "data")["purchases"]["total"] == 12
    rows = read_results(home / "again.csv")
    assert {r["status"] for r in rows} == {"already_purchased"}
    assert all(r["tracking_code"] for r in rows)


def test_a_refunded_order_is_reported_refunded_and_not_bought_again(
    shipctl: Shipctl, home: Path,
) -> None:
    orders = write_orders(home / "orders.csv", 4)
    assert shipctl("--simulate", "bulk", str(orders), "--yes").exit_code == 0
    refunded = shipctl("--simulate", "refund", "T-00001", "--by", "reference", "--yes")
    assert refunded.exit_code == 0, refunded.stdout + refunded.stderr
    again = shipctl("--simulate", "bulk", str(orders), "--yes", "--results-out", "again.csv")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "1 refunded, not bought again" in again.stdout
    assert "3 already purchased" in again.stdout
    assert ledger(home / "data")["purchases"]["total"] == 4
    statuses = {r["reference"]: r["status"] for r in read_results(home / "again.csv")}
    assert statuses == {"T-00000": "already_purchased", "T-00001": "refunded",
                        "T-00002": "already_purchased", "T-00003": "already_purchased"}
    rebought = shipctl("--simulate", "bulk", str(orders), "--yes", "--rebuy")
    assert rebought.exit_code == 0, rebought.stdout + rebought.stderr
    assert ledger(home / "data")["purchases"]["total"] == 8


def test_only_orders_bought_by_another_run_are_skipped(shipctl: Shipctl, home: Path) -> None:
    first = write_orders(home / "first.csv", 4)
    assert shipctl("--simulate", "bulk", str(first), "--yes").exit_code == 0
    both = write_orders(home / "both.csv", 9)  # the same four references, then five new ones
    again = shipctl("--simulate", "bulk", str(both), "--yes", "--results-out", "both.csv.out")
    assert again.exit_code == 0, again.stderr
    assert "4 already purchased" in again.stdout
    assert ledger(home / "data")["purchases"]["total"] == 9
    statuses = {r["reference"]: r["status"] for r in read_results(home / "both.csv.out")}
    assert statuses == {f"T-{i:05d}": "already_purchased" if i < 4 else "purchased"
                        for i in range(9)}


def test_rebuy_buys_a_new_label_on_purpose(shipctl: Shipctl, home: Path, sql: Sql) -> None:
    orders = write_orders(home / "orders.csv", 3)
    assert shipctl("--simulate", "bulk", str(orders), "--yes").exit_code == 0
    assert shipctl("--simulate", "bulk", str(orders), "--yes", "--rebuy").exit_code == 0
    assert ledger(home / "data")["purchases"]["total"] == 6
    current = sql("SELECT count(*) AS n FROM shipments WHERE superseded_at IS NULL "
                  "AND state = 'purchased'")
    assert current[0]["n"] == 3


def test_invalid_file_buys_nothing_and_names_row_column_value(
    shipctl: Shipctl, home: Path, sql: Sql,
) -> None:
    orders = write_orders(home / "orders.csv", 4, rows=[
        ["BAD-1", "Ann Lee", "1 Main St", "Austin", "TX", "9410", "12oz", "small"],
        ["BAD-2", "Bo Chen", "2 Main St", "Austin", "TX", "78701", "abc", "small"],
    ])
    result = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    title = result.stdout.splitlines()[0].strip()
    assert title == "2 invalid orders, 2 errors — nothing was bought"
    assert table_rows(result.stdout) == [
        ["BAD-1", "6", "zip", "9410", "a US ZIP has 5 or 9 digits"],
        ["BAD-2", "7", "weight", "abc",
         "a weight is a positive number with an optional unit (oz, lb, g, kg)"],
    ]
    assert sql("SELECT count(*) AS n FROM shipments")[0]["n"] == 0
    skipped = shipctl("--simulate", "bulk", str(orders), "--yes", "--skip-invalid")
    assert skipped.exit_code == 0, skipped.stdout
    assert ledger(home / "data")["purchases"]["total"] == 4


def test_dry_run_quotes_then_the_real_run_reuses_the_shipments(
    shipctl: Shipctl, home: Path,
) -> None:
    orders = write_orders(home / "orders.csv", 5)
    quoted = shipctl("--simulate", "bulk", str(orders), "--dry-run")
    assert quoted.exit_code == 0, quoted.stderr
    assert "Quote" in quoted.stdout and "dry run: nothing bought" in quoted.stdout
    stats = ledger(home / "data")
    assert stats["purchases"]["total"] == 0
    created = stats["requests"]["POST /v2/shipments"]["201"]
    assert shipctl("--simulate", "bulk", str(orders), "--yes").exit_code == 0
    stats = ledger(home / "data")
    assert stats["purchases"]["total"] == 5
    assert stats["requests"]["POST /v2/shipments"]["201"] == created


def test_refuses_to_buy_without_a_terminal_or_yes(shipctl: Shipctl, home: Path) -> None:
    orders = write_orders(home / "orders.csv", 2)
    result = shipctl("--simulate", "bulk", str(orders))
    assert result.exit_code == 2
    assert "--yes" in result.stderr


def test_results_file_escapes_formulas(shipctl: Shipctl, home: Path) -> None:
    orders = write_orders(home / "orders.csv", 0, rows=[
        ["=HYPERLINK(\"x\")", "Eve", "1 Main St", "Austin", "TX", "78701", "8oz", "small"],
        ["@SUM(A1)", "Mal", "2 Main St", "Austin", "TX", "78701", "8oz", "small"],
    ])
    assert shipctl("--simulate", "bulk", str(orders), "--yes",
                   "--results-out", "r.csv").exit_code == 0
    references = [r["reference"] for r in read_results(home / "r.csv")]
    assert references == ["'=HYPERLINK(\"x\")", "'@SUM(A1)"]


def test_existing_output_is_not_overwritten_without_force(shipctl: Shipctl, home: Path) -> None:
    orders = write_orders(home / "orders.csv", 1)
    (home / "r.csv").write_text("keep me")
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--results-out", "r.csv")
    assert result.exit_code == 2 and "--force" in result.stderr
    assert (home / "r.csv").read_text() == "keep me"
    assert ledger(home / "data")["purchases"]["total"] == 0


def test_order_left_created_after_a_crash_is_resolved_not_rebought(
    shipctl: Shipctl, home: Path, sql: Sql
) -> None:
    """The buy took effect but the process died before recording it: a rerun finds the label."""
    orders = write_orders(home / "orders.csv", 3)
    assert shipctl("--simulate", "bulk", str(orders), "--dry-run").exit_code == 0
    shipment_id = sql("SELECT easypost_shipment_id AS id, rate_id FROM shipments "
                      "WHERE reference = 'T-00001'")[0]
    with running_simulator(SimulatorConfig(state_path=home / "data" / "simulator.sqlite3")) as sim:
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        client.shipment.buy(shipment_id["id"], rate={"id": shipment_id["rate_id"]})
    result = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert result.exit_code == 0, result.stdout
    stats = ledger(home / "data")
    assert stats["purchases"]["total"] == 3
    assert stats["purchases"]["max_per_shipment"] == 1
    assert stats["purchases"]["max_per_reference"] == 1
    states = {r["reference"]: r["state"] for r in sql("SELECT reference, state FROM shipments")}
    assert set(states.values()) == {"purchased"}


def test_shopify_export_groups_line_items_and_lists_skips(
    shipctl: Shipctl, home: Path, sql: Sql,
) -> None:
    result = shipctl("--simulate", "bulk", str(EXAMPLES / "shopify_orders_export.csv"), "--yes",
                     "--sku-weights", str(EXAMPLES / "skus.csv"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "skipped" in result.stdout
    rows = sql("SELECT reference, array_length(source_rows, 1) AS n FROM shipments")
    assert rows and any(r["n"] > 1 for r in rows)


def test_json_orders(shipctl: Shipctl, home: Path, sql: Sql) -> None:
    result = shipctl("--simulate", "bulk", str(EXAMPLES / "orders.json"), "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert sql("SELECT count(*) AS n FROM shipments WHERE state='purchased'")[0]["n"] == 10


def _subprocess_env(home: Path, db: str, api_base: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SHIPCTL_", "EASYPOST_")) and k != "DATABASE_URL"}
    env.update(DATABASE_URL=db, EASYPOST_API_BASE=api_base, EASYPOST_API_KEY="EZTK-test",
               SHIPCTL_DATA_DIR=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
    return env


def _bulk(orders: Path, home: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "shipctl", "bulk", str(orders), "--yes", *extra],
        cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
def test_two_processes_on_one_file_buy_each_order_once(home: Path, db: str, sql: Sql) -> None:
    orders = write_orders(home / "orders.csv", 80)
    with running_simulator(SimulatorConfig(latency=0.02, seed=3)) as sim:
        env = _subprocess_env(home, db, sim.api_base)
        first, second = _bulk(orders, home, env), _bulk(orders, home, env)
        outputs = [p.communicate(timeout=120) for p in (first, second)]
        stats = sim.stats()
    assert {first.returncode, second.returncode} == {0}, outputs
    assert stats["purchases"]["total"] == 80
    assert stats["purchases"]["max_per_reference"] == 1
    assert sql("SELECT count(*) AS n FROM shipments WHERE state='purchased'")[0]["n"] == 80


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_a_rerun_finishes(home: Path, db: str, sql: Sql) -> None:
    orders = write_orders(home / "orders.csv", 120)
    with running_simulator(SimulatorConfig(latency=0.1, seed=5)) as sim:
        env = _subprocess_env(home, db, sim.api_base)
        run = _bulk(orders, home, env, "--concurrency", "4")
        deadline = time.monotonic() + 60
        while sim.stats()["purchases"]["total"] < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=60)
        assert run.returncode == 130, out + err
        assert "interrupted" in out and "Traceback" not in err
        interrupted = sim.stats()["purchases"]["total"]
        assert 0 < interrupted < 120
        rerun = _bulk(orders, home, env)
        out, err = rerun.communicate(timeout=120)
        stats = sim.stats()
    assert rerun.returncode == 0, out + err
    assert stats["purchases"]["total"] == 120
    assert stats["purchases"]["max_per_reference"] == 1
    assert sql("SELECT count(*) AS n FROM shipments WHERE state='purchased'")[0]["n"] == 120
    assert sql("SELECT count(*) AS n FROM runs")[0]["n"] == 1


async def test_library_confirm_callback_sees_the_quote_and_can_decline(
    home: Path, db: str,
) -> None:
    """`run_bulk` from Python: a declined quote buys nothing; an accepted one buys it all."""
    from shipctl.cli.wiring import connect_carrier
    from shipctl.config import load_settings
    from shipctl.jobs.bulk import BulkOptions, QuoteSummary, run_bulk

    orders = write_orders(home / "orders.csv", 4)
    settings = load_settings({"simulate": True, "database_url": db}).settings
    seen: list[QuoteSummary] = []

    def decline(quote: QuoteSummary) -> bool:
        seen.append(quote)
        return False

    declined = await run_bulk(settings, BulkOptions(path=orders), confirm=decline,
                               carriers=connect_carrier)
    assert declined.status == "declined"
    assert seen[0].orders == 4 and seen[0].total > 0
    assert ledger(home / "data")["purchases"]["total"] == 0
    accepted = await run_bulk(settings, BulkOptions(path=orders), confirm=lambda quote: True,
                               carriers=connect_carrier)
    assert accepted.status == "completed" and accepted.purchased == 4
    assert ledger(home / "data")["purchases"]["total"] == 4
