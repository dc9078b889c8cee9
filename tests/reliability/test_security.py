"""Secrets stay secret, spreadsheets stay inert, SQL stays data, files stay whole."""

from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import chaos

pytestmark = pytest.mark.db

KEY = chaos.API_KEY
PASSWORD = "Pw-S3cret-7f3a9c"
SQL_LOOKING = [
    "x'); DROP TABLE shipments;--",
    "' OR 1=1 --",
    'a"; DELETE FROM runs; --',
    "$1; SELECT pg_sleep(5)",
]
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1,1)"]


def orders_csv(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """(reference, name, street1) rows, otherwise valid."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(chaos.TEMPLATE)
        for reference, name, street in rows:
            writer.writerow((reference, name, street, "Springfield", "IL", "62701", "12oz"))


@pytest.fixture
def sim(workdir: Path) -> Iterator[chaos.SimulatorProcess]:
    with chaos.simulator_process(workdir / "sim.sqlite3", seed=1) as running:
        yield running


def dump_database(url: str) -> str:
    """Every row of every table in the public schema, as text."""
    tables = [
        r["tablename"]
        for r in chaos.fetch(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    return "\n".join(
        str(r["row"])
        for t in tables
        for r in chaos.fetch(url, f'SELECT t::text AS row FROM "{t}" t')
    )


def test_api_key_never_leaks(workdir: Path, db: str, sim: chaos.SimulatorProcess) -> None:
    orders = workdir / "orders.csv"
    chaos.write_orders(orders, 5, seed=2, prefix="K")
    env = chaos.shipctl_env(workdir, database_url=db, api_base=sim.api_base)
    seen = [
        chaos.shipctl(
            ["--debug", "bulk", str(orders), "--yes", "--results-out", "results.csv"],
            cwd=workdir,
            env=env,
        )
    ]
    seen.append(chaos.shipctl(["--debug", "config", "show"], cwd=workdir, env=env))
    # --debug tracebacks: a carrier nobody listens on, and a database nobody listens on.
    dead = chaos.shipctl_env(
        workdir, database_url=db, api_base="http://127.0.0.1:9/v2", SHIPCTL_TIMEOUT="1"
    )
    seen.append(
        chaos.shipctl(["--debug", "bulk", str(orders), "--yes", "--force"], cwd=workdir, env=dead)
    )
    nodb = dict(env, DATABASE_URL="postgresql://u@127.0.0.1:9/x")
    seen.append(chaos.shipctl(["--debug", "bulk", str(orders), "--yes"], cwd=workdir, env=nodb))

    assert seen[0].exit_code == 0, seen[0].stderr
    assert any("Traceback" in s.stderr for s in seen[2:]), "no --debug traceback was made"
    for done in seen:
        assert KEY not in done.stdout + done.stderr
    assert KEY not in (workdir / "results.csv").read_text()
    assert KEY not in dump_database(db)
    for file in workdir.rglob("*"):
        if file.is_file() and file.name != "sim.sqlite3":
            assert KEY.encode() not in file.read_bytes(), file


@pytest.mark.parametrize(
    "args", [["db", "url"], ["config", "show"], ["db", "status"], ["bulk", "orders.csv", "--yes"]]
)
def test_database_password_is_masked(args: list[str], workdir: Path, db: str) -> None:
    chaos.write_orders(workdir / "orders.csv", 2, seed=3, prefix="P")
    env = chaos.shipctl_env(
        workdir,
        database_url=f"postgresql://shipper:{PASSWORD}@127.0.0.1:9/x",
        api_base="http://127.0.0.1:9/v2",
        SHIPCTL_TIMEOUT="1",
    )
    done = chaos.shipctl(args, cwd=workdir, env=env)
    assert PASSWORD not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_wrong_password_error_masks_it(workdir: Path, db: str) -> None:
    role = f"shipper_{random.randrange(10**6)}"
    chaos.fetch(db, f"CREATE ROLE {role} LOGIN PASSWORD 'right-{PASSWORD}'")
    try:
        # The suite's server trusts its socket; over a URL with a wrong password the message
        # still must not echo the password whatever the server's auth method says.
        url = re.sub(r"postgresql://[^@]*@", f"postgresql://{role}:{PASSWORD}@", db)
        env = chaos.shipctl_env(workdir, database_url=url, api_base=None)
        done = chaos.shipctl(["db", "status"], cwd=workdir, env=env)
        assert PASSWORD not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr
    finally:
        chaos.fetch(db, f"DROP ROLE {role}")


def test_results_csv_escapes_formulas(workdir: Path, db: str, sim: chaos.SimulatorProcess) -> None:
    orders_csv(workdir / "orders.csv", [(f, f, "1 Main St") for f in FORMULAS])
    env = chaos.shipctl_env(workdir, database_url=db, api_base=sim.api_base)
    done = chaos.shipctl(
        ["bulk", "orders.csv", "--yes", "--results-out", "results.csv"], cwd=workdir, env=env
    )
    assert done.exit_code == 0, done.stdout + done.stderr
    with (workdir / "results.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["reference"] for r in rows) == sorted(f"'{f}" for f in FORMULAS)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), row
    stored = {r["reference"] for r in chaos.fetch(db, "SELECT reference FROM shipments")}
    assert stored == set(FORMULAS)  # escaped on the way out, stored verbatim


def test_sql_looking_input_is_stored_verbatim(
    workdir: Path, db: str, sim: chaos.SimulatorProcess
) -> None:
    rows = [(s, s, s) for s in SQL_LOOKING]
    orders_csv(workdir / "orders.csv", rows)
    env = chaos.shipctl_env(workdir, database_url=db, api_base=sim.api_base)
    done = chaos.shipctl(["bulk", "orders.csv", "--yes"], cwd=workdir, env=env)
    assert done.exit_code == 0, done.stdout + done.stderr
    analytics = chaos.shipctl(
        ["analytics", "--carrier", "x' OR 1=1 --", "--format", "json"], cwd=workdir, env=env
    )
    assert analytics.exit_code == 0, analytics.stderr
    assert "Traceback" not in analytics.stderr

    stored = chaos.fetch(db, "SELECT reference, to_name, to_street1, state FROM shipments")
    assert sorted((r["reference"], r["to_name"], r["to_street1"]) for r in stored) == sorted(rows)
    assert {r["state"] for r in stored} == {"purchased"}
    assert chaos.fetch(db, "SELECT count(*) AS n FROM runs")[0]["n"] == 1


def test_simulator_binds_loopback_and_wants_a_key(workdir: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "shipctl", "simulator", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(http://[^/\s]+)/v2", line)
        assert match, line
        assert match.group(1).startswith("http://127.0.0.1:")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{match.group(1)}/v2/shipments", timeout=5)
        assert refused.value.code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_output_files_are_never_overwritten_without_force(
    workdir: Path, db: str, sim: chaos.SimulatorProcess
) -> None:
    chaos.write_orders(workdir / "orders.csv", 3, seed=4, prefix="O")
    env = chaos.shipctl_env(workdir, database_url=db, api_base=sim.api_base)
    for option, name in (("--results-out", "results.csv"), ("--labels-out", "labels.pdf")):
        (workdir / name).write_bytes(b"precious")
        done = chaos.shipctl(["bulk", "orders.csv", "--yes", option, name], cwd=workdir, env=env)
        assert done.exit_code == 2, done.stdout + done.stderr
        assert (workdir / name).read_bytes() == b"precious"
    assert sim.stats()["purchases"]["total"] == 0  # refused before anything was bought
    done = chaos.shipctl(
        ["bulk", "orders.csv", "--yes", "--force", "--results-out", "results.csv"],
        cwd=workdir,
        env=env,
    )
    assert done.exit_code == 0, done.stderr
    assert (workdir / "results.csv").read_bytes() != b"precious"


@pytest.mark.parametrize("seed", [1, 2])
def test_labels_file_is_whole_or_absent_after_kill(seed: int, workdir: Path, db: str) -> None:
    from pypdf import PdfReader

    chaos.write_orders(workdir / "orders.csv", 80, seed=seed, prefix="L")
    with chaos.simulator_process(workdir / "sim.sqlite3", seed=seed) as sim:
        env = chaos.shipctl_env(workdir, database_url=db, api_base=sim.api_base)
        args = [
            "bulk",
            "orders.csv",
            "--yes",
            "--labels-out",
            "labels.pdf",
            "--results-out",
            "results.csv",
        ]
        process = chaos.start_shipctl(args, cwd=workdir, env=env)
        chaos.kill_after(process, random.Random(seed).uniform(2.0, 6.0))
        bought = sim.stats()["purchases"]["total"]
        labels, results = workdir / "labels.pdf", workdir / "results.csv"

        def pages() -> int | None:
            return len(PdfReader(labels).pages) if labels.exists() else None

        def lines() -> int | None:
            text = results.read_text(encoding="utf-8-sig") if results.exists() else None
            return None if text is None else len(text.splitlines())

        # killed at any moment: each file is absent or whole, never a part
        assert pages() in (None, bought)
        assert lines() in (None, 81)
        done = chaos.shipctl([*args, "--force"], cwd=workdir, env=env)  # the rerun finishes
        assert done.exit_code == 0, done.stderr
        assert (pages(), lines()) == (80, 81)
        assert sim.stats()["purchases"]["total"] == 80
