"""kill -9 of `shipctl pickup schedule` at the moments that matter, seen at the HTTP level (a
pickup created or bought and its answer never read, or the request never sent), then rerun:
each origin's pickup is bought exactly once, by the simulator's ledger, and PostgreSQL holds
the very pickups EasyPost sold.

The proxy between shipctl and the simulator kills the shipctl process from inside a request:
`before` forwarding it (it never lands) or `after` the simulator answered (it landed; its
answer dies with the process). The seeded trials kill at random moments of a slow carrier
instead."""

from __future__ import annotations

import os
import random
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator
from tests.endofday.support import CONFIG, write_orders
from tests.support.faultproxy import FaultProxy, fault_proxy

from . import chaos
from .conftest import trials

pytestmark = pytest.mark.db

CREATE = "POST /v2/pickups"
BUY = "POST /v2/pickups/{id}/buy"
RETRIEVE = "GET /v2/pickups/{id}"
SCHEDULE = ["pickup", "schedule", "--date", "tomorrow", "--window", "09:00-17:00"]


@dataclass
class Night:
    """Labels from two origins bought for tomorrow; shipctl runs behind the proxy."""

    sim: RunningSimulator
    proxy: FaultProxy
    env: dict[str, str]
    workdir: Path
    outputs: list[str] = field(default_factory=list)

    def start(self) -> subprocess.Popen[str]:
        return chaos.start_shipctl(SCHEDULE, cwd=self.workdir, env=self.env)

    def finish(self, process: subprocess.Popen[str]) -> int:
        out, err = process.communicate(timeout=120)
        self.outputs.append(f"exit {process.returncode}\n{out[-1500:]}\n{err[-1500:]}")
        return process.returncode

    def killed_at(self, key: str, nth: int, when: str) -> bool:
        """Run `pickup schedule`, killed at the nth `key` request; whether it was killed."""
        holder: list[subprocess.Popen[str]] = []
        self.proxy.at_request(key, nth, when, lambda: os.kill(holder[0].pid, signal.SIGKILL))
        holder.append(self.start())
        code = self.finish(holder[0])
        self.proxy.settle()
        self.proxy.clear_at()  # a run that made no such request: no rule for the next
        return code == -signal.SIGKILL


@pytest.fixture
def night(workdir: Path, db: str) -> Iterator[Night]:
    (workdir / "shipctl.toml").write_text(CONFIG)
    orders = write_orders(workdir / "orders.csv", 6)
    with running_simulator(SimulatorConfig(carriers=("USPS",), seed=5)) as sim, \
            fault_proxy(sim.api_base) as proxy:
        env = chaos.shipctl_env(workdir, database_url=db, api_base=proxy.api_base,
                                SHIPCTL_RETRY_SECONDS="2")
        bought = chaos.shipctl(["bulk", str(orders), "--yes", "--ship-date", "tomorrow"],
                               cwd=workdir, env=env)
        assert bought.exit_code == 0, bought.stdout + bought.stderr
        yield Night(sim, proxy, env, workdir)


def assert_bought_once_each(night: Night, db: str) -> None:
    """Both origins' pickups scheduled, each bought once, and shipctl's the ones sold."""
    stats = night.sim.stats()["pickups"]
    assert stats["scheduled"] == 2, night.outputs
    assert stats["max_per_pickup"] == 1 and stats["canceled"] == 0
    rows = chaos.fetch(db, "SELECT state, easypost_pickup_id, confirmation FROM pickups "
                       "WHERE state NOT IN ('canceled', 'failed') ORDER BY id")
    assert [r["state"] for r in rows] == ["scheduled", "scheduled"], night.outputs
    assert {r["easypost_pickup_id"] for r in rows} == set(stats["by_pickup"])
    assert all(r["confirmation"] for r in rows)


# Each case: where each killed run dies, in order; a last run then finishes the work.
MOMENTS = {
    "create never sent": [(CREATE, 1, "before")],
    "created, answer lost": [(CREATE, 1, "after")],
    "buy never sent": [(BUY, 1, "before")],
    "bought, answer lost": [(BUY, 1, "after")],
    "second origin bought, answer lost": [(BUY, 2, "after")],
    "bought, answer lost; rerun killed retrieving it": [(BUY, 1, "after"),
                                                        (RETRIEVE, 1, "before")],
    "bought, answer lost; rerun killed once it retrieved it": [(BUY, 1, "after"),
                                                               (RETRIEVE, 1, "after")],
    "buy never sent; rerun killed buying it, answer lost": [(BUY, 1, "before"),
                                                           (BUY, 1, "after")],
}


@pytest.mark.parametrize("moments", MOMENTS.values(), ids=MOMENTS.keys())
def test_a_killed_pickup_schedule_rerun_buys_each_pickup_once(
    night: Night, db: str, moments: list[tuple[str, int, str]]
) -> None:
    for key, nth, when in moments:
        assert night.killed_at(key, nth, when), (key, nth, when, night.outputs)
    assert night.proxy.called_at == [f"{when} {key}" for key, _, when in moments]
    final = night.finish(night.start())
    assert final == 0, night.outputs
    assert_bought_once_each(night, db)
    # And once more: nothing is bought again.
    again = chaos.shipctl(SCHEDULE, cwd=night.workdir, env=night.env)
    assert again.exit_code == 0 and again.stdout.count("already scheduled") == 2
    assert night.sim.stats()["pickups"]["scheduled"] == 2


@pytest.mark.parametrize("seed", range(401, 401 + trials(1)))
def test_pickup_schedule_killed_at_random_moments_then_rerun(
    night: Night, db: str, seed: int
) -> None:
    """Up to four runs, each killed at a seeded random request (any create, buy or retrieve
    of the pickups, before or after it lands) on a slightly slow carrier: the same audit."""
    rng = random.Random(seed)
    night.sim.set_latency(0.05, 0.5)
    kills = []
    for _ in range(4):
        moment = (rng.choice((CREATE, BUY, RETRIEVE)), rng.randint(1, 2),
                  rng.choice(("before", "after")))
        if night.killed_at(*moment):
            kills.append(moment)
    final = night.finish(night.start())
    assert final == 0, night.outputs
    assert kills, "no run was killed: the trial proves nothing"
    assert_bought_once_each(night, db)
