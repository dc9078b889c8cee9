"""The chaos harness shared by tests/reliability and benchmarks/bench_chaos.py.

Everything here drives real processes: a simulator serving in a child process of its own
(so a `kill -9` of shipctl never takes the carrier's ledger with it), `shipctl bulk` as a
subprocess, and the real PostgreSQL the suite (or the benchmark) provides.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parents[2]
API_KEY = "EZTK-reliability-0123456789abcdef"
# Streets, cities and ZIPs the simulator's address check accepts (from examples/orders.csv).
DESTINATIONS = (
    ("Portland", "OR", "97214"),
    ("Seattle", "WA", "98103"),
    ("Boise", "ID", "83702"),
    ("Salt Lake City", "UT", "84105"),
    ("Denver", "CO", "80205"),
    ("Austin", "TX", "78704"),
    ("Chicago", "IL", "60614"),
    ("Albany", "NY", "12203"),
    ("Miami", "FL", "33130"),
)
NAMES = ("Avery Whitfield", "Jordan Okafor", "Priya Lindqvist", "Mateo Ramirez", "Ann Lee")
WEIGHTS = ("4oz", "12oz", "1lb", "1.5lb", "500g", "2lb")
TEMPLATE = ("reference", "name", "street1", "city", "state", "zip", "weight")
# Used by shipctl as its project config: a return address and the parcel presets.
PROJECT_TOML = (REPO / "examples" / "shipctl.toml").read_text()

# The simulator is started through its library entry point in a child process because the
# `simulator serve` command has no --timeout-delay: a short delay makes a timed-out buy land
# *after* the client has given up, the case safe buy exists for.
_SERVE = """
import asyncio, json, sys
from pathlib import Path
from shipctl.simulator import SimulatorConfig, serve
from shipctl.simulator.server import new_event_loop
options = json.loads(sys.argv[1])
if options.get("state_path"):
    options["state_path"] = Path(options["state_path"])
if "fault_kinds" in options:
    options["fault_kinds"] = tuple(options["fault_kinds"])
config = SimulatorConfig(**options)
def ready(api_base):
    print(api_base, flush=True)
with asyncio.Runner(loop_factory=new_event_loop) as runner:
    runner.run(serve(config, on_ready=ready))
"""


# `python -m shipctl` as a child process.
_SHIPCTL = """
import sys
from shipctl.cli import main
main.run(sys.argv[1:])
"""


def write_orders(path: Path, count: int, *, seed: int, prefix: str = "R") -> list[str]:
    """`count` valid orders in the shipctl template; returns their references."""
    rng = random.Random(seed)
    references = [f"{prefix}-{seed}-{n:05d}" for n in range(1, count + 1)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(TEMPLATE)
        for n, reference in enumerate(references, start=1):
            city, state, zip_code = rng.choice(DESTINATIONS)
            writer.writerow(
                (
                    reference,
                    rng.choice(NAMES),
                    f"{100 + n} Main St",
                    city,
                    state,
                    zip_code,
                    rng.choice(WEIGHTS),
                )
            )
    return references


@dataclass
class SimulatorProcess:
    """A simulator serving in its own process; its ledger is read over HTTP."""

    process: subprocess.Popen[str]
    api_base: str
    state_path: Path | None

    @property
    def origin(self) -> str:
        return self.api_base.removesuffix("/v2")

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.origin}/_sim/stats", timeout=10) as response:
            result: dict[str, Any] = json.load(response)
            return result

    def tracking_codes(self) -> dict[str, str | None]:
        """shipment id → tracking code, for every purchased shipment in the state file."""
        assert self.state_path is not None, "start the simulator with a state file"
        conn = sqlite3.connect(f"file:{self.state_path}?mode=ro", uri=True, timeout=10)
        try:
            rows = conn.execute(
                "SELECT id, body FROM objects WHERE kind = 'shipment' AND purchased = 1"
            ).fetchall()
        finally:
            conn.close()
        return {sid: json.loads(body).get("tracking_code") for sid, body in rows}


@contextmanager
def simulator_process(state_path: Path | None = None, **options: Any) -> Iterator[SimulatorProcess]:
    """Serve the simulator in a child process on a free loopback port for the block."""
    if state_path is not None:
        options["state_path"] = str(state_path)
    options.setdefault("port", 0)
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, json.dumps(options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("http://"):
            raise RuntimeError(f"simulator did not start (exit {process.poll()})")
        yield SimulatorProcess(process, line, state_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def shipctl_env(
    workdir: Path, *, database_url: str | None, api_base: str | None, **extra: str
) -> dict[str, str]:
    """A clean environment for a shipctl subprocess working in `workdir`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHIPCTL_", "EASYPOST_")) and k != "DATABASE_URL"
    }
    env.update(
        XDG_CONFIG_HOME=str(workdir / "config"),
        SHIPCTL_DATA_DIR=str(workdir / "data"),
        COLUMNS="200",
        SHIPCTL_TIMEOUT="2",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if api_base:
        env.update(EASYPOST_API_BASE=api_base, EASYPOST_API_KEY=API_KEY)
    env.update(extra)
    return env


def prepare_workdir(workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "shipctl.toml").write_text(PROJECT_TOML)
    return workdir


@dataclass(frozen=True)
class Finished:
    exit_code: int
    stdout: str
    stderr: str


def shipctl(
    args: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float = 300
) -> Finished:
    done = subprocess.run(
        [sys.executable, "-c", _SHIPCTL, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Finished(done.returncode, done.stdout, done.stderr)


def start_shipctl(args: Sequence[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _SHIPCTL, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_after(process: subprocess.Popen[str], delay: float) -> bool:
    """`kill -9` the process after `delay` seconds; False when it had already ended."""
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
        return True
    process.communicate()
    return False


# --- the database side ---------------------------------------------------------------------


def fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    async def go() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return asyncio.run(go())


def truncate(url: str) -> None:
    fetch(
        url, "TRUNCATE tracking_events, trackers, refunds, shipments, runs RESTART IDENTITY CASCADE"
    )


@dataclass
class Audit:
    """What the database and the simulator's ledger say about one set of references."""

    references: int
    purchased_db: int = 0
    failed_db: int = 0
    unfinished_db: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    failed_without_code: list[str] = field(default_factory=list)
    double_by_reference: dict[str, int] = field(default_factory=dict)
    double_by_shipment: dict[str, int] = field(default_factory=dict)
    db_not_in_ledger: list[str] = field(default_factory=list)
    ledger_not_in_db: list[str] = field(default_factory=list)
    tracking_mismatch: list[str] = field(default_factory=list)
    max_per_reference: int = 0
    max_per_shipment: int = 0

    @property
    def double_purchases(self) -> int:
        return len(self.double_by_reference) + len(self.double_by_shipment)

    def problems(self) -> dict[str, Any]:
        """Every disagreement, empty when the run is sound."""
        found = {
            name: value
            for name, value in (
                ("lost (no row, or pending/created)", self.lost + self.unfinished_db),
                ("failed without error_code", self.failed_without_code),
                ("bought twice, by reference", self.double_by_reference),
                ("bought twice, by shipment", self.double_by_shipment),
                ("purchased in DB, not in ledger", self.db_not_in_ledger),
                ("purchased in ledger, not in DB", self.ledger_not_in_db),
                ("tracking code differs", self.tracking_mismatch),
            )
            if value
        }
        return found


def audit(database_url: str, sim: SimulatorProcess, references: Sequence[str]) -> Audit:
    """Compare the database's current rows with the ledger for `references`."""
    wanted = set(references)
    rows = {
        r["reference"]: r
        for r in fetch(
            database_url,
            "SELECT reference, state, easypost_shipment_id, tracking_code, error_code "
            "FROM shipments WHERE superseded_at IS NULL AND reference = ANY($1::text[])",
            list(wanted),
        )
    }
    stats = sim.stats()
    purchases = stats["purchases"]
    by_reference: dict[str, int] = {
        k: v for k, v in purchases["by_reference"].items() if k in wanted
    }
    codes = sim.tracking_codes() if sim.state_path is not None else {}
    result = Audit(
        references=len(wanted),
        max_per_reference=purchases["max_per_reference"],
        max_per_shipment=purchases["max_per_shipment"],
    )
    result.double_by_reference = {k: v for k, v in by_reference.items() if v > 1}
    result.double_by_shipment = {k: v for k, v in purchases["by_shipment"].items() if v > 1}
    purchased_in_db: set[str] = set()
    for reference in sorted(wanted):
        row = rows.get(reference)
        if row is None:
            result.lost.append(reference)
        elif row["state"] in ("pending", "created"):
            result.unfinished_db.append(f"{reference}:{row['state']}")
        elif row["state"] == "failed":
            result.failed_db += 1
            if not row["error_code"]:
                result.failed_without_code.append(reference)
        elif row["state"] == "purchased":
            result.purchased_db += 1
            purchased_in_db.add(reference)
            if codes and codes.get(row["easypost_shipment_id"]) != row["tracking_code"]:
                result.tracking_mismatch.append(reference)
    result.db_not_in_ledger = sorted(purchased_in_db - set(by_reference))
    result.ledger_not_in_db = sorted(set(by_reference) - purchased_in_db)
    return result


def ledger_counts(stats: dict[str, Any]) -> Counter[str]:
    """Faults by kind plus 429s, from one ledger."""
    counts: Counter[str] = Counter(stats.get("faults", {}))
    counts["429"] += stats.get("rate_limited", 0)
    return counts


def retries_from(stats: dict[str, Any], orders: int) -> int:
    """Carrier calls beyond the minimum a clean run needs (create + buy per order)."""
    requests = stats.get("requests", {})
    calls = sum(
        sum(v.values())
        for k, v in requests.items()
        if k.startswith(("POST /v2/shipments", "GET /v2/shipments/"))
    )
    return max(0, calls - 2 * orders)


@dataclass
class CrashTrial:
    seed: int
    orders: int
    kills: int
    reruns: int
    final_exit: int
    audit: Audit
    faults: Counter[str]
    retries: int
    seconds: float
    outputs: list[str] = field(default_factory=list)


def crash_trial(
    workdir: Path,
    database_url: str,
    *,
    seed: int,
    orders: int = 300,
    fault_rate: float = 0.1,
    kill_window: tuple[float, float] = (1.5, 12.0),
    max_reruns: int = 8,
    concurrency: int = 16,
    rate_limit: float | None = None,
) -> CrashTrial:
    """Bulk-buy `orders` against a faulty simulator, `kill -9` it once at a seeded moment,
    rerun until it exits 0, and audit the database against the ledger."""
    rng = random.Random(seed)
    prepare_workdir(workdir)
    orders_file = workdir / f"orders-{seed}.csv"
    references = write_orders(orders_file, orders, seed=seed)
    started = time.monotonic()
    outputs: list[str] = []
    with simulator_process(
        workdir / f"sim-{seed}.sqlite3",
        fault_rate=fault_rate,
        seed=seed,
        timeout_delay=3.0,
        rate_limit=rate_limit,
    ) as sim:
        env = shipctl_env(workdir, database_url=database_url, api_base=sim.api_base)
        args = ["bulk", str(orders_file), "--yes", "--concurrency", str(concurrency)]
        kills, code = 0, 1
        # One or two runs die by kill -9 at seeded moments; then reruns finish the job.
        for _ in range(rng.choice((1, 1, 2))):
            process = start_shipctl(args, cwd=workdir, env=env)
            kills += kill_after(process, rng.uniform(*kill_window))
            code = process.returncode
            if code == 0:
                break
        reruns = 0
        while code != 0 and reruns < max_reruns:
            reruns += 1
            done = shipctl(args, cwd=workdir, env=env)
            code = done.exit_code
            outputs.append(f"exit {code}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        result = audit(database_url, sim, references)
        stats = sim.stats()
    return CrashTrial(
        seed=seed,
        orders=orders,
        kills=kills,
        reruns=reruns,
        final_exit=code,
        audit=result,
        faults=ledger_counts(stats),
        retries=retries_from(stats, orders),
        seconds=time.monotonic() - started,
        outputs=outputs,
    )


def embedded_server(action: str, root: Path) -> None:
    """`shipctl db start|stop` for an embedded PostgreSQL with its data under `root`."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["SHIPCTL_DATA_DIR"] = str(root)
    subprocess.run([sys.executable, "-m", "shipctl", "db", action], env=env, check=True,
                   capture_output=True, timeout=120)
