"""kill -9 in the middle of `shipctl manifest`, rerun until done: every label of the day on
exactly one scan form (the simulator's ledger counts the forms each label is on), none left
out, forms never mixing origins, and no form left `requested` in PostgreSQL. The 1,200-label
version is benchmarks/bench_manifest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import chaos
from .conftest import trials
from .manifest_chaos import manifest_trial

pytestmark = [pytest.mark.db, pytest.mark.slow]

LABELS = 180


@pytest.mark.parametrize("seed", range(301, 301 + trials(1)))
def test_kill_during_manifest_and_rerun_forms_each_label_once(
    seed: int, workdir: Path, db: str
) -> None:
    chaos.truncate(db)
    trial = manifest_trial(workdir, db, labels=LABELS, seed=seed, kills=2)
    assert trial.final_exit == 0, trial.outputs
    assert trial.kills >= 1, "no run was killed: the trial proves nothing"
    assert trial.max_per_shipment == 1
    assert trial.ledger_labels == LABELS
    assert trial.db_labels == LABELS
    assert trial.requested_left == 0
    assert trial.mixed_origin_forms == 0
    assert trial.db_vs_ledger_disagreements == 0
