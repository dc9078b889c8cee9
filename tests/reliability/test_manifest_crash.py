"""kill -9 in the middle of `shipctl manifest`, rerun until done: every label of the day on
exactly one scan form (the simulator's ledger counts the forms each label is on), none left
out, and no form left `requested` in PostgreSQL."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.endofday.support import write_orders

from . import chaos
from .conftest import trials

pytestmark = pytest.mark.db

LABELS = 180


@pytest.mark.parametrize("seed", range(301, 301 + trials(1)))
def test_kill_during_manifest_and_rerun_forms_each_label_once(
    seed: int, workdir: Path, db: str
) -> None:
    chaos.truncate(db)
    rng = random.Random(seed)
    state = workdir / "sim.sqlite3"
    orders = write_orders(workdir / "orders.csv", LABELS)
    with chaos.simulator_process(state, carriers=["USPS"]) as sim:
        env = chaos.shipctl_env(workdir, database_url=db, api_base=sim.api_base)
        bought = chaos.shipctl(["bulk", str(orders), "--yes", "--labels-out", "labels.pdf"],
                               cwd=workdir, env=env)
        assert bought.exit_code == 0, bought.stderr
    # The same account, now slow: each form request takes a while, so a kill lands mid-way.
    with chaos.simulator_process(state, carriers=["USPS"], latency=0.4, jitter=0.5,
                                 seed=seed) as sim:
        env = chaos.shipctl_env(workdir, database_url=db, api_base=sim.api_base)
        args = ["manifest", "--per-form", "10", "--out", "forms.pdf", "--force"]
        kills = 0
        for _ in range(3):
            process = chaos.start_shipctl(args, cwd=workdir, env=env)
            kills += chaos.kill_after(process, rng.uniform(1.5, 5.0))
        final = chaos.shipctl(args, cwd=workdir, env=env)
        assert final.exit_code == 0, final.stdout + final.stderr
        stats = sim.stats()["scan_forms"]
    assert kills >= 1, "no run was killed: the trial proves nothing"
    assert stats["max_per_shipment"] == 1
    assert stats["labels"] == LABELS
    rows = chaos.fetch(db, "SELECT f.state, f.easypost_scan_form_id, s.tracking_code "
                           "FROM scan_form_labels l JOIN scan_forms f ON f.id = l.scan_form_id "
                           "JOIN shipments s ON s.id = l.shipment_id")
    assert len(rows) == LABELS
    assert {r["state"] for r in rows} == {"created"}
    left = chaos.fetch(db, "SELECT count(*) AS n FROM scan_forms WHERE state = 'requested'")
    assert left[0]["n"] == 0
    # PostgreSQL's forms are the simulator's: the same label on the same form.
    ledger_forms = {code: form for form, code in _ledger(state)}
    assert {r["tracking_code"]: r["easypost_scan_form_id"] for r in rows} == ledger_forms


def _ledger(state: Path) -> list[tuple[str, str]]:
    import sqlite3

    conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return [(str(f), str(c)) for f, c in conn.execute(
            "SELECT scan_form_id, tracking_code FROM scan_form_labels")]
    finally:
        conn.close()
