"""Chaos trials: `shipctl bulk` killed with SIGKILL mid-run against a faulty, rate-limited
simulator, rerun until done, then audited against the simulator's ledger.

Each trial: 300 generated orders, a simulator in its own process (10 % faults of every kind,
50 requests/s limit, timeouts answered after 3 s against a 2 s client timeout), one or two
`kill -9` at seeded moments, reruns until exit 0. Trials: `SHIPCTL_CHAOS_TRIALS` (default 20).
The database is an embedded PostgreSQL of the benchmark's own, emptied between trials.
Loopback only; each trial is bounded by its rerun count and subprocess timeouts.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from reliability import chaos  # type: ignore[import-not-found]

ORDERS = 300
FAULT_RATE = 0.1
RATE_LIMIT = 50.0
KINDS = ("500", "503", "timeout", "drop", "lost_response")


def run() -> str:
    trials = int(os.environ.get("SHIPCTL_CHAOS_TRIALS", "20"))
    root = Path(tempfile.mkdtemp(prefix="shipctl-chaos-", dir="/tmp"))
    started = time.monotonic()
    results: list[chaos.CrashTrial] = []
    try:
        chaos.embedded_server("start", root)
        from shipctl.store import embedded

        status = embedded.status(root)
        chaos.fetch(status.url("postgres"), "CREATE DATABASE shipctl")
        url = status.url()
        for n in range(trials):
            if n:
                chaos.truncate(url)
            results.append(
                chaos.crash_trial(
                    root / f"trial-{n}",
                    url,
                    seed=1000 + n,
                    orders=ORDERS,
                    fault_rate=FAULT_RATE,
                    rate_limit=RATE_LIMIT,
                )
            )
    finally:
        chaos.embedded_server("stop", root)
        shutil.rmtree(root, ignore_errors=True)
    wall = time.monotonic() - started
    faults: Counter[str] = Counter()
    for trial in results:
        faults.update(trial.faults)
    lost = sum(len(t.audit.lost) + len(t.audit.unfinished_db) for t in results)
    doubles = sum(t.audit.double_purchases for t in results)
    disagreements = sum(
        len(t.audit.db_not_in_ledger)
        + len(t.audit.ledger_not_in_db)
        + len(t.audit.tracking_mismatch)
        for t in results
    )
    unfinished_runs = sum(t.final_exit != 0 for t in results)
    rows = [
        ("trials", str(len(results))),
        ("orders", str(ORDERS * len(results))),
        ("purchased (DB)", str(sum(t.audit.purchased_db for t in results))),
        ("failed with a reason (DB)", str(sum(t.audit.failed_db for t in results))),
        *((f"faults injected: {k}", str(faults.get(k, 0))) for k in KINDS),
        ("429s", str(faults.get("429", 0))),
        ("retries (calls beyond create+buy per order)", str(sum(t.retries for t in results))),
        ("crashes survived (kill -9)", str(sum(t.kills for t in results))),
        ("reruns", str(sum(t.reruns for t in results))),
        ("trials not finished with exit 0", str(unfinished_runs)),
        ("**orders lost** (must be 0)", str(lost)),
        ("**double purchases** (must be 0)", str(doubles)),
        ("DB vs ledger disagreements (must be 0)", str(disagreements)),
        ("wall time", f"{wall:.0f} s ({wall / max(1, len(results)):.1f} s per trial)"),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        "## Chaos: kill -9, carrier faults and rate limits\n\n"
        f"`SHIPCTL_CHAOS_TRIALS={trials} python benchmarks/bench_chaos.py` — {ORDERS} orders "
        f"per trial, {FAULT_RATE:.0%} faults ({', '.join(KINDS)}), {RATE_LIMIT:g} req/s limit, "
        "concurrency 16, SHIPCTL_TIMEOUT=2 against a 3 s timeout fault.\n\n"
        "| figure | value |\n|---|---|\n" + table + "\n"
    )


if __name__ == "__main__":
    print(run())
