"""kill -9 in the middle of `shipctl bulk`, rerun until done: every order bought exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import chaos
from .conftest import trials

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.mark.parametrize("seed", range(101, 101 + trials(2)))
def test_kill_and_rerun_buys_every_order_exactly_once(seed: int, workdir: Path, db: str) -> None:
    trial = chaos.crash_trial(workdir, db, seed=seed, orders=300, fault_rate=0.1)

    assert trial.final_exit == 0, trial.outputs[-1:]
    audit = trial.audit
    assert audit.problems() == {}
    assert audit.purchased_db == 300
    assert audit.max_per_reference == 1
    assert audit.max_per_shipment == 1
    assert sum(trial.faults.values()) > 0, "the simulator injected no faults"
