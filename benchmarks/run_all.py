"""Run every benchmark and rewrite BENCHMARKS.md: `python benchmarks/run_all.py [NAME …]`.

Each `benchmarks/bench_<name>.py` has `run() -> str`, a Markdown section measured side by
side in one run. Naming some benchmarks runs only those and keeps the other sections.
"""

from __future__ import annotations

import importlib
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "BENCHMARKS.md"
SECTION = re.compile(r"^<!-- bench:(\w+) -->$", re.MULTILINE)


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = names[0] if names else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(re.findall(r"MemTotal:\s+(\d+)", meminfo.read_text())[0])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return (f"{os.cpu_count()} cores ({cpu}){memory}; Python {platform.python_version()} "
            f"on {platform.system()}{load}")


def load(name: str) -> object:
    # Imported by name from benchmarks/, so that worker processes (multiprocessing spawn)
    # can import the benchmark's functions too.
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module(f"bench_{name}")


def existing_sections() -> dict[str, str]:
    if not OUTPUT.exists():
        return {}
    text = OUTPUT.read_text()
    marks = list(SECTION.finditer(text))
    return {
        m[1]: text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip()
        for i, m in enumerate(marks)
    }


def main(selected: list[str]) -> None:
    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    unknown = set(selected) - set(names)
    if unknown:
        sys.exit(f"unknown benchmarks: {', '.join(sorted(unknown))} (have: {', '.join(names)})")
    sections = existing_sections()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=HERE).stdout.strip()
    for name in selected or names:
        print(f"== {name}", flush=True)
        started = time.monotonic()
        figures = load(name).run().strip()  # type: ignore[attr-defined]
        # Each section says when, where and on what it was measured: a run of some
        # benchmarks leaves the others' figures (and their stamps) as they were.
        stamp = (f"_Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'}; "
                 f"{machine()}._")
        sections[name] = f"{stamp}\n\n{figures}"
        print(figures, f"\n({time.monotonic() - started:.0f} s)\n", flush=True)
    header = (
        "# Benchmarks\n\n"
        "Made by `python benchmarks/run_all.py [NAME…]`; each section below says when, at which "
        "commit and under what load it was measured. The machine is shared and noisy: every "
        "figure that is compared is measured side by side in the same run.\n"
    )
    body = "\n\n".join(f"<!-- bench:{n} -->\n{sections[n]}" for n in names if n in sections)
    OUTPUT.write_text(header + "\n" + body + "\n")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
