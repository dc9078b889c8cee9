"""Orders from two warehouses, bought with `--simulate`, for the end-of-day tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator
from tests.support.faultproxy import FaultProxy, fault_proxy

Run = Callable[..., Any]

CONFIG = """
[from_address]
name = "Warehouse"
street1 = "1 Main St"
city = "Springfield"
state = "IL"
zip = "62701"

[parcels]
small = "8x6x4 in"
"""
# The second warehouse: orders naming it in their from columns ship from there.
EAST = ("East Warehouse", "500 Harbor Way", "Boston", "MA", "02110")
CITIES = (("Portland", "OR", "97214"), ("Austin", "TX", "78701"), ("Denver", "CO", "80202"),
          ("Miami", "FL", "33130"), ("Seattle", "WA", "98103"))
HEADER = ["reference", "name", "street1", "city", "state", "zip", "weight",
          "from name", "from street1", "from city", "from state", "from zip"]


def write_orders(
    path: Path, count: int, *, prefix: str = "M", account: Callable[[int], str] | None = None
) -> Path:
    """`count` orders; every third ships from the east warehouse, the others from the default.
    `account(i)`: the carrier account order i is to be bought on (a `carrier account` column;
    "" for any)."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER + (["carrier account"] if account else []))
        for i in range(count):
            city, state, zip_code = CITIES[i % len(CITIES)]
            origin = list(EAST) if i % 3 == 0 else ["", "", "", "", ""]
            writer.writerow([f"{prefix}-{i:05d}", f"Customer {i}", f"{100 + i} Main St", city,
                             state, zip_code, f"{4 + i % 30}oz", *origin,
                             *([account(i)] if account else [])])
    return path


def buy(simulate: Run, path: Path, *flags: str) -> None:
    result = simulate("bulk", str(path), "--yes", "--carriers", "USPS", "--labels-out",
                      str(path.with_suffix(".pdf")), "--force", *flags)
    assert result.exit_code == 0, result.stdout + result.stderr


def pdf_pages(path: Path) -> int:
    return len(PdfReader(io.BytesIO(path.read_bytes())).pages)


API_KEY = "EZTK-endofday-0123456789abcdef"


@dataclass
class Carrier:
    """A simulator of the test's own behind a fault proxy: shipctl talks to the proxy, the
    test to either (`client` goes straight to the simulator, as another tool would)."""

    sim: RunningSimulator
    proxy: FaultProxy

    @property
    def env(self) -> dict[str, str]:
        return {"EASYPOST_API_BASE": self.proxy.api_base, "EASYPOST_API_KEY": API_KEY,
                "SHIPCTL_TIMEOUT": "2", "SHIPCTL_RETRY_SECONDS": "2"}

    def client(self) -> Any:
        import easypost

        return easypost.EasyPostClient(API_KEY, api_base=self.sim.api_base)


@contextmanager
def carrier_for(config: SimulatorConfig) -> Iterator[Carrier]:
    with running_simulator(config) as sim, fault_proxy(sim.api_base) as proxy:
        yield Carrier(sim, proxy)
