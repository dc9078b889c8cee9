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
    """What `shipctl db start|stop` does, for an embedded PostgreSQL with its data under
    `root`: called here rather than in a Python process of its own (the server runs in its
    own processes either way, and outlives this one)."""
    from shipctl.store import embedded

    if action == "start":
        embedded.start(root)
    elif action == "stop":
        embedded.stop(root)
    else:
        raise ValueError(f"no such action: {action}")


# --- compound faults: lost answers and outages, interrupted rebuys, edits, workers, outputs --
#
# Each trial drives `shipctl` subprocesses through a fault proxy (tests/support/faultproxy.py,
# on a thread of this process) in front of a simulator process, then audits the four figures
# that must be zero: orders lost, labels bought twice, labels bought for stale data and
# refunds of the wrong label. Other surprises (an unexpected exit code, an incomplete labels
# file, a worker that quit while others were buying) are listed in `notes`.

COMPOUND_KINDS = ("lost-answer-outage", "rebuy-interrupted", "edits-between-reruns",
                  "concurrent-workers", "output-failure", "ambiguous-refund")
# A short retry budget, so an outage of a few seconds outlasts it.
FAST_RETRIES = {"SHIPCTL_TIMEOUT": "1", "SHIPCTL_RETRY_SECONDS": "1"}


@dataclass
class CompoundTrial:
    kind: str
    seed: int
    orders: int
    runs: int = 0
    crashes: int = 0
    final_exit: int = -1
    lost: list[str] = field(default_factory=list)
    bought_twice: dict[str, int] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)
    wrong_refunds: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)

    def problems(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in (
                ("orders lost", self.lost),
                ("labels bought twice", self.bought_twice),
                ("labels bought for stale data", self.stale),
                ("refunds of the wrong label", self.wrong_refunds),
            )
            if value
        }


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: Sequence[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def edit_orders(path: Path, references: Sequence[str], rng: random.Random) -> None:
    """Give `references` a new street and weight (both valid) in the file."""
    chosen = set(references)
    rows = read_rows(path)
    for row in rows:
        if row["reference"] in chosen:
            row["street1"] = f"{rng.randint(1000, 9999)} Main St"
            row["weight"] = rng.choice([w for w in WEIGHTS if w != row["weight"]])
    write_rows(path, rows)


def stored_shipments(sim: SimulatorProcess, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The simulator's shipments by id, from its state file."""
    assert sim.state_path is not None
    conn = sqlite3.connect(f"file:{sim.state_path}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute(
            "SELECT id, body FROM objects WHERE kind = 'shipment' AND id IN "
            f"({','.join('?' * len(ids))})", list(ids)
        ).fetchall()
    finally:
        conn.close()
    return {sid: json.loads(body) for sid, body in rows}


def refunded_shipments(sim: SimulatorProcess) -> set[str]:
    assert sim.state_path is not None
    conn = sqlite3.connect(f"file:{sim.state_path}?mode=ro", uri=True, timeout=10)
    try:
        return {row[0] for row in conn.execute("SELECT shipment_id FROM refunds")}
    finally:
        conn.close()


def compound_audit(
    trial: CompoundTrial, database_url: str, sim: SimulatorProcess, orders_file: Path, *,
    labels_per_reference: int = 1, intended_refunds: set[str] | frozenset[str] = frozenset(),
    final_rows: list[dict[str, str]] | None = None,
) -> None:
    """Fill the trial's four figures from PostgreSQL, the ledger and the simulator's state.

    `final_rows`: the file's rows each label must have been bought for (default: the file).
    """
    from shipctl.units import parse_weight

    rows = final_rows if final_rows is not None else read_rows(orders_file)
    wanted = {row["reference"]: row for row in rows}
    current = {
        r["reference"]: r
        for r in fetch(
            database_url,
            "SELECT reference, state, easypost_shipment_id FROM shipments "
            "WHERE superseded_at IS NULL AND reference = ANY($1::text[])",
            list(wanted),
        )
    }
    purchases = sim.stats()["purchases"]
    by_reference = purchases["by_reference"]
    for reference in wanted:
        row = current.get(reference)
        if row is None or row["state"] != "purchased":
            trial.lost.append(f"{reference}:{row['state'] if row else 'no row'}")
        elif row["easypost_shipment_id"] not in purchases["by_shipment"]:
            trial.lost.append(f"{reference}:purchased in the database, not in the ledger")
        if by_reference.get(reference, 0) > labels_per_reference:
            trial.bought_twice[reference] = by_reference[reference]
    for shipment_id, count in purchases["by_shipment"].items():
        if count > 1:
            trial.bought_twice[shipment_id] = count
    ids = [r["easypost_shipment_id"] for r in current.values() if r["state"] == "purchased"]
    stored = stored_shipments(sim, ids) if ids else {}
    for reference, row in current.items():
        shipment = stored.get(row["easypost_shipment_id"])
        if row["state"] != "purchased" or shipment is None:
            continue
        street = str(shipment["to_address"]["street1"]).lower()
        weight = float(shipment["parcel"]["weight"])
        expected = wanted[reference]
        if street != expected["street1"].lower() or \
                abs(weight - float(parse_weight(expected["weight"]))) > 0.01:
            trial.stale.append(reference)
    trial.wrong_refunds = sorted(refunded_shipments(sim) - set(intended_refunds))


def _proxied(sim: SimulatorProcess) -> Any:
    from tests.support.faultproxy import fault_proxy

    return fault_proxy(sim.api_base)


def _run(trial: CompoundTrial, args: Sequence[str], *, cwd: Path, env: dict[str, str],
         timeout: float = 180) -> Finished:
    trial.runs += 1
    done = shipctl(args, cwd=cwd, env=env, timeout=timeout)
    trial.outputs.append(f"$ shipctl {' '.join(args)}\nexit {done.exit_code}\n"
                         f"{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    return done


def _rerun_until_done(trial: CompoundTrial, args: Sequence[str], *, cwd: Path,
                      env: dict[str, str], proxy: Any, max_reruns: int = 6) -> int:
    code = 1
    for _ in range(max_reruns):
        while proxy.is_down:
            time.sleep(0.1)
        code = _run(trial, args, cwd=cwd, env=env).exit_code
        if code == 0:
            break
    return code


def _interrupt_at(process: subprocess.Popen[str], sim: SimulatorProcess, purchases: int,
                  stop: signal.Signals, timeout: float = 60) -> bool:
    """Send `stop` once the ledger holds `purchases`; False when the run ended first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if sim.stats()["purchases"]["total"] >= purchases:
            process.send_signal(stop)
            process.communicate(timeout=60)
            return True
        time.sleep(0.05)
    process.communicate(timeout=60)
    return False


def trial_lost_answer_outage(workdir: Path, url: str, trial: CompoundTrial,
                             rng: random.Random) -> None:
    """A buy's answer is lost, then an outage outlasts the retry budget; later a buy is refused
    before it arrives, then another outage. Reruns must resolve both, buying nothing twice."""
    orders_file = workdir / "orders.csv"
    write_orders(orders_file, trial.orders, seed=trial.seed)
    with simulator_process(workdir / "sim.sqlite3", seed=trial.seed) as sim, \
            _proxied(sim) as proxy:
        lost_at = rng.randint(2, trial.orders // 2)
        proxy.lose_buy_answer(nth=lost_at, down_for=rng.uniform(2.0, 4.0))
        proxy.refuse_buy(nth=rng.randint(lost_at + 1, trial.orders), down_for=rng.uniform(1, 3))
        env = shipctl_env(workdir, database_url=url, api_base=proxy.api_base, **FAST_RETRIES)
        args = ["bulk", str(orders_file), "--yes", "--concurrency", "4"]
        first = _run(trial, args, cwd=workdir, env=env)
        if first.exit_code == 0:
            trial.notes.append("exit 0 although a buy's outcome was unknown")
        elif "unknown outcome" not in first.stdout + first.stderr:
            trial.notes.append(f"exit {first.exit_code} without 'unknown outcome'")
        trial.final_exit = _rerun_until_done(trial, args, cwd=workdir, env=env, proxy=proxy)
        compound_audit(trial, url, sim, orders_file)


def trial_rebuy_interrupted(workdir: Path, url: str, trial: CompoundTrial,
                            rng: random.Random) -> None:
    """Everything bought; then `--rebuy` interrupted (Ctrl-C or kill -9) once or twice and
    resumed with the same command: exactly two labels per reference."""
    orders_file = workdir / "orders.csv"
    write_orders(orders_file, trial.orders, seed=trial.seed)
    with simulator_process(workdir / "sim.sqlite3", seed=trial.seed, latency=0.02) as sim, \
            _proxied(sim) as proxy:
        env = shipctl_env(workdir, database_url=url, api_base=proxy.api_base)
        plain = ["bulk", str(orders_file), "--yes", "--concurrency", "8"]
        if _run(trial, plain, cwd=workdir, env=env).exit_code != 0:
            trial.notes.append("the first purchase did not exit 0")
        rebuy = ["bulk", str(orders_file), "--yes", "--rebuy", "--concurrency", "4"]
        bought = sim.stats()["purchases"]["total"]
        for _ in range(rng.choice((1, 2))):
            bought += rng.randint(5, trial.orders // 3)
            stop = rng.choice((signal.SIGINT, signal.SIGKILL))
            trial.runs += 1
            process = start_shipctl(rebuy, cwd=workdir, env=env)
            trial.crashes += _interrupt_at(process, sim, bought, stop)
            proxy.settle()
        trial.final_exit = _rerun_until_done(trial, rebuy, cwd=workdir, env=env, proxy=proxy)
        compound_audit(trial, url, sim, orders_file, labels_per_reference=2)
        short = [r for r, n in sim.stats()["purchases"]["by_reference"].items() if n < 2]
        if short:
            trial.notes.append(f"{len(short)} references not rebought")


def trial_edits_between_reruns(workdir: Path, url: str, trial: CompoundTrial,
                               rng: random.Random) -> None:
    """Dry run; edit rows; buy, killed midway; edit rows not bought yet; rerun; edit rows
    already bought and rerun: nothing bought again, every label for the data of its time."""
    orders_file = workdir / "orders.csv"
    references = write_orders(orders_file, trial.orders, seed=trial.seed)
    with simulator_process(workdir / "sim.sqlite3", seed=trial.seed, latency=0.02) as sim, \
            _proxied(sim) as proxy:
        env = shipctl_env(workdir, database_url=url, api_base=proxy.api_base)
        _run(trial, ["bulk", str(orders_file), "--dry-run"], cwd=workdir, env=env)
        edit_orders(orders_file, rng.sample(references, 5), rng)
        args = ["bulk", str(orders_file), "--yes", "--concurrency", "4"]
        trial.runs += 1
        process = start_shipctl(args, cwd=workdir, env=env)
        trial.crashes += _interrupt_at(process, sim, rng.randint(5, trial.orders // 2),
                                       signal.SIGKILL)
        proxy.settle()
        bought = set(sim.stats()["purchases"]["by_reference"])
        edit_orders(orders_file, rng.sample([r for r in references if r not in bought], 5), rng)
        trial.final_exit = _rerun_until_done(trial, args, cwd=workdir, env=env, proxy=proxy)
        labels_for = read_rows(orders_file)
        edit_orders(orders_file, rng.sample(references, 3), rng)
        after = _run(trial, args, cwd=workdir, env=env)
        if "changed after purchase" not in after.stdout + after.stderr:
            trial.notes.append("edits after purchase were not listed")
        compound_audit(trial, url, sim, orders_file, final_rows=labels_for)


def trial_concurrent_workers(workdir: Path, url: str, trial: CompoundTrial,
                             rng: random.Random) -> None:
    """Two or three workers on one file against a slightly faulty carrier: each order once,
    every worker exits with the run's outcome, none while the others are still buying."""
    orders_file = workdir / "orders.csv"
    write_orders(orders_file, trial.orders, seed=trial.seed)
    workers = rng.choice((2, 3))
    with simulator_process(workdir / "sim.sqlite3", seed=trial.seed, latency=0.02,
                           fault_rate=0.03, fault_kinds=["500", "503", "drop"]) as sim, \
            _proxied(sim) as proxy:
        env = shipctl_env(workdir, database_url=url, api_base=proxy.api_base)
        args = ["bulk", str(orders_file), "--yes", "--concurrency", "8"]
        running = [start_shipctl(args, cwd=workdir, env=env) for _ in range(workers)]
        trial.runs += workers
        at_exit: dict[int, int] = {}
        deadline = time.monotonic() + 240
        while len(at_exit) < workers and time.monotonic() < deadline:
            for n, process in enumerate(running):
                if n not in at_exit and process.poll() is not None:
                    at_exit[n] = sim.stats()["purchases"]["total"]
            time.sleep(0.02)
        for process in running:
            out, err = process.communicate(timeout=60)
            trial.outputs.append(f"worker exit {process.returncode}\n{out[-1500:]}\n{err[-1500:]}")
        codes = {p.returncode for p in running}
        final = sim.stats()["purchases"]["total"]
        early = [n for n, seen in at_exit.items() if seen < final]
        if early:
            trial.notes.append(f"{len(early)} of {workers} workers quit while others bought")
        if len(codes) > 1:
            trial.notes.append(f"workers disagree on the outcome: exits {sorted(codes)}")
        trial.final_exit = max(codes)
        if trial.final_exit != 0:
            trial.final_exit = _rerun_until_done(trial, args, cwd=workdir, env=env, proxy=proxy)
        statuses = [r["status"] for r in fetch(url, "SELECT status FROM runs")]
        if statuses != ["completed"]:
            trial.notes.append(f"runs: {statuses}")
        compound_audit(trial, url, sim, orders_file)


def trial_output_failure(workdir: Path, url: str, trial: CompoundTrial,
                         rng: random.Random) -> None:
    """The output directory turns into a file while buying: exit 7 naming `shipctl runs
    show`; once it is back, the rerun writes every order's result and label."""
    orders_file = workdir / "orders.csv"
    references = write_orders(orders_file, trial.orders, seed=trial.seed)
    out = workdir / "out"
    out.mkdir(exist_ok=True)
    breaking_buy = rng.randint(1, trial.orders)

    def break_outputs(number: int, shipment_id: str) -> None:
        if number == breaking_buy and out.is_dir():
            for child in out.iterdir():
                child.unlink()
            out.rmdir()
            out.write_text("a file where the output directory was")

    with simulator_process(workdir / "sim.sqlite3", seed=trial.seed) as sim, \
            _proxied(sim) as proxy:
        proxy.on_buy(break_outputs)
        env = shipctl_env(workdir, database_url=url, api_base=proxy.api_base)
        args = ["bulk", str(orders_file), "--yes", "--concurrency", "8", "--results-out",
                "out/results.csv", "--labels-out", "out/labels.pdf"]
        first = _run(trial, args, cwd=workdir, env=env)
        if first.exit_code != 7 or "shipctl runs show" not in first.stdout + first.stderr:
            trial.notes.append(f"output failure: exit {first.exit_code}, expected 7 and "
                               "`shipctl runs show`")
        proxy.on_buy(None)
        if out.is_file():
            out.unlink()
        out.mkdir(exist_ok=True)
        trial.final_exit = _rerun_until_done(trial, args, cwd=workdir, env=env, proxy=proxy)
        compound_audit(trial, url, sim, orders_file)
    results = out / "results.csv"
    written = [r["reference"] for r in read_rows(results)] if results.is_file() else []
    if written != references:
        trial.notes.append(f"results file has {len(written)} of {len(references)} orders")
    labels = out / "labels.pdf"
    pages = 0
    if labels.is_file():
        import pypdf

        pages = len(pypdf.PdfReader(labels).pages)
    if pages != len(references):
        trial.notes.append(f"labels file has {pages} of {len(references)} labels")


def trial_ambiguous_refund(workdir: Path, url: str, trial: CompoundTrial,
                           rng: random.Random) -> None:
    """An order whose reference is another label's tracking code: a refund by that key is
    refused until `--by` says which; only the chosen labels are refunded."""
    first_file = workdir / "orders.csv"
    references = write_orders(first_file, trial.orders, seed=trial.seed)
    with simulator_process(workdir / "sim.sqlite3", seed=trial.seed) as sim, \
            _proxied(sim) as proxy:
        env = shipctl_env(workdir, database_url=url, api_base=proxy.api_base)
        _run(trial, ["bulk", str(first_file), "--yes"], cwd=workdir, env=env)
        codes = {r["reference"]: r["tracking_code"] for r in fetch(
            url, "SELECT reference, tracking_code FROM shipments WHERE state = 'purchased'")}
        victim = rng.choice(references)
        key = codes[victim]
        second_file = workdir / "orders-2.csv"
        rows = read_rows(first_file)[:1]
        rows[0]["reference"] = key
        write_rows(second_file, rows)
        _run(trial, ["bulk", str(second_file), "--yes"], cwd=workdir, env=env)
        ambiguous = _run(trial, ["refund", key, "--yes"], cwd=workdir, env=env)
        if ambiguous.exit_code != 2:
            trial.notes.append(f"ambiguous refund key: exit {ambiguous.exit_code}, expected 2")
        chosen = _run(trial, ["refund", key, "--by", "reference", "--yes"], cwd=workdir, env=env)
        other = rng.choice([r for r in references if r != victim])
        plain = _run(trial, ["refund", other, "--yes"], cwd=workdir, env=env)
        trial.final_exit = max(chosen.exit_code, plain.exit_code)
        ids = {r["reference"]: r["easypost_shipment_id"] for r in fetch(
            url, "SELECT reference, easypost_shipment_id FROM shipments "
            "WHERE reference = ANY($1::text[])", [key, other])}
        intended = {ids[key], ids[other]} if len(ids) == 2 else set()
        refunded = refunded_shipments(sim)
        if refunded != intended:
            trial.notes.append(f"refunded {len(refunded & intended)} of the 2 chosen labels")
        trial.wrong_refunds = sorted(refunded - intended)
        purchases = sim.stats()["purchases"]
        trial.bought_twice = {r: n for r, n in purchases["by_reference"].items() if n > 1}


COMPOUND_TRIALS = {
    "lost-answer-outage": (trial_lost_answer_outage, 40),
    "rebuy-interrupted": (trial_rebuy_interrupted, 120),
    "edits-between-reruns": (trial_edits_between_reruns, 60),
    "concurrent-workers": (trial_concurrent_workers, 300),
    "output-failure": (trial_output_failure, 40),
    "ambiguous-refund": (trial_ambiguous_refund, 10),
}


def compound_trial(kind: str, workdir: Path, database_url: str, *, seed: int) -> CompoundTrial:
    """One seeded trial of `kind` in a fresh work directory, audited."""
    run, orders = COMPOUND_TRIALS[kind]
    trial = CompoundTrial(kind=kind, seed=seed, orders=orders)
    prepare_workdir(workdir)
    started = time.monotonic()
    try:
        run(workdir, database_url, trial, random.Random(seed))
    except Exception as error:  # a trial that breaks is reported, not hidden
        trial.notes.append(f"trial error: {type(error).__name__}: {error}")
    trial.seconds = time.monotonic() - started
    return trial
