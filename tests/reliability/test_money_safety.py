"""Money safety at the HTTP level: lost answers, outages, interrupted rebuys, edited files,
label formats, output failures, modes and stores, concurrent workers, a rejected key.

shipctl talks to the simulator through a fault-injecting proxy (tests/support/faultproxy.py)
and every verdict comes from the simulator's purchase ledger and from PostgreSQL: labels per
reference, the address and weight a label was bought for, the labels file's format.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdf
import pytest
import requests

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator
from tests.conftest import CliResult
from tests.jobs.bulk_support import read_results, use_example_settings, write_orders
from tests.support.faultproxy import FaultProxy, fault_proxy

from . import chaos

pytestmark = pytest.mark.db

API_KEY = "EZTK-moneysafety-0123456789abcdef"
BUY = "POST /v2/shipments/{id}/buy"
CREATE = "POST /v2/shipments"
UNKNOWN_LINE = re.compile(r"(\d+) orders? (?:have|has) an unknown outcome; rerun to resolve them")

Shipctl = Callable[..., CliResult]
Sql = Callable[..., list[Any]]


@dataclass
class Carrier:
    """A simulator behind a fault proxy, and the environment pointing shipctl at the proxy."""

    sim: RunningSimulator
    proxy: FaultProxy

    @property
    def env(self) -> dict[str, str]:
        """For the in-process `shipctl` fixture: short timeouts and a short retry budget."""
        return {
            "EASYPOST_API_BASE": self.proxy.api_base,
            "EASYPOST_API_KEY": API_KEY,
            "SHIPCTL_TIMEOUT": "1",
            "SHIPCTL_RETRY_SECONDS": "1",
        }

    def purchases(self) -> dict[str, Any]:
        result: dict[str, Any] = self.sim.stats()["purchases"]
        return result

    def shipment(self, shipment_id: str) -> dict[str, Any]:
        """The simulator's stored shipment, read past the proxy."""
        answer = requests.get(f"{self.sim.api_base}/shipments/{shipment_id}",
                              auth=(API_KEY, ""), timeout=10)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result


@contextmanager
def carrier_at(config: SimulatorConfig | None = None) -> Iterator[Carrier]:
    with running_simulator(config or SimulatorConfig()) as sim, fault_proxy(sim.api_base) as px:
        yield Carrier(sim, px)


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


@pytest.fixture
def carrier() -> Iterator[Carrier]:
    with carrier_at() as found:
        yield found


def current(sql: Sql) -> dict[str, Any]:
    """reference → its current shipments row."""
    rows = sql("SELECT reference, state, mode, easypost_shipment_id, tracking_code, error_code "
               "FROM shipments WHERE superseded_at IS NULL")
    return {r["reference"]: r for r in rows}


def references_of(path: Path) -> list[str]:
    with path.open(newline="") as handle:
        return [row["reference"] for row in csv.DictReader(handle)]


def edit_rows(path: Path, changes: dict[str, dict[str, str]]) -> None:
    """Rewrite `path` with some cells of some rows (by reference) changed."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or ())
        rows = list(reader)
    for row in rows:
        row.update(changes.get(row["reference"], {}))
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def ounces(weight: str) -> float:
    number = float(weight.rstrip("ozlb"))
    return number * 16 if weight.endswith("lb") else number


# --- 1. an unknown outcome is never a failure, and the rerun resolves it ------------------


@pytest.mark.parametrize("fault", ["lost-answer", "lost-answer-503", "refused"])
def test_buy_of_unknown_outcome_then_outage_is_resolved_by_the_rerun(
    fault: str, shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier
) -> None:
    """The second buy's answer is lost (or the buy never arrives), then EasyPost is down for
    longer than the retry budget: the order is `unknown`, not failed; the rerun retrieves it."""
    orders = write_orders(home / "orders.csv", 2)
    # Then down (every request dropped, or answered 503) until up().
    if fault.startswith("lost-answer"):
        carrier.proxy.lose_buy_answer(nth=2, mode="503" if "503" in fault else "drop")
    else:
        carrier.proxy.refuse_buy(nth=2)
    args = ("bulk", str(orders), "--yes", "--concurrency", "1")
    first = shipctl(*args, env=carrier.env)
    hit = (carrier.proxy.lost + carrier.proxy.refused)[0]
    rows = current(sql)
    ours = next(r for r in rows.values() if r["easypost_shipment_id"] == hit)
    assert ours["state"] == "unknown", (ours, first.stdout, first.stderr)
    assert first.exit_code == 1, first.stdout + first.stderr
    unknown = [r for r in rows.values() if r["state"] == "unknown"]
    line = UNKNOWN_LINE.search(first.stdout + first.stderr)
    assert line and int(line.group(1)) == len(unknown) == 1, first.stdout + first.stderr
    assert "Traceback" not in first.stderr
    bought_before = carrier.purchases()["total"]
    assert bought_before == (1 if fault == "refused" else 2)

    carrier.proxy.up()
    second = shipctl(*args, env=carrier.env)
    assert second.exit_code == 0, second.stdout + second.stderr
    purchases = carrier.purchases()
    assert purchases["by_reference"] == {"T-00000": 1, "T-00001": 1}
    assert purchases["by_shipment"].get(hit) == 1  # the same shipment, never a new quote
    rows = current(sql)
    ours = next(r for r in rows.values() if r["easypost_shipment_id"] == hit)
    assert ours["state"] == "purchased"
    assert ours["tracking_code"] == carrier.shipment(hit)["tracking_code"]
    assert {r["state"] for r in rows.values()} == {"purchased"}


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["lost-answer", "refused"])
def test_unknown_order_edited_before_the_rerun_is_retrieved_before_anything_else(
    fault: str, shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier
) -> None:
    """Outcome unknown, then the user fixes the row: bought → kept and listed as changed
    after purchase; not bought → the old shipment is abandoned and the new data bought."""
    orders = write_orders(home / "orders.csv", 2)
    if fault == "lost-answer":
        carrier.proxy.lose_buy_answer(nth=2)
    else:
        carrier.proxy.refuse_buy(nth=2)
    args = ("bulk", str(orders), "--yes", "--concurrency", "1")
    first = shipctl(*args, env=carrier.env)
    hit = (carrier.proxy.lost + carrier.proxy.refused)[0]
    reference = next(r for r, row in current(sql).items() if row["easypost_shipment_id"] == hit)
    assert current(sql)[reference]["state"] == "unknown", first.stdout + first.stderr
    edit_rows(orders, {reference: {"weight": "3lb"}})
    carrier.proxy.up()
    again = shipctl(*args, env=carrier.env)
    purchases = carrier.purchases()
    assert purchases["by_reference"] == {"T-00000": 1, "T-00001": 1}
    row = current(sql)[reference]
    assert row["state"] == "purchased"
    if fault == "lost-answer":
        assert row["easypost_shipment_id"] == hit
        assert f"changed after purchase: {reference}" in again.stdout + again.stderr
    else:
        assert again.exit_code == 0, again.stdout + again.stderr
        assert hit not in purchases["by_shipment"]
        bought = carrier.shipment(row["easypost_shipment_id"])
        assert float(bought["parcel"]["weight"]) == pytest.approx(48.0)


# --- 2. an interrupted --rebuy resumes; it never rebuys twice --------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_interrupted_rebuy_then_the_same_command_buys_exactly_one_more_label(
    stop: signal.Signals, shipctl: Shipctl, home: Path, db: str
) -> None:
    count = 150
    orders = write_orders(home / "orders.csv", count)
    with carrier_at(SimulatorConfig(latency=0.03)) as carrier:
        assert shipctl("bulk", str(orders), "--yes", env=carrier.env).exit_code == 0
        env = chaos.shipctl_env(home, database_url=db, api_base=carrier.proxy.api_base)
        args = ["bulk", str(orders), "--yes", "--rebuy", "--concurrency", "4"]
        run = chaos.start_shipctl(args, cwd=home, env=env)
        deadline = time.monotonic() + 60
        while carrier.purchases()["total"] < count + 25 and time.monotonic() < deadline:
            time.sleep(0.05)
        run.send_signal(stop)
        out, err = run.communicate(timeout=60)
        interrupted = carrier.purchases()["total"] - count
        assert 0 < interrupted < count, "the rebuy was not interrupted halfway: " + out + err
        again = chaos.shipctl(args, cwd=home, env=env, timeout=120)
        purchases = carrier.purchases()
    assert again.exit_code == 0, again.stdout + again.stderr
    per_reference = purchases["by_reference"]
    thrice = {ref: n for ref, n in per_reference.items() if n > 2}
    assert thrice == {}, f"{len(thrice)} references have three labels or more"
    assert sorted(per_reference.values()) == [2] * count


@pytest.mark.parametrize("fault", ["lost-answer", "refused"])
def test_a_rebuy_left_with_an_unknown_outcome_is_continued_not_rebought_again(
    fault: str, shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier
) -> None:
    """`--rebuy`: the second rebuy's answer is lost (or never arrives), then EasyPost stays
    down, so the third order fails too. The rerun the summary asks for continues that run:
    it resolves the unknown order and rebuys the failed one, and never rebuys the label it
    rebought already."""
    count = 3
    orders = write_orders(home / "orders.csv", count)
    args = ("bulk", str(orders), "--yes", "--concurrency", "1")
    assert shipctl(*args, env=carrier.env).exit_code == 0
    if fault == "lost-answer":
        carrier.proxy.lose_buy_answer(nth=count + 2)
    else:
        carrier.proxy.refuse_buy(nth=count + 2)
    first = shipctl(*args, "--rebuy", env=carrier.env)
    assert first.exit_code == 1, first.stdout + first.stderr
    assert UNKNOWN_LINE.search(first.stdout + first.stderr), first.stdout + first.stderr
    carrier.proxy.up()
    second = shipctl(*args, "--rebuy", env=carrier.env)
    assert second.exit_code == 0, second.stdout + second.stderr
    assert sorted(carrier.purchases()["by_reference"].values()) == [2] * count
    assert {r["state"] for r in current(sql).values()} == {"purchased"}
    # Now the rebuy is done: the same command again is a new, whole rebuy.
    third = shipctl(*args, "--rebuy", env=carrier.env)
    assert third.exit_code == 0, third.stdout + third.stderr
    assert sorted(carrier.purchases()["by_reference"].values()) == [3] * count
    # The labels it replaced are still valid and paid for: said, with their tracking codes.
    assert f"{count} replaced label(s) are still valid and paid for" in third.stdout
    replaced = sql("SELECT tracking_code FROM shipments WHERE superseded_at IS NOT NULL "
                   "AND run_id = (SELECT max(run_id) - 1 FROM shipments)")
    assert replaced and all(r["tracking_code"] in third.stdout for r in replaced)


# --- 3. a file edited after a dry run is quoted again; after purchase it is listed ---------


def test_edits_after_a_dry_run_are_bought_for_the_new_address_and_weight(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier
) -> None:
    orders = write_orders(home / "orders.csv", 5)
    quoted = shipctl("bulk", str(orders), "--dry-run", env=carrier.env)
    assert quoted.exit_code == 0, quoted.stdout + quoted.stderr
    dry = {ref: r["easypost_shipment_id"] for ref, r in current(sql).items()}
    edits = {
        "T-00001": {"street1": "4242 Main St", "weight": "3lb"},
        "T-00003": {"weight": "2lb"},
    }
    edit_rows(orders, edits)
    bought = shipctl("bulk", str(orders), "--yes", env=carrier.env)
    assert bought.exit_code == 0, bought.stdout + bought.stderr
    rows = current(sql)
    assert {r["state"] for r in rows.values()} == {"purchased"}
    purchases = carrier.purchases()
    assert sorted(purchases["by_reference"].values()) == [1] * 5
    for reference, row in rows.items():
        stored = carrier.shipment(row["easypost_shipment_id"])
        if reference in edits:
            assert row["easypost_shipment_id"] != dry[reference]
            assert dry[reference] not in purchases["by_shipment"]
            change = edits[reference]
            if "street1" in change:
                assert stored["to_address"]["street1"].lower() == change["street1"].lower()
            assert float(stored["parcel"]["weight"]) == pytest.approx(ounces(change["weight"]))
        else:
            assert row["easypost_shipment_id"] == dry[reference]  # the dry run's shipment

    edit_rows(orders, {"T-00002": {"street1": "77 Main St"}})
    rerun = shipctl("bulk", str(orders), "--yes", env=carrier.env)
    assert carrier.purchases()["total"] == 5
    assert carrier.proxy.count(BUY) == 5
    assert "changed after purchase: T-00002" in rerun.stdout + rerun.stderr
    assert "T-00001" not in re.findall(r"changed after purchase: (\S+)", rerun.stdout)


@pytest.mark.slow
def test_a_worker_killed_before_its_buy_lands_then_the_row_edited_buys_one_label(
    home: Path, db: str, sql: Sql
) -> None:
    """The buy reaches EasyPost only after its worker was killed. The rerun, on the edited
    row, finds the shipment not bought yet: it takes the dead worker for finished only when
    it first sees it dead, waits out the time that buy may still land, and finds it bought."""
    orders = write_orders(home / "orders.csv", 1)
    with carrier_at() as carrier:
        carrier.proxy.hang_buys(4.0)  # past the client's 2 s timeout
        env = chaos.shipctl_env(home, database_url=db, api_base=carrier.proxy.api_base)
        args = ["bulk", str(orders), "--yes"]
        run = chaos.start_shipctl(args, cwd=home, env=env)
        deadline = time.monotonic() + 60
        while carrier.proxy.count(BUY) == 0:
            assert time.monotonic() < deadline and run.poll() is None, run.communicate()
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
        assert carrier.purchases()["total"] == 0  # still held: it lands during the rerun
        edit_rows(orders, {"T-00000": {"weight": "3lb"}})
        again = chaos.shipctl(args, cwd=home, env=env, timeout=120)
        carrier.proxy.settle()
        purchases = carrier.purchases()
        workers = sql("SELECT died FROM run_workers ORDER BY id")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert purchases["by_reference"] == {"T-00000": 1}
    assert current(sql)["T-00000"]["state"] == "purchased"
    assert "changed after purchase: T-00000" in again.stdout + again.stderr
    assert [w["died"] for w in workers] == [True, False]


# --- 4. the labels file is in the format its name asks for ---------------------------------


def zpl_labels(path: Path) -> int:
    data = path.read_bytes()
    assert b"%PDF" not in data
    assert data.lstrip().startswith(b"^XA")
    return data.count(b"^XA")


def test_a_dry_run_then_a_ship_date_buys_labels_dated_for_that_day(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier
) -> None:
    """The dry run's shipments were made with no label date: they are quoted again with it,
    so the label says the day the database (and the manifest) says."""
    orders = write_orders(home / "orders.csv", 2)
    assert shipctl("bulk", str(orders), "--dry-run", env=carrier.env).exit_code == 0
    quoted = {r["reference"]: r["easypost_shipment_id"] for r in current(sql).values()}
    result = shipctl("bulk", str(orders), "--yes", "--ship-date", "2026-12-03", env=carrier.env)
    assert result.exit_code == 0, result.stdout + result.stderr
    for row in current(sql).values():
        shipment = carrier.shipment(row["easypost_shipment_id"])
        assert row["easypost_shipment_id"] != quoted[row["reference"]]
        assert shipment["options"]["label_date"].startswith("2026-12-03")
    assert {str(r["label_date"]) for r in sql("SELECT label_date FROM shipments "
                                               "WHERE superseded_at IS NULL")} == {"2026-12-03"}
    assert sorted(carrier.purchases()["by_reference"].values()) == [1, 1]


def test_a_pdf_dry_run_then_a_zpl_labels_file_holds_only_zpl(
    shipctl: Shipctl, home: Path, carrier: Carrier
) -> None:
    orders = write_orders(home / "orders.csv", 4)
    quoted = shipctl("bulk", str(orders), "--dry-run", "--label-format", "pdf", env=carrier.env)
    assert quoted.exit_code == 0, quoted.stdout + quoted.stderr
    bought = shipctl("bulk", str(orders), "--yes", "--labels-out", "z.zpl", env=carrier.env)
    assert bought.exit_code == 0, bought.stdout + bought.stderr
    assert zpl_labels(home / "z.zpl") == 4
    assert carrier.purchases()["total"] == 4


def test_labels_bought_as_pdf_are_written_as_zpl_on_a_rerun(
    shipctl: Shipctl, home: Path, carrier: Carrier
) -> None:
    orders = write_orders(home / "orders.csv", 3)
    first = shipctl("bulk", str(orders), "--yes", "--label-format", "pdf", env=carrier.env)
    assert first.exit_code == 0, first.stdout + first.stderr
    again = shipctl("bulk", str(orders), "--yes", "--labels-out", "z.zpl", env=carrier.env)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert zpl_labels(home / "z.zpl") == 3
    assert carrier.purchases()["total"] == 3


# --- 5. outputs: checked before buying; written after; written again on a rerun --------------


@pytest.mark.parametrize(
    "outputs",
    [
        ["--results-out", "a-file/results.csv"],
        ["--labels-out", "a-file/missing/labels.pdf"],
        ["--results-out", "both.pdf", "--labels-out", "./both.pdf"],
        ["--results-out", "orders.csv", "--force"],
    ],
    ids=["parent-is-a-file", "missing-dir-under-a-file", "same-path", "input-as-results"],
)
def test_unusable_outputs_are_refused_before_anything_is_bought(
    outputs: list[str], shipctl: Shipctl, home: Path, carrier: Carrier
) -> None:
    orders = write_orders(home / "orders.csv", 3)
    original = orders.read_bytes()
    (home / "a-file").write_text("not a directory")
    result = shipctl("bulk", str(orders), "--yes", *outputs, env=carrier.env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert carrier.proxy.count(BUY) == 0
    assert carrier.purchases()["total"] == 0
    assert orders.read_bytes() == original


def test_output_failure_after_buying_exits_7_and_the_rerun_writes_the_files(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier
) -> None:
    orders = write_orders(home / "orders.csv", 4)
    out = home / "out"
    out.mkdir()

    def break_outputs(number: int, shipment_id: str) -> None:
        if number == 1:  # the paths were checked; now the directory becomes a file
            shutil.rmtree(out)
            out.write_text("a file where the directory was")

    carrier.proxy.on_buy(break_outputs)
    args = ("bulk", str(orders), "--yes", "--results-out", "out/results.csv",
            "--labels-out", "out/labels.pdf")
    first = shipctl(*args, env=carrier.env)
    assert first.exit_code == 7, first.stdout + first.stderr
    assert "shipctl runs show" in first.stdout + first.stderr
    assert "PostgreSQL" not in first.stderr
    assert carrier.purchases()["total"] == 4
    assert [r["status"] for r in sql("SELECT status FROM runs")] != ["completed"]

    carrier.proxy.on_buy(None)
    out.unlink()
    out.mkdir()
    again = shipctl(*args, env=carrier.env)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert carrier.purchases()["total"] == 4
    assert [r["reference"] for r in read_results(out / "results.csv")] == references_of(orders)
    assert len(pypdf.PdfReader(out / "labels.pdf").pages) == 4


def test_rerun_of_a_purchased_file_writes_every_order_again_in_file_order(
    shipctl: Shipctl, home: Path, carrier: Carrier
) -> None:
    orders = write_orders(home / "orders.csv", 7)
    assert shipctl("bulk", str(orders), "--yes", env=carrier.env).exit_code == 0
    again = shipctl("bulk", str(orders), "--yes", "--results-out", "results.csv",
                    "--labels-out", "labels.pdf", env=carrier.env)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert carrier.purchases()["total"] == 7
    results = read_results(home / "results.csv")
    assert [r["reference"] for r in results] == references_of(orders)
    assert all(r["tracking_code"] for r in results)
    assert len(pypdf.PdfReader(home / "labels.pdf").pages) == 7


def test_a_resumed_run_whose_label_urls_no_longer_answer_still_writes_its_labels(
    shipctl: Shipctl, home: Path
) -> None:
    """The first run (on a simulator now stopped) is interrupted after two labels; the rerun,
    on another port with the same state, writes all four labels: old URLs are re-resolved."""
    orders = write_orders(home / "orders.csv", 4)
    args = ("bulk", str(orders), "--yes", "--concurrency", "1", "--labels-out", "labels.pdf",
            "--force")

    def ctrl_c(number: int, shipment_id: str) -> None:
        if number == 2:  # the loop's SIGINT handler stops new orders; in-flight ones finish
            os.kill(os.getpid(), signal.SIGINT)

    with carrier_at(SimulatorConfig(state_path=home / "sim.sqlite3")) as old:
        old.proxy.on_buy(ctrl_c)
        first = shipctl(*args, env=old.env)
        assert first.exit_code == 130, first.stdout + first.stderr
        assert 2 <= old.purchases()["total"] < 4
        old_origin = old.sim.origin
    with carrier_at(SimulatorConfig(state_path=home / "sim.sqlite3")) as new:
        assert new.sim.origin != old_origin
        again = shipctl(*args, env=new.env)
        assert again.exit_code == 0, again.stdout + again.stderr
        assert new.purchases()["total"] == 4
        assert new.purchases()["max_per_reference"] == 1
    assert len(pypdf.PdfReader(home / "labels.pdf").pages) == 4


# --- 6. purchases are scoped by mode and by store ------------------------------------------


def test_simulated_purchases_do_not_block_the_same_file_in_test_mode(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier
) -> None:
    orders = write_orders(home / "orders.csv", 3)
    simulated = shipctl("bulk", str(orders), "--yes", env=carrier.env)
    assert simulated.exit_code == 0, simulated.stdout + simulated.stderr
    carrier.proxy.hide_simulator()  # now it looks like EasyPost itself: an EZTK key is `test`
    real = shipctl("bulk", str(orders), "--yes", "--results-out", "r.csv", env=carrier.env)
    assert real.exit_code == 0, real.stdout + real.stderr
    assert sorted(carrier.purchases()["by_reference"].values()) == [2, 2, 2]
    modes = sql("SELECT mode, count(*) AS n FROM shipments WHERE state = 'purchased' "
                "GROUP BY mode ORDER BY mode")
    assert [(r["mode"], r["n"]) for r in modes] == [("simulated", 3), ("test", 3)]
    assert {r["status"] for r in read_results(home / "r.csv")} == {"purchased"}


def test_stores_with_the_same_references_buy_separately(
    shipctl: Shipctl, home: Path, carrier: Carrier
) -> None:
    orders = write_orders(home / "orders.csv", 3)
    first = shipctl("bulk", str(orders), "--yes", "--store", "A", env=carrier.env)
    assert first.exit_code == 0, first.stdout + first.stderr
    second = shipctl("bulk", str(orders), "--yes", env={**carrier.env, "SHIPCTL_STORE": "B"})
    assert second.exit_code == 0, second.stdout + second.stderr
    assert sorted(carrier.purchases()["by_reference"].values()) == [2, 2, 2]
    third = shipctl("bulk", str(orders), "--yes", "--store", "A", env=carrier.env)
    assert third.exit_code == 0, third.stdout + third.stderr
    assert carrier.purchases()["total"] == 6
    assert "3 already purchased" in third.stdout


# --- 7. concurrent workers on one file: every order once, the run's real outcome ------------


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 3])
def test_concurrent_workers_buy_every_order_once_and_none_quits_early(
    workers: int, home: Path, db: str, sql: Sql
) -> None:
    count = 300
    orders = write_orders(home / "orders.csv", count)
    with carrier_at(SimulatorConfig(latency=0.05)) as carrier:
        env = chaos.shipctl_env(home, database_url=db, api_base=carrier.proxy.api_base)
        running = [chaos.start_shipctl(["bulk", str(orders), "--yes", "--concurrency", "8"],
                                       cwd=home, env=env) for _ in range(workers)]
        bought_at_exit: dict[int, int] = {}
        deadline = time.monotonic() + 150
        while len(bought_at_exit) < workers and time.monotonic() < deadline:
            for n, process in enumerate(running):
                if n not in bought_at_exit and process.poll() is not None:
                    bought_at_exit[n] = carrier.purchases()["total"]
            time.sleep(0.02)
        outputs = [p.communicate(timeout=30) for p in running]
        purchases = carrier.purchases()
    codes = [p.returncode for p in running]
    assert codes == [0] * workers, outputs
    assert bought_at_exit == dict.fromkeys(range(workers), count), (bought_at_exit, outputs)
    assert purchases["total"] == count and purchases["max_per_reference"] == 1
    assert sql("SELECT count(*) AS n FROM shipments WHERE state = 'purchased'")[0]["n"] == count
    assert [r["status"] for r in sql("SELECT status FROM runs")] == ["completed"]


# --- 9. a rejected API key stops the run at once --------------------------------------------


def test_a_rejected_key_stops_the_run_with_exit_3_and_nothing_failed(
    shipctl: Shipctl, home: Path, sql: Sql, carrier: Carrier
) -> None:
    orders = write_orders(home / "orders.csv", 20)
    carrier.proxy.reject_all(401)
    result = shipctl("bulk", str(orders), "--yes", "--concurrency", "2", env=carrier.env)
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "EasyPost rejected the API key" in result.stderr
    assert "Traceback" not in result.stderr
    assert carrier.proxy.count(CREATE) <= 2
    assert carrier.proxy.count(BUY) == 0
    assert sql("SELECT count(*) AS n FROM shipments WHERE state = 'failed'")[0]["n"] == 0
    assert carrier.purchases()["total"] == 0

