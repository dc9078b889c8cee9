"""Orders from two warehouses, bought with `--simulate`, for the end-of-day tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypdf import PdfReader

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


def write_orders(path: Path, count: int, *, prefix: str = "M") -> Path:
    """`count` orders; every third ships from the east warehouse, the others from the default."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(count):
            city, state, zip_code = CITIES[i % len(CITIES)]
            origin = list(EAST) if i % 3 == 0 else ["", "", "", "", ""]
            writer.writerow([f"{prefix}-{i:05d}", f"Customer {i}", f"{100 + i} Main St", city,
                             state, zip_code, f"{4 + i % 30}oz", *origin])
    return path


def buy(simulate: Run, path: Path, *flags: str) -> None:
    result = simulate("bulk", str(path), "--yes", "--carriers", "USPS", "--labels-out",
                      str(path.with_suffix(".pdf")), "--force", *flags)
    assert result.exit_code == 0, result.stdout + result.stderr


def pdf_pages(path: Path) -> int:
    return len(PdfReader(io.BytesIO(path.read_bytes())).pages)
