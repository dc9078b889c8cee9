"""Fixtures for the reliability trials: a work directory and this worker's database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import chaos


def trials(default: int) -> int:
    """How many seeded trials: `SHIPCTL_CHAOS_TRIALS`, else the short suite's `default`."""
    return int(os.environ.get("SHIPCTL_CHAOS_TRIALS", default))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return chaos.prepare_workdir(tmp_path / "work")
