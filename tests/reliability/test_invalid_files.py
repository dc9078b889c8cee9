"""An invalid orders file buys nothing through the CLI: exit 2, no traceback, no purchase."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

HEADER = ["reference", "name", "street1", "city", "state", "zip", "weight"]
GOOD_ROW = ["SO-1", "Ann Lee", "1 Main St", "Springfield", "IL", "62701", "12oz"]

INVALID_FILES: dict[str, Callable[[Path], int]] = {
    "bad-zip": lambda p: p.write_text(
        ",".join(HEADER) + "\n" + ",".join(GOOD_ROW) + "\nSO-2,Bo,2 Elm St,Austin,TX,ABCDE,1lb\n"
    ),
    "utf16": lambda p: p.write_bytes(
        (",".join(HEADER) + "\n" + ",".join(GOOD_ROW) + "\n").encode("utf-16")
    ),
    "binary": lambda p: p.write_bytes(bytes(range(256)) * 8),
    "formula-weight": lambda p: p.write_text(
        ",".join(HEADER) + "\n" + "=1+1,Ann,1 Main St,Springfield,IL,62701,=2*8\n"
    ),
}


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(SimulatorConfig(seed=3)) as running:
        yield running


@pytest.mark.db
@pytest.mark.parametrize("kind", sorted(INVALID_FILES))
def test_invalid_file_buys_nothing_through_the_cli(
    kind: str, shipctl: Callable[..., Any], isolated_env: Path, sim: RunningSimulator
) -> None:
    path = isolated_env / "orders.csv"
    INVALID_FILES[kind](path)
    result = shipctl("bulk", str(path), "--yes", env={
        "EASYPOST_API_BASE": sim.api_base, "EASYPOST_API_KEY": "EZTK-invalid-files"})

    assert result.exit_code == 2, result
    assert "Traceback" not in result.stdout + result.stderr
    assert sim.stats()["purchases"]["total"] == 0
