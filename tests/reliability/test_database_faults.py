"""PostgreSQL stopped for a few seconds in the middle of a bulk run and of a tracking sweep.

shipctl either rides it out or stops cleanly (one `error:` line, no traceback, non-zero
exit); a rerun resumes, no order state is lost and nothing is bought twice. The server is an
embedded PostgreSQL of this module's own (short socket path under /tmp), never the suite's.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipctl.store import embedded

from . import chaos

pytestmark = [pytest.mark.db, pytest.mark.slow]

ORDERS = 300
OUTAGE = 3.0  # seconds the server stays down


@pytest.fixture(scope="module")
def restartable_pg() -> Iterator[tuple[Path, str]]:
    root = Path(tempfile.mkdtemp(prefix="shipctl-pg-", dir="/tmp"))
    try:
        chaos.embedded_server("start", root)
        status = embedded.status(root)
        chaos.fetch(status.url("postgres"), "CREATE DATABASE shipctl")
        yield root, status.url()
    finally:
        chaos.embedded_server("stop", root)
        shutil.rmtree(root, ignore_errors=True)


def test_restart_in_one_process() -> None:
    """`stop` then `start` from one process (a notebook, a long-lived worker) restarts it."""
    root = Path(tempfile.mkdtemp(prefix="shipctl-pg-", dir="/tmp"))
    try:
        embedded.start(root)
        assert embedded.stop(root)
        assert embedded.start(root).running
    finally:
        chaos.embedded_server("stop", root)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def faulty_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[chaos.SimulatorProcess]:
    state = tmp_path_factory.mktemp("sim") / "sim.sqlite3"
    # A little latency makes the run last long enough for the outage to land inside it.
    with chaos.simulator_process(
        state, fault_rate=0.05, seed=9, latency=0.03, timeout_delay=3.0
    ) as sim:
        yield sim


def outage_after(root: Path, delay: float) -> threading.Thread:
    """Stop the server `delay` s from now, keep it down OUTAGE s, start it again."""

    def go() -> None:
        time.sleep(delay)
        chaos.embedded_server("stop", root)
        time.sleep(OUTAGE)
        chaos.embedded_server("start", root)

    thread = threading.Thread(target=go)
    thread.start()
    return thread


def assert_clean_stop(process: subprocess.Popen[str], out: str, err: str) -> None:
    """Success, or a non-zero exit with one `error:` line and no traceback."""
    assert "Traceback" not in out + err
    if process.returncode != 0:
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, err[-3000:]
        assert "unexpected" not in errors[0], errors[0]


def rerun_until_done(
    args: list[str], workdir: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)
) -> chaos.Finished:
    for _ in range(4):
        done = chaos.shipctl(args, cwd=workdir, env=env)
        if done.exit_code in ok:
            return done
    return done


def test_bulk_survives_postgres_restart(
    restartable_pg: tuple[Path, str], faulty_sim: chaos.SimulatorProcess, workdir: Path
) -> None:
    root, url = restartable_pg
    orders_file = workdir / "orders.csv"
    references = chaos.write_orders(orders_file, ORDERS, seed=77, prefix="DB")
    env = chaos.shipctl_env(workdir, database_url=url, api_base=faulty_sim.api_base)
    args = ["bulk", str(orders_file), "--yes", "--concurrency", "16"]

    process = chaos.start_shipctl(args, cwd=workdir, env=env)
    outage = outage_after(root, 3.0)
    out, err = process.communicate(timeout=170)
    outage.join()
    assert_clean_stop(process, out, err)

    done = rerun_until_done(args, workdir, env)
    assert done.exit_code == 0, done.stdout[-2000:] + done.stderr[-2000:]
    audit = chaos.audit(url, faulty_sim, references)
    assert audit.problems() == {}
    assert audit.purchased_db == ORDERS
    assert audit.max_per_reference == 1 and audit.max_per_shipment == 1


def test_tracking_sweep_survives_postgres_restart(
    restartable_pg: tuple[Path, str], faulty_sim: chaos.SimulatorProcess, workdir: Path
) -> None:
    root, url = restartable_pg
    orders_file = workdir / "orders.csv"
    chaos.write_orders(orders_file, 120, seed=78, prefix="TR")
    env = chaos.shipctl_env(workdir, database_url=url, api_base=faulty_sim.api_base)
    bought = rerun_until_done(["bulk", str(orders_file), "--yes"], workdir, env)
    assert bought.exit_code == 0, bought.stderr[-2000:]
    codes = {
        r["tracking_code"]
        for r in chaos.fetch(url, "SELECT tracking_code FROM shipments WHERE state = 'purchased'")
    }
    shipments_before = chaos.fetch(
        url, "SELECT state, count(*) AS n FROM shipments GROUP BY state ORDER BY state"
    )
    purchases_before = faulty_sim.stats()["purchases"]["total"]
    args = ["track", "--method", "each", "--quiet"]

    process = chaos.start_shipctl(args, cwd=workdir, env=env)
    outage = outage_after(root, 1.0)
    out, err = process.communicate(timeout=170)
    outage.join()
    assert_clean_stop(process, out, err)

    done = rerun_until_done(args, workdir, env, ok=(0, 1, 4))
    assert done.exit_code in (0, 1, 4), done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    tracked = {r["tracking_code"] for r in chaos.fetch(url, "SELECT tracking_code FROM trackers")}
    assert codes <= tracked
    assert (
        chaos.fetch(url, "SELECT state, count(*) AS n FROM shipments GROUP BY state ORDER BY state")
        == shipments_before
    )
    assert faulty_sim.stats()["purchases"]["total"] == purchases_before
