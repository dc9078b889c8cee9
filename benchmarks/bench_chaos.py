"""Chaos trials: `shipctl bulk` killed with SIGKILL mid-run against a faulty, rate-limited
simulator, rerun until done, then audited against the simulator's ledger.

Each trial: 300 generated orders, a simulator in its own process (10 % faults of every kind,
50 requests/s limit, timeouts answered after 3 s against a 2 s client timeout), one or two
`kill -9` at seeded moments, reruns until exit 0. Trials: `SHIPCTL_CHAOS_TRIALS` (default 20).
The database is an embedded PostgreSQL of the benchmark's own, emptied between trials.
Loopback only; each trial is bounded by its rerun count and subprocess timeouts.

Then compound trials (`chaos.COMPOUND_KINDS`), `SHIPCTL_CHAOS_COMPOUND` of each kind (default:
a quarter of the crash trials, at least 1; `SHIPCTL_CHAOS_KINDS=a,b` picks kinds): a buy's
answer lost and then an outage longer than the retry budget, `--rebuy` interrupted and
resumed, edits to the file between reruns, two or three workers on one file, the output
directory failing after buying, and a refund by an ambiguous key. shipctl reaches the
simulator through a fault-injecting proxy (tests/support/faultproxy.py). Each is audited for
orders lost, labels bought twice, labels bought for stale data and refunds of the wrong
label: all four must be zero.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability import chaos

ORDERS = 300
FAULT_RATE = 0.1
RATE_LIMIT = 50.0
KINDS = ("500", "503", "timeout", "drop", "lost_response")


def run() -> str:
    trials = int(os.environ.get("SHIPCTL_CHAOS_TRIALS", "20"))
    compound = int(os.environ.get("SHIPCTL_CHAOS_COMPOUND", str(max(1, trials // 4))))
    kinds = [k for k in os.environ.get("SHIPCTL_CHAOS_KINDS", "").split(",") if k] \
        or list(chaos.COMPOUND_KINDS)
    root = Path(tempfile.mkdtemp(prefix="shipctl-chaos-", dir="/tmp"))
    started = time.monotonic()
    results: list[chaos.CrashTrial] = []
    compounds: list[chaos.CompoundTrial] = []
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
        crash_wall = time.monotonic() - started
        for n in range(compound):
            for kind in kinds:
                if results or compounds:  # the first shipctl run creates the tables
                    chaos.truncate(url)
                trial = chaos.compound_trial(kind, root / f"{kind}-{n}", url, seed=2000 + n)
                compounds.append(trial)
                if trial.problems() or trial.notes:
                    print(f"-- {kind} seed {trial.seed}: {trial.problems()} {trial.notes}",
                          file=sys.stderr)
                    if os.environ.get("SHIPCTL_CHAOS_VERBOSE"):
                        print("\n".join(trial.outputs), file=sys.stderr)
    finally:
        chaos.embedded_server("stop", root)
        shutil.rmtree(root, ignore_errors=True)
    return crash_table(results, trials, crash_wall) + "\n" + compound_table(compounds, compound)


def crash_table(results: list[chaos.CrashTrial], trials: int, wall: float) -> str:
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


def compound_table(trials: list[chaos.CompoundTrial], per_kind: int) -> str:
    """One row per kind of compound fault, then the totals; the four money figures must be 0."""
    header = ("| kind | trials | orders | runs | crashes | not exit 0 | **orders lost** | "
              "**bought twice** | **stale data** | **wrong refunds** | other findings | "
              "s per trial |\n|---|" + "---:|" * 10 + "---:|\n")
    lines = []
    groups = {kind: [t for t in trials if t.kind == kind] for kind in dict.fromkeys(
        t.kind for t in trials)}
    groups["all"] = trials
    for kind, group in groups.items():
        if not group:
            continue
        figures = (
            len(group), sum(t.orders for t in group), sum(t.runs for t in group),
            sum(t.crashes for t in group), sum(t.final_exit != 0 for t in group),
            sum(len(t.lost) for t in group), sum(len(t.bought_twice) for t in group),
            sum(len(t.stale) for t in group), sum(len(t.wrong_refunds) for t in group),
            sum(len(t.notes) for t in group),
        )
        seconds = sum(t.seconds for t in group) / len(group)
        name = "**all**" if kind == "all" else kind
        lines.append(f"| {name} | " + " | ".join(str(f) for f in figures)
                     + f" | {seconds:.1f} |")
    notes = sorted({f"{t.kind}: {note}" for t in trials for note in t.notes})
    return (
        "## Chaos: compound faults\n\n"
        f"`SHIPCTL_CHAOS_COMPOUND={per_kind}` trials of each kind, through a fault-injecting "
        "proxy: lost buy answers then outages longer than the retry budget, `--rebuy` "
        "interrupted (Ctrl-C, kill -9) and resumed, edits between reruns, two or three "
        "concurrent workers, output failures after buying, refunds by an ambiguous key.\n\n"
        + header + "\n".join(lines) + "\n"
        + ("\nOther findings:\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"
           if notes else "")
    )


if __name__ == "__main__":
    print(run())
