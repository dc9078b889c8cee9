"""Scan forms at warehouse scale: 1,200 USPS labels from two origins, `shipctl manifest`
killed with SIGKILL at seeded moments and rerun, then audited against the simulator's ledger.

`SHIPCTL_MANIFEST_TRIALS` trials (default 3); the database is an embedded PostgreSQL of the
benchmark's own, emptied between trials. Every label must be on exactly one form.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability import chaos
from tests.reliability.manifest_chaos import ManifestTrial, manifest_trial

LABELS = 1200
PER_FORM = 100


def run() -> str:
    trials = int(os.environ.get("SHIPCTL_MANIFEST_TRIALS", "3"))
    root = Path(tempfile.mkdtemp(prefix="shipctl-manifest-", dir="/tmp"))
    started = time.monotonic()
    results: list[ManifestTrial] = []
    try:
        chaos.embedded_server("start", root)
        from shipctl.store import embedded

        status = embedded.status(root)
        chaos.fetch(status.url("postgres"), "CREATE DATABASE shipctl")
        url = status.url()
        for n in range(trials):
            if n:
                chaos.truncate(url)
            workdir = chaos.prepare_workdir(root / f"trial-{n}")
            results.append(manifest_trial(workdir, url, labels=LABELS, seed=500 + n,
                                          per_form=PER_FORM, latency=0.3,
                                          kill_window=(1.5, 4.0)))
    finally:
        chaos.embedded_server("stop", root)
        shutil.rmtree(root, ignore_errors=True)
    wall = time.monotonic() - started
    rows = [
        ("trials", str(len(results))),
        ("labels", str(LABELS * len(results))),
        ("forms made (ledger)", str(sum(t.forms_ledger for t in results))),
        ("crashes survived (kill -9)", str(sum(t.kills for t in results))),
        ("trials not finished with exit 0", str(sum(t.final_exit != 0 for t in results))),
        ("**labels on two forms** (must be 0)",
         str(sum(t.max_per_shipment > 1 for t in results))),
        ("**labels left out** (must be 0)",
         str(sum(LABELS - t.ledger_labels for t in results))),
        ("forms mixing origins (must be 0)", str(sum(t.mixed_origin_forms for t in results))),
        ("forms left `requested` (must be 0)", str(sum(t.requested_left for t in results))),
        ("DB vs ledger disagreements (must be 0)",
         str(sum(t.db_vs_ledger_disagreements for t in results))),
        ("wall time", f"{wall:.0f} s ({wall / max(1, len(results)):.1f} s per trial)"),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return ("## Scan forms: 1,200 labels, kill -9 during `manifest`\n\n"
            f"`SHIPCTL_MANIFEST_TRIALS={trials} python benchmarks/bench_manifest.py` — "
            f"{LABELS} USPS labels from two origins, {PER_FORM} per form.\n\n"
            "| figure | value |\n|---|---|\n" + table + "\n")


if __name__ == "__main__":
    print(run())
