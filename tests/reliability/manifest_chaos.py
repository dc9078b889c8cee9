"""A manifest trial shared by tests/reliability and benchmarks/bench_manifest.py: labels from
two origins bought with `shipctl bulk`, then `shipctl manifest` killed (SIGKILL) at random
moments against a slow simulator and rerun until done, then audited against the ledger."""

from __future__ import annotations

import io
import random
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader

from tests.endofday.support import write_orders

from . import chaos


@dataclass
class ManifestTrial:
    labels: int
    kills: int = 0
    forms_ledger: int = 0
    max_per_shipment: int = 0
    ledger_labels: int = 0
    db_labels: int = 0
    requested_left: int = 0
    mixed_origin_forms: int = 0
    db_vs_ledger_disagreements: int = 0
    pdf_pages: int = 0
    final_exit: int = -1
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)


def manifest_trial(
    workdir: Path, database_url: str, *, labels: int, seed: int, kills: int = 3,
    per_form: int = 10, latency: float = 0.4, kill_window: tuple[float, float] = (1.5, 5.0),
) -> ManifestTrial:
    started = time.monotonic()
    rng = random.Random(seed)
    trial = ManifestTrial(labels)
    state = workdir / "sim.sqlite3"
    orders = write_orders(workdir / "orders.csv", labels)
    with chaos.simulator_process(state, carriers=["USPS"]) as sim:
        env = chaos.shipctl_env(workdir, database_url=database_url, api_base=sim.api_base)
        bought = chaos.shipctl(["bulk", str(orders), "--yes", "--labels-out", "labels.pdf",
                                "--force"], cwd=workdir, env=env, timeout=1200)
        assert bought.exit_code == 0, bought.stderr
    # The same account, now slow: each form takes a while, so a kill lands mid-request.
    with chaos.simulator_process(state, carriers=["USPS"], latency=latency, jitter=0.5,
                                 seed=seed) as sim:
        env = chaos.shipctl_env(workdir, database_url=database_url, api_base=sim.api_base)
        args = ["manifest", "--per-form", str(per_form), "--out", "forms.pdf", "--force"]
        for _ in range(kills):
            process = chaos.start_shipctl(args, cwd=workdir, env=env)
            trial.kills += chaos.kill_after(process, rng.uniform(*kill_window))
        final = chaos.shipctl(args, cwd=workdir, env=env, timeout=1200)
        trial.final_exit = final.exit_code
        trial.outputs.append(final.stdout + final.stderr)
        stats = sim.stats()["scan_forms"]
    trial.forms_ledger = stats["total"]
    trial.max_per_shipment = stats["max_per_shipment"]
    trial.ledger_labels = stats["labels"]
    rows = chaos.fetch(database_url, "SELECT f.easypost_scan_form_id AS form, f.origin, "
                       "s.tracking_code FROM scan_form_labels l JOIN scan_forms f ON "
                       "f.id = l.scan_form_id JOIN shipments s ON s.id = l.shipment_id "
                       "WHERE f.state = 'created'")
    trial.db_labels = len(rows)
    trial.requested_left = chaos.fetch(
        database_url, "SELECT count(*) AS n FROM scan_forms WHERE state = 'requested'")[0]["n"]
    ledger = dict(_ledger(state))
    trial.db_vs_ledger_disagreements = sum(ledger.get(r["tracking_code"]) != r["form"]
                                           for r in rows) + abs(len(ledger) - len(rows))
    origins: dict[str, set[str]] = {}
    for row in rows:
        origins.setdefault(row["form"], set()).add(row["origin"])
    trial.mixed_origin_forms = sum(len(o) > 1 for o in origins.values())
    pdf = workdir / "forms.pdf"
    # forms.pdf holds the last run's new forms; each form's PDF has a page at least.
    trial.pdf_pages = len(PdfReader(io.BytesIO(pdf.read_bytes())).pages) if pdf.exists() else 0
    trial.seconds = time.monotonic() - started
    return trial


def _ledger(state: Path) -> list[tuple[str, str]]:
    """(tracking code, form id) for every label on a form, from the simulator's state file."""
    conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return [(str(c), str(f)) for f, c in conn.execute(
            "SELECT scan_form_id, tracking_code FROM scan_form_labels")]
    finally:
        conn.close()
