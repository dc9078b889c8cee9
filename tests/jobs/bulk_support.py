"""Shared pieces of the bulk tests: settings files, order files, the simulator's ledger."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

from shipctl.simulator import SimulatorConfig, running_simulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TEMPLATE_HEADER = ["reference", "name", "street1", "city", "state", "zip", "weight", "parcel"]
STREETS = ["100 Main St", "2200 Oak Ave", "17 Elm Ct", "450 Pine Rd", "9 Harbor Way"]
CITIES = [("Portland", "OR", "97214"), ("Austin", "TX", "78701"), ("Denver", "CO", "80202"),
          ("Miami", "FL", "33130"), ("Boston", "MA", "02108")]


def use_example_settings(home: Path) -> None:
    """The warehouse and parcel presets of examples/shipctl.toml, as ./shipctl.toml."""
    shutil.copy(EXAMPLES / "shipctl.toml", home / "shipctl.toml")


def write_orders(path: Path, count: int, *, prefix: str = "T", rows: list[list[str]] | None = None,
                 ) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(TEMPLATE_HEADER)
        for i in range(count):
            city, state, zip_code = CITIES[i % len(CITIES)]
            writer.writerow([f"{prefix}-{i:05d}", f"Customer {i}", STREETS[i % len(STREETS)],
                             city, state, zip_code, f"{4 + i % 40}oz", "small"])
        for row in rows or []:
            writer.writerow(row)
    return path


def ledger(data_dir: Path) -> dict[str, Any]:
    """The purchases the `--simulate` simulator recorded in its state file."""
    with running_simulator(SimulatorConfig(state_path=data_dir / "simulator.sqlite3")) as sim:
        stats: dict[str, Any] = sim.stats()
    return stats


def read_results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
