"""`shipctl track` as cron runs it: a line per run, timestamps in the log, an outage ended."""

from __future__ import annotations

import re

from shipctl.errors import ExitCode
from tests.conftest import Shipctl

from .conftest import ez_labels, seed_shipments

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")


def test_quiet_writes_one_timestamped_line_per_run(shipctl: Shipctl, db: str) -> None:
    seed_shipments(db, ez_labels())
    result = shipctl("--simulate", "track", "--quiet", "--stale-days", "90")
    lines = result.stdout.splitlines()
    assert lines, result.stderr
    assert all(STAMP.match(line) for line in lines), lines
    summary = re.compile(r"track: 7 checked, 2 exceptions, \d+\.\d s$")
    assert summary.search(lines[0]), lines[0]
    # a quiet night with nothing in flight still leaves its line
    again = shipctl("--simulate", "track", "--quiet", "--stale-days", "90", "--new-only")
    assert re.search(r"track: 4 checked, 0 exceptions, \d+\.\d s$", again.stdout.strip())


def test_exceptions_stay_reported_until_resolved(shipctl: Shipctl, db: str) -> None:
    seed_shipments(db, ez_labels())
    assert shipctl("--simulate", "track").exit_code == 0  # someone looks interactively first
    nightly = shipctl("--simulate", "track", "--quiet", "--fail-on-exceptions",
                      "--stale-days", "90")
    assert nightly.exit_code == ExitCode.EXCEPTIONS_FOUND
    assert "EZ5000000005" in nightly.stdout and "EZ6000000006" in nightly.stdout


def test_an_outage_stops_the_sweep_with_one_line(shipctl: Shipctl, db: str) -> None:
    seed_shipments(db, ez_labels())
    result = shipctl("track", "--quiet", env={  # a second of retries, not two minutes' budget
        "EASYPOST_API_KEY": "EZTKnotarealkey", "EASYPOST_API_BASE": "http://127.0.0.1:9/v2",
        "SHIPCTL_RETRY_SECONDS": "1"})
    assert result.exit_code == ExitCode.CARRIER_UNREACHABLE
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert STAMP.match(lines[0])
    assert "EasyPost unreachable: 0 of 7 checked" in lines[0]
    assert "EZ1000000001" not in result.stdout + result.stderr


def test_the_documented_crontab_works_from_cron() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    docs = (root / "docs" / "tracking.md").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "For the lead" not in docs
    for text in (docs, readme):
        block = text.split("```crontab\n", 1)[1].split("```", 1)[0]
        jobs = [line for line in block.splitlines() if re.match(r"^[0-9*]", line)]
        assert jobs
        for job in jobs:  # cron's PATH has no virtualenv: the command is an absolute path
            command = job.split()[5]
            assert command.startswith("/") and command.endswith("/shipctl"), job
        assert "EASYPOST_API_KEY=" in block and "DATABASE_URL=" in block
    table = docs.split("## Exit codes (for cron)", 1)[1].split("##", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    assert documented == {0, 1, 3, 4, 6, 8}
    assert "| 3 |" in table and "database could not be reached" in table
    assert int(ExitCode.CARRIER_UNREACHABLE) == 8 and int(ExitCode.DATABASE) == 6
