"""Start-up cost: `shipctl --help`, and a first and a second command on the embedded PostgreSQL.

The first command on a new data directory creates the database cluster, starts the server and
migrates; the second finds it running. Run standalone with `python benchmarks/bench_cli.py`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

COMMAND = "python benchmarks/bench_cli.py"
REPEAT = 5


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def run() -> str:
    shipctl = [sys.executable, "-m", "shipctl"]
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    python = statistics.median(_timed([sys.executable, "-c", "pass"], base)
                               for _ in range(REPEAT))
    help_ = statistics.median(_timed([*shipctl, "--help"], base) for _ in range(REPEAT))
    firsts, seconds = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory(prefix="shipctl-bench-") as data:
            env = {**base, "SHIPCTL_DATA_DIR": data}
            firsts.append(_timed([*shipctl, "db", "migrate"], env))
            seconds.append(statistics.median(_timed([*shipctl, "db", "status"], env)
                                             for _ in range(REPEAT)))
            subprocess.run([*shipctl, "db", "stop"], env=env, check=True, capture_output=True)
    first, second = statistics.median(firsts), statistics.median(seconds)
    return "\n".join([
        "## Start-up",
        "",
        f"`{COMMAND}` — medians of {REPEAT} runs (first command: 3 fresh data directories).",
        "",
        "| what | seconds | vs `python -c pass` |",
        "|---|---:|---:|",
        f"| `python -c pass` (interpreter start) | {python:.3f} | 1.0× |",
        f"| `shipctl --help` | {help_:.3f} | {help_ / python:.1f}× |",
        f"| first command, new data dir (`db migrate`: initdb, start, migrate) | {first:.3f} "
        f"| {first / python:.1f}× |",
        f"| second command (`db status`, server running) | {second:.3f} "
        f"| {second / python:.1f}× |",
    ])


if __name__ == "__main__":
    print(run())
