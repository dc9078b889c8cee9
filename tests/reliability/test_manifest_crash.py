"""kill -9 in the middle of `shipctl manifest`, rerun until done: every label of the day on
exactly one scan form (the simulator's ledger counts the forms each label is on), none left
out, forms never mixing origins, and no form left `requested` in PostgreSQL. The 1,200-label
version is benchmarks/bench_manifest.py. Then the same when the kill lands while a group EasyPost
refused for one label is asked for again without it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import easypost
import pytest

from shipctl.simulator import SimulatorConfig, running_simulator
from tests.endofday.support import CONFIG, write_orders
from tests.support.faultproxy import fault_proxy

from . import chaos
from .conftest import trials
from .manifest_chaos import manifest_trial

pytestmark = [pytest.mark.db, pytest.mark.slow]

LABELS = 180


@pytest.mark.parametrize("seed", range(301, 301 + trials(1)))
def test_kill_during_manifest_and_rerun_forms_each_label_once(
    seed: int, workdir: Path, db: str
) -> None:
    chaos.truncate(db)
    trial = manifest_trial(workdir, db, labels=LABELS, seed=seed, kills=2)
    assert trial.final_exit == 0, trial.outputs
    assert trial.kills >= 1, "no run was killed: the trial proves nothing"
    assert trial.max_per_shipment == 1
    assert trial.ledger_labels == LABELS
    assert trial.db_labels == LABELS
    assert trial.requested_left == 0
    assert trial.mixed_origin_forms == 0
    assert trial.db_vs_ledger_disagreements == 0


@pytest.mark.parametrize("when", ["before", "after"])
def test_killed_while_forming_the_rest_of_a_refused_group_then_rerun(
    when: str, workdir: Path, db: str
) -> None:
    """A label refunded outside shipctl makes EasyPost refuse its group; shipctl leaves it off
    and asks again for the rest, and is killed right then (the request never sent, or made
    and its answer lost with the process). The rerun finds the form (or makes it): every
    other label on exactly one form, the refunded one on none."""
    (workdir / "shipctl.toml").write_text(CONFIG)
    orders = write_orders(workdir / "orders.csv", 9)
    with running_simulator(SimulatorConfig(carriers=("USPS",))) as sim, \
            fault_proxy(sim.api_base) as proxy:
        env = chaos.shipctl_env(workdir, database_url=db, api_base=proxy.api_base)
        bought = chaos.shipctl(["bulk", str(orders), "--yes"], cwd=workdir, env=env)
        assert bought.exit_code == 0, bought.stderr
        [refunded] = chaos.fetch(db, "SELECT easypost_shipment_id AS id FROM shipments "
                                 "WHERE reference = 'M-00001'")
        easypost.EasyPostClient(chaos.API_KEY, api_base=sim.api_base).shipment.refund(
            refunded["id"])
        process = chaos.start_shipctl(["manifest"], cwd=workdir, env=env)
        # The default warehouse's group goes first: refused (1), then asked again (2).
        proxy.at_request("POST /v2/scan_forms", 2, when,
                         lambda: os.kill(process.pid, signal.SIGKILL))
        process.communicate(timeout=120)
        assert process.returncode == -signal.SIGKILL
        proxy.settle()
        final = chaos.shipctl(["manifest"], cwd=workdir, env=env)
        assert final.exit_code == 0, final.stdout + final.stderr
        stats = sim.stats()["scan_forms"]
    assert stats["labels"] == 8 and stats["max_per_shipment"] == 1 and stats["total"] == 2
    rows = chaos.fetch(db, "SELECT s.reference FROM scan_form_labels l JOIN scan_forms f ON "
                       "f.id = l.scan_form_id JOIN shipments s ON s.id = l.shipment_id WHERE "
                       "f.state = 'created' ORDER BY 1")
    assert [r["reference"] for r in rows] == [f"M-{i:05d}" for i in range(9) if i != 1]
    excluded = chaos.fetch(db, "SELECT s.reference, x.reason FROM scan_form_exclusions x "
                           "JOIN shipments s ON s.id = x.shipment_id")
    assert [(r["reference"], r["reason"]) for r in excluded] == [("M-00001", "refunded")]
    assert chaos.fetch(db, "SELECT count(*) AS n FROM scan_forms WHERE state = 'requested'"
                       )[0]["n"] == 0
