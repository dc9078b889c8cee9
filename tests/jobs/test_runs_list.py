"""`shipctl runs`: bulk runs by default, dry runs marked, spend shown, 80 columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Shipctl
from tests.jobs.bulk_support import use_example_settings, write_orders


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


def test_runs_lists_bulk_runs_with_spend_and_dry_runs_marked(shipctl: Shipctl,
                                                             home: Path) -> None:
    write_orders(home / "orders.csv", 3)
    assert shipctl("--simulate", "bulk", "orders.csv", "--dry-run").exit_code == 0
    assert shipctl("--simulate", "bulk", "orders.csv", "--yes").exit_code == 0
    assert shipctl("--simulate", "track").exit_code == 0
    result = shipctl("--simulate", "runs")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "Bulk runs (simulated)"
    assert all(len(line.rstrip()) <= 80 for line in lines), result.stdout
    rows = [line.split() for line in lines[2:]]
    assert [row[0] for row in rows] == ["2", "1"]  # newest first; the sweep (run 3) is not here
    assert "dry run" in lines[3] and "$0.00" in lines[3]
    assert "completed" in lines[2] and "$" in lines[2] and "$0.00" not in lines[2]
    assert "…" not in result.stdout
    every = shipctl("--simulate", "runs", "--kind", "all")
    assert "track" in every.stdout and "bulk" in every.stdout
    only = shipctl("--simulate", "runs", "--kind", "track")
    assert [line.split()[0] for line in only.stdout.splitlines()[2:]] == ["3"]
