"""`shipctl bulk --join RUN`: more workers on a run, from PostgreSQL alone (no file)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shipctl.simulator import SimulatorConfig, running_simulator
from tests.conftest import Shipctl, Sql
from tests.jobs.bulk_support import use_example_settings, write_orders


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


def _env(home: Path, db: str, api_base: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SHIPCTL_", "EASYPOST_")) and k != "DATABASE_URL"}
    env.update(DATABASE_URL=db, EASYPOST_API_BASE=api_base, EASYPOST_API_KEY="EZTK-test",
               SHIPCTL_DATA_DIR=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               COLUMNS="200")
    return env


def _shipctl(home: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "shipctl", *args], cwd=home, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition: str, sql: Sql, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not sql(condition)[0]["ok"]:
        assert time.monotonic() < deadline, condition
        time.sleep(0.05)


@pytest.mark.slow
def test_a_joined_worker_shares_the_run_and_each_order_is_bought_once(
    home: Path, db: str, sql: Sql,
) -> None:
    orders = write_orders(home / "orders.csv", 160)
    with running_simulator(SimulatorConfig(latency=0.1, seed=7)) as sim:
        env = _env(home, db, sim.api_base)
        first = _shipctl(home, env, "bulk", str(orders), "--yes", "--concurrency", "2",
                         "--label-format", "ZPL")
        _wait_for("SELECT count(*) > 5 AS ok FROM shipments WHERE state = 'purchased'", sql)
        run_id = sql("SELECT id FROM runs")[0]["id"]
        (home / "elsewhere").mkdir()  # another directory: no file, no settings beside it
        joined = _shipctl(home / "elsewhere", env, "bulk", "--join", str(run_id), "--yes",
                          "--concurrency", "4")
        outputs = [p.communicate(timeout=120) for p in (first, joined)]
        stats = sim.stats()
        shown = _shipctl(home, env, "runs", "show", str(run_id)).communicate(timeout=60)
    assert (first.returncode, joined.returncode) == (0, 0), outputs
    assert stats["purchases"]["total"] == 160
    assert stats["purchases"]["max_per_reference"] == 1
    assert stats["purchases"]["max_per_shipment"] == 1
    bought = sql("SELECT label_format, count(*) AS n FROM shipments WHERE state = 'purchased' "
                 "GROUP BY label_format")
    assert [(r["label_format"], r["n"]) for r in bought] == [("ZPL", 160)]  # the run's option
    workers = sql("SELECT joined, bought, finished_at FROM run_workers WHERE run_id = $1 "
                  "ORDER BY id", run_id)
    assert [w["joined"] for w in workers] == [False, True]
    assert all(w["finished_at"] is not None for w in workers)
    assert sum(w["bought"] for w in workers) == 160
    assert min(w["bought"] for w in workers) > 0, [dict(w) for w in workers]
    assert sql("SELECT status FROM runs WHERE id = $1", run_id)[0]["status"] == "completed"
    out = shown[0]
    assert "Workers" in out and "joined" in out and "started" in out
    assert f" {workers[1]['bought']} " in out.split("Workers")[1]


def test_a_worker_in_another_mode_is_refused(shipctl: Shipctl, home: Path, db: str,
                                             sql: Sql) -> None:
    write_orders(home / "orders.csv", 6)
    quoted = shipctl("--simulate", "bulk", "orders.csv", "--dry-run")
    assert quoted.exit_code == 0, quoted.stdout + quoted.stderr
    run_id = sql("SELECT id FROM runs")[0]["id"]
    sql("UPDATE runs SET mode = 'test', status = 'interrupted' WHERE id = $1", run_id)
    refused = shipctl("--simulate", "bulk", "--join", str(run_id), "--yes")
    out = refused.stdout + refused.stderr
    assert refused.exit_code == 2, out
    assert "run 1 buys test labels" in out and "Traceback" not in out
    assert sql("SELECT count(*) AS n FROM shipments WHERE state = 'purchased'")[0]["n"] == 0
    assert sql("SELECT count(*) AS n FROM run_workers WHERE run_id = $1", run_id)[0]["n"] == 1


def test_join_needs_a_run_and_no_file(shipctl: Shipctl, home: Path) -> None:
    missing = shipctl("--simulate", "bulk", "--join", "999", "--yes")
    assert missing.exit_code == 2 and "no bulk run 999" in missing.stdout + missing.stderr
    both = shipctl("--simulate", "bulk", "orders.csv", "--join", "1", "--yes")
    assert both.exit_code == 2
    neither = shipctl("--simulate", "bulk")
    assert neither.exit_code == 2
