"""Order loading speed and memory: 100,000 template rows streamed through OrderSource.

Run standalone with `python benchmarks/bench_orders.py`, or call `run()` for a Markdown section.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROWS = 100_000
ROOT = Path(__file__).resolve().parents[1]
COMMAND = "python benchmarks/bench_orders.py"

# For a child process to report its own peak RSS in MB: VmHWM, which exec resets. ru_maxrss
# would carry the parent's peak over on Linux, which keeps the pre-exec high-water mark.
PEAK_MB = """
import sys


def peak_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
"""

# The child loads the file and nothing else, so its peak RSS is the loader's own.
CHILD = PEAK_MB + """
import json, sys, time
from decimal import Decimal
from pathlib import Path
from shipctl.models import Order
from shipctl.orders import LoadOptions, OrderSource

presets = {"small": (Decimal(8), Decimal(6), Decimal(4))}
start = time.perf_counter()
counts = {"orders": 0, "other": 0}
for item in OrderSource(Path(sys.argv[1]), LoadOptions(parcel_presets=presets)):
    counts["orders" if isinstance(item, Order) else "other"] += 1
counts["seconds"] = time.perf_counter() - start
counts["peak_mb"] = peak_mb()
print(json.dumps(counts))
"""


def write_orders(path: Path, rows: int = ROWS) -> None:
    """A template CSV of `rows` valid orders."""
    header = ["reference", "name", "street1", "street2", "city", "state", "zip", "country",
              "weight", "parcel", "carrier", "rate_rule"]  # fmt: skip
    states = [("Portland", "OR", "97214"), ("Austin", "TX", "78704"), ("Albany", "NY", "12203")]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for i in range(rows):
            city, state, zip_code = states[i % 3]
            parcel = "small" if i % 2 else "10x8x4"
            writer.writerow([f"B-{i:06d}", f"Customer {i}", f"{100 + i % 900} Main St",
                             "Apt 2" if i % 5 == 0 else "", city, state, zip_code, "US",
                             f"{1 + i % 40}oz", parcel, "USPS" if i % 7 == 0 else "",
                             "fastest" if i % 11 == 0 else ""])  # fmt: skip


def measure(path: Path) -> dict[str, float]:
    """Load `path` in a child process: counts, seconds and the child's peak RSS in MB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, check=True,
                          capture_output=True, text=True)  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout)
    return result


def run() -> str:
    """The `## Order loading` Markdown section."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        write_orders(path)
        size_mb = path.stat().st_size / 1e6
        result = measure(path)
    rate = result["orders"] / result["seconds"]
    return "\n".join(
        [
            "## Order loading",
            "",
            f"`{COMMAND}`: {ROWS:,} shipctl-template rows ({size_mb:.1f} MB CSV) streamed through "
            "`OrderSource` in a child process.",
            "",
            "| rows | valid orders | other items | seconds | rows/s | peak RSS |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {ROWS:,} | {int(result['orders']):,} | {int(result['other']):,} | "
            f"{result['seconds']:.1f} | {rate:,.0f} | {result['peak_mb']:.0f} MB |",
            "",
        ]
    )


if __name__ == "__main__":
    print(run())
