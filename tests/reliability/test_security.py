"""Secrets stay secret, spreadsheets stay inert, SQL stays data, files stay whole."""

from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

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


@pytest.mark.slow
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
        workdir, database_url=db, api_base="http://127.0.0.1:9/v2", SHIPCTL_TIMEOUT="1",
        SHIPCTL_RETRY_SECONDS="1",
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


# A password as users paste it: every character that breaks a naive URL parser.
AWKWARD = "Pw/S3c#re?t@7f"
DSN_FORMS = {
    "url": f"postgresql://shipper:{AWKWARD}@db.internal:5432/ship?sslmode=disable",
    "url encoded": f"postgresql://shipper:{quote(AWKWARD, safe='')}@db.internal:5432/ship",
    "query": f"postgresql://shipper@db.internal:5432/ship?password={quote(AWKWARD, safe='')}",
    "keywords": f"host=db.internal port=5432 user=shipper password='{AWKWARD}' dbname=ship",
    "keywords bare": f"host=db.internal port=5432 dbname=ship password={AWKWARD}",
    "postgres scheme": f"postgres://shipper:{PASSWORD}@db.internal:5432/ship",
}


@pytest.mark.parametrize("form", DSN_FORMS)
def test_every_dsn_form_is_parsed_and_shown_without_its_password(form: str) -> None:
    from shipctl.store.database import Target
    from shipctl.store.dsn import describe_dsn, mask_dsn, parse_dsn

    text = DSN_FORMS[form]
    secret = AWKWARD if AWKWARD in text or quote(AWKWARD, safe="") in text else PASSWORD
    address = parse_dsn(text)
    assert (address.password or dict(address.params).get("password")) == secret
    assert (address.hosts or "db.internal").startswith("db.internal")
    assert address.database == "ship"
    target = Target(url=text, embedded=False)
    shown = [mask_dsn(text), describe_dsn(text), target.describe(),
             repr(target), repr(address), address.masked()]
    for line in shown:
        assert secret not in line and quote(secret, safe="") not in line, (form, line)
        assert "S3c" not in line and "/S3" not in line  # no fragment of it either
    assert target.describe() == "db.internal:5432/ship"
    assert "***" in mask_dsn(text) and "db.internal" in mask_dsn(text)
    assert parse_dsn(address.connect_url()) == address  # what asyncpg gets reads back whole


@pytest.mark.parametrize(
    "text", ["mysql://root:hunter2@h/d", "hunter2", "host=h password='hunter2"]
)
def test_an_unparsable_dsn_is_never_echoed(text: str) -> None:
    from shipctl.errors import DatabaseConfigError
    from shipctl.store.database import Target
    from shipctl.store.dsn import describe_dsn, mask_dsn

    assert "hunter2" not in mask_dsn(text) + describe_dsn(text)
    with pytest.raises(DatabaseConfigError) as caught:
        Target(url=text, embedded=False)
    assert "hunter2" not in caught.value.message


def test_a_settings_validation_error_never_carries_the_dsn() -> None:
    from pydantic import ValidationError

    from shipctl.config import Settings

    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({"database_url": "mysql://root:hunter2@h/d", "timeout": "x"})
    assert "hunter2" not in str(caught.value) and "database_url" in str(caught.value)


def _socket_forms(db: str) -> dict[str, str]:
    """The test database in each DSN form, as `postgres` with an awkward password: over the
    embedded server's socket (`?host=DIR&port=N`) or a TCP server (`host:port`) alike."""
    parts = urlsplit(db)
    query = dict(parse_qsl(parts.query))
    name = parts.path.lstrip("/")
    host = query.get("host") or parts.hostname or "localhost"
    port = query.get("port") or str(parts.port or 5432)
    return {
        "url": f"postgresql://postgres:{AWKWARD}@/{name}?host={host}&port={port}",
        "query": f"postgresql://postgres@/{name}?host={host}&port={port}"
                 f"&password={quote(AWKWARD, safe='')}",
        "keywords": f"host={host} port={port} user=postgres password='{AWKWARD}' dbname={name}",
    }


@pytest.mark.parametrize("form", ["url", "query", "keywords"])
def test_commands_connect_with_every_dsn_form_and_never_show_the_password(
    form: str, shipctl: Callable[..., Any], db: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The suite's server trusts its socket: the password is parsed and sent, not checked.
    url = _socket_forms(db)[form]
    name = urlsplit(db).path.lstrip("/")
    outputs = []
    for args in (["db", "status"], ["db", "url"], ["config", "show"], ["runs"]):
        done = shipctl(*args, env={"DATABASE_URL": url})
        assert done.exit_code == 0, (args, done.stderr)
        outputs.append(done.stdout + done.stderr)
    assert f"/{name}" in outputs[0] and "migrations:" in outputs[0]
    assert "postgres:***@" in outputs[1] or "password=***" in outputs[1]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for text in [*outputs, logged]:
        assert AWKWARD not in text and quote(AWKWARD, safe="") not in text and "S3c" not in text

    shown = shipctl("db", "url", "--show-password", env={"DATABASE_URL": url})
    from shipctl.store.dsn import parse_dsn

    address = parse_dsn(shown.stdout.strip())
    assert AWKWARD in (address.password, dict(address.params).get("password"))


@pytest.mark.parametrize("form", DSN_FORMS)
def test_connection_errors_name_the_host_never_the_password(
    form: str, shipctl: Callable[..., Any]
) -> None:
    url = DSN_FORMS[form].replace("db.internal:5432", "127.0.0.1:9").replace(
        "host=db.internal port=5432", "host=127.0.0.1 port=9")
    done = shipctl("db", "status", env={"DATABASE_URL": url})
    assert done.exit_code == 3
    assert done.stderr.startswith("error: cannot connect to PostgreSQL at 127.0.0.1:9/ship")
    assert done.stderr.count("\n") == 1
    for secret in (AWKWARD, quote(AWKWARD, safe=""), PASSWORD, "S3c"):
        assert secret not in done.stdout + done.stderr


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


@pytest.mark.slow
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


@pytest.mark.slow
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
