"""`create` and `refund` under lost answers, outages and a killed process; a database that
cannot record a label EasyPost sold. At the HTTP level, judged by the simulator's ledger.

`create` without `--reference` names each order by the time it runs, so a rerun of the same
command was a new order: a lost buy answer followed by an outage, then the rerun the message
asked for, bought a second label. A refund's answer lost on the way back left no trace.
"""

from __future__ import annotations

import math
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from shipctl.simulator import SimulatorConfig
from tests.jobs.test_create import CONFIG, TO

from . import chaos
from .test_money_safety import Carrier, Shipctl, Sql, carrier_at, current

pytestmark = pytest.mark.db

REFUND = "POST /v2/shipments/{id}/refund"
CREATE_ARGS = ("create", *TO, "--weight", "13oz", "--yes")


@pytest.fixture
def home(isolated_env: Path) -> Path:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    return isolated_env


@pytest.fixture
def carrier() -> Any:
    with carrier_at() as found:
        yield found


def refunds(sql: Sql) -> list[tuple[str, str]]:
    return [(r["reference"], r["status"]) for r in sql(
        "SELECT s.reference, r.status FROM refunds r JOIN shipments s ON s.id = r.shipment_id")]


def refund_requests(carrier: Carrier) -> int:
    return sum(carrier.sim.stats()["requests"].get(REFUND, {}).values())


# --- create -------------------------------------------------------------------------------


def test_create_rerun_after_a_lost_answer_and_an_outage_buys_no_second_label(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(home)
    carrier.proxy.lose_buy_answer(nth=1, down_for=math.inf)
    first = shipctl(*CREATE_ARGS, env=carrier.env)
    assert first.exit_code == 1, first.stdout + first.stderr
    assert "rerun the same command" in first.stderr
    [lost] = carrier.proxy.lost
    [row] = current(sql).values()
    assert (row["state"], row["easypost_shipment_id"]) == ("unknown", lost)
    assert carrier.purchases()["total"] == 1  # the buy went through; its answer did not

    carrier.proxy.up()
    time.sleep(1.1)  # the clock-stamped reference of the rerun differs
    second = shipctl(*CREATE_ARGS, env=carrier.env)
    assert second.exit_code == 0, second.stdout + second.stderr
    assert "no known outcome" in second.stderr
    purchases = carrier.purchases()
    assert purchases["total"] == 1 and purchases["by_shipment"] == {lost: 1}
    [row] = current(sql).values()
    assert row["state"] == "purchased"
    assert row["tracking_code"] == carrier.shipment(lost)["tracking_code"]
    assert (home / f"{row['reference']}.pdf").stat().st_size > 0


def test_create_rerun_when_the_lost_buy_never_arrived_buys_one_label(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(home)
    carrier.proxy.refuse_buy(nth=1)
    assert shipctl(*CREATE_ARGS, env=carrier.env).exit_code == 1
    assert carrier.purchases()["total"] == 0
    carrier.proxy.up()
    time.sleep(1.1)
    second = shipctl(*CREATE_ARGS, env=carrier.env)
    assert second.exit_code == 0, second.stdout + second.stderr
    assert carrier.purchases()["total"] == 1
    assert [r["state"] for r in current(sql).values()] == ["purchased"]


def test_create_of_the_same_parcel_again_after_a_label_is_a_new_label(
    shipctl: Shipctl, home: Path, carrier: Carrier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only an order whose outcome is unknown is resumed: two identical parcels are two."""
    monkeypatch.chdir(home)
    assert shipctl(*CREATE_ARGS, env=carrier.env).exit_code == 0
    time.sleep(1.1)
    again = shipctl(*CREATE_ARGS, env=carrier.env)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "no known outcome" not in again.stderr
    assert carrier.purchases()["total"] == 2


def test_create_killed_during_the_buy_then_rerun_buys_one_label(
    home: Path, db: str, sql: Sql
) -> None:
    with carrier_at(SimulatorConfig()) as carrier:
        carrier.proxy.hang_buys(1.5)
        env = chaos.shipctl_env(home, database_url=db, api_base=carrier.proxy.api_base)
        run = chaos.start_shipctl(list(CREATE_ARGS), cwd=home, env=env)
        deadline = time.monotonic() + 60
        while carrier.proxy.count("POST /v2/shipments/{id}/buy") == 0:
            assert time.monotonic() < deadline and run.poll() is None, run.communicate()
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
        carrier.proxy.settle()
        carrier.proxy.hang_buys(0)
        assert carrier.purchases()["total"] == 1  # the buy landed after the process died
        again = chaos.shipctl(list(CREATE_ARGS), cwd=home, env=env, timeout=120)
        purchases = carrier.purchases()
    assert again.exit_code == 0, again.stdout + again.stderr
    assert purchases["total"] == 1
    assert [r["state"] for r in current(sql).values()] == ["purchased"]


# --- refund -------------------------------------------------------------------------------


def test_a_refund_whose_answer_is_lost_is_resolved_by_status(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(home)
    assert shipctl("create", *TO, "--weight", "12oz", "--reference", "R-1", "--yes",
                   env=carrier.env).exit_code == 0
    carrier.proxy.lose_answer(REFUND, nth=1, down_for=math.inf)
    first = shipctl("refund", "R-1", "--yes", env=carrier.env)
    assert first.exit_code == 1, first.stdout + first.stderr
    assert "refund --status" in first.stderr
    assert carrier.sim.stats()["refunds"]["total"] == 1  # EasyPost took it
    assert refunds(sql) == [("R-1", "requested")]

    carrier.proxy.up()
    status = shipctl("refund", "--status", env=carrier.env)
    assert status.exit_code == 0, status.stdout + status.stderr
    assert refunds(sql) == [("R-1", "submitted")]
    assert [r["state"] for r in current(sql).values()] == ["refunded"]
    assert refund_requests(carrier) == 1  # found out by reading, not by asking again


def test_a_refund_that_never_arrived_is_taken_back_and_can_be_asked_again(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(home)
    assert shipctl("create", *TO, "--weight", "12oz", "--reference", "R-2", "--yes",
                   env=carrier.env).exit_code == 0
    carrier.proxy.down()
    first = shipctl("refund", "R-2", "--yes", env=carrier.env)
    assert first.exit_code == 1, first.stdout + first.stderr
    assert refunds(sql) == [("R-2", "requested")]

    carrier.proxy.up()
    status = shipctl("refund", "--status", env=carrier.env)
    assert "not_requested" in status.stdout, status.stdout + status.stderr
    assert refunds(sql) == []
    assert [r["state"] for r in current(sql).values()] == ["purchased"]
    again = shipctl("refund", "R-2", "--yes", env=carrier.env)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert refunds(sql) == [("R-2", "submitted")]
    assert carrier.sim.stats()["refunds"]["total"] == 1


def test_a_refund_rerun_after_a_lost_answer_asks_once_more_and_records_it(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user reruns the refund instead of `--status`: EasyPost refuses a second request,
    and the refusal is followed by reading the shipment: submitted, recorded once."""
    monkeypatch.chdir(home)
    assert shipctl("create", *TO, "--weight", "12oz", "--reference", "R-3", "--yes",
                   env=carrier.env).exit_code == 0
    carrier.proxy.lose_answer(REFUND, nth=1, down_for=math.inf)
    assert shipctl("refund", "R-3", "--yes", env=carrier.env).exit_code == 1
    carrier.proxy.up()
    again = shipctl("refund", "R-3", "--yes", env=carrier.env)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert refunds(sql) == [("R-3", "submitted")]
    assert carrier.sim.stats()["refunds"]["total"] == 1


# --- the database fails after a buy ----------------------------------------------------------

FULL_DISK = """
CREATE OR REPLACE FUNCTION test_full_disk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'purchased' AND NEW.reference = 'T-00003' THEN
        RAISE EXCEPTION 'could not extend file: No space left on device'
            USING ERRCODE = 'disk_full';
    END IF;
    RETURN NEW;
END $$
"""


def test_a_full_database_disk_after_a_buy_stops_with_exit_6_and_the_rerun_buys_nothing_twice(
    shipctl: Shipctl, isolated_env: Path, sql: Sql, carrier: Carrier
) -> None:
    """PostgreSQL cannot record one label (its disk is full) after EasyPost sold it."""
    from tests.jobs.bulk_support import use_example_settings, write_orders

    use_example_settings(isolated_env)
    orders = write_orders(isolated_env / "orders.csv", 6)
    args = ("bulk", str(orders), "--yes", "--concurrency", "2")
    assert shipctl("db", "migrate").exit_code == 0
    sql(FULL_DISK)
    sql("CREATE TRIGGER test_full_disk BEFORE UPDATE ON shipments "
        "FOR EACH ROW EXECUTE FUNCTION test_full_disk()")
    try:
        first = shipctl(*args, env=carrier.env)
    finally:
        sql("DROP TRIGGER test_full_disk ON shipments")
        sql("DROP FUNCTION test_full_disk()")
    assert first.exit_code == 6, first.stdout + first.stderr
    assert "No space left on device" in first.stderr and "rerun" in first.stderr
    assert "Traceback" not in first.stderr
    assert current(sql)["T-00003"]["state"] == "created"  # its shipment id was kept
    assert carrier.purchases()["by_reference"].get("T-00003") == 1

    second = shipctl(*args, env=carrier.env)
    assert second.exit_code == 0, second.stdout + second.stderr
    assert sorted(carrier.purchases()["by_reference"].values()) == [1] * 6
    assert {r["state"] for r in current(sql).values()} == {"purchased"}


# --- an unknown order removed from its file ----------------------------------------------------


@pytest.mark.parametrize("fault", ["lost-answer", "refused"])
def test_the_sweep_settles_an_unknown_buy_whose_row_was_removed_from_the_file(
    fault: str, shipctl: Shipctl, isolated_env: Path, sql: Sql, carrier: Carrier
) -> None:
    """The buy's answer is lost in an outage; the customer cancels, so the row is deleted
    and the file rerun. Nothing reruns that order again: the nightly sweep retrieves its
    shipment, and a label it finds is recorded (then tracked and refundable)."""
    from tests.jobs.bulk_support import use_example_settings, write_orders

    from .test_money_safety import references_of

    use_example_settings(isolated_env)
    orders = write_orders(isolated_env / "orders.csv", 3)
    if fault == "lost-answer":
        carrier.proxy.lose_buy_answer(nth=2)
    else:
        carrier.proxy.refuse_buy(nth=2)
    first = shipctl("bulk", str(orders), "--yes", "--concurrency", "1", env=carrier.env)
    assert first.exit_code == 1, first.stdout + first.stderr
    [lost] = [r["reference"] for r in current(sql).values() if r["state"] == "unknown"]
    carrier.proxy.up()
    kept = [ref for ref in references_of(orders) if ref != lost]
    rows = orders.read_text().splitlines()
    orders.write_text("\n".join(row for row in rows if not row.startswith(f"{lost},")) + "\n")
    assert references_of(orders) == kept
    assert shipctl("bulk", str(orders), "--yes", env=carrier.env).exit_code == 0
    assert current(sql)[lost]["state"] == "unknown"  # the file no longer names it
    assert "(the order is unknown)" in shipctl("refund", lost, "--yes", env=carrier.env).stderr

    sql("UPDATE shipments SET updated_at = updated_at - interval '1 hour'")  # a night later
    sweep = shipctl("track", env=carrier.env)
    assert sweep.exit_code == 0, sweep.stdout + sweep.stderr
    row = current(sql)[lost]
    if fault == "lost-answer":
        assert row["state"] == "purchased"
        assert row["tracking_code"] == carrier.shipment(row["easypost_shipment_id"])[
            "tracking_code"]
        assert "whose answer was lost" in sweep.stdout and lost in sweep.stdout
        refund = shipctl("refund", lost, "--yes", env=carrier.env)
        assert refund.exit_code == 0, refund.stdout + refund.stderr
    else:
        assert row["state"] == "created"  # a shipment, unbought: the file's rerun buys it
        assert "not bought" in sweep.stdout
    assert sorted(carrier.purchases()["by_reference"].values()) == [1] * len(
        carrier.purchases()["by_reference"])
    again = shipctl("track", env=carrier.env)  # settled once: nothing left to look up
    assert "whose answer was lost" not in again.stdout and "not bought" not in again.stdout


# --- an answer cut short ------------------------------------------------------------------------


def test_a_buy_answered_200_with_a_body_cut_short_is_looked_up_not_failed(
    shipctl: Shipctl, isolated_env: Path, sql: Sql, carrier: Carrier
) -> None:
    """The label was sold; its answer arrives half-written. Before, the order was `failed`
    (HTTP_200) and its paid label unseen until a rerun."""
    from tests.jobs.bulk_support import use_example_settings, write_orders

    use_example_settings(isolated_env)
    orders = write_orders(isolated_env / "orders.csv", 3)
    carrier.proxy.garble_buy_answer(nth=2)
    result = shipctl("bulk", str(orders), "--yes", "--concurrency", "1", env=carrier.env)
    assert result.exit_code == 0, result.stdout + result.stderr
    [cut] = carrier.proxy.lost
    rows = current(sql)
    assert {r["state"] for r in rows.values()} == {"purchased"}
    ours = next(r for r in rows.values() if r["easypost_shipment_id"] == cut)
    assert ours["tracking_code"] == carrier.shipment(cut)["tracking_code"]
    assert sorted(carrier.purchases()["by_reference"].values()) == [1, 1, 1]


# --- create and a bulk run on one reference --------------------------------------------------


def test_create_of_a_reference_a_bulk_run_is_buying_now_buys_nothing(
    shipctl: Shipctl, isolated_env: Path, db: str, sql: Sql
) -> None:
    """A second terminal runs `create --reference T-00000` while the bulk run that owns the
    reference is in the middle of buying it: create stops before anything; one label."""
    from tests.jobs.bulk_support import use_example_settings, write_orders

    use_example_settings(isolated_env)
    orders = write_orders(isolated_env / "orders.csv", 1)
    with carrier_at() as carrier:
        carrier.proxy.hang_buys(4.0)
        env = chaos.shipctl_env(isolated_env, database_url=db, api_base=carrier.proxy.api_base)
        run = chaos.start_shipctl(["bulk", str(orders), "--yes"], cwd=isolated_env, env=env)
        deadline = time.monotonic() + 60
        while carrier.proxy.count("POST /v2/shipments/{id}/buy") == 0:
            assert time.monotonic() < deadline and run.poll() is None, run.communicate()
            time.sleep(0.02)
        other = shipctl("create", *TO, "--weight", "1lb", "--reference", "T-00000", "--yes",
                        env=carrier.env)
        out, err = run.communicate(timeout=60)
        purchases = carrier.purchases()
    assert other.exit_code == 2, other.stdout + other.stderr
    assert "another shipctl" in other.stderr
    assert run.returncode == 0, out + err
    assert purchases["by_reference"] == {"T-00000": 1}
    [row] = current(sql).values()
    assert row["state"] == "purchased"
