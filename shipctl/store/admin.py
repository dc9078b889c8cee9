"""Database administration behind `shipctl db`: where it is, what is applied, what is pending."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg

from shipctl.store import database, embedded, migrations


@dataclass(frozen=True)
class DatabaseStatus:
    target: str
    embedded: bool
    running: bool
    server_version: str | None
    applied: list[int]
    pending: list[str]
    pgdata: Path | None = None
    pid: int | None = None
    restarting: bool = False


async def migrate(database_url: str | None, data_dir: Path) -> list[str]:
    """Apply pending migrations; names of those this call applied."""
    target = database.resolve(database_url, data_dir)
    conn = await _connect(target)
    try:
        applied = await migrations.migrate(conn)
    finally:
        await conn.close()
    return [f"{m.version:04d}_{m.name}" for m in applied]


async def pending_sql(database_url: str | None, data_dir: Path) -> str:
    """The SQL that `migrate` would run, without running it."""
    target = database.resolve(database_url, data_dir)
    conn = await _connect(target)
    try:
        todo = await migrations.pending(conn)
    finally:
        await conn.close()
    return "\n".join(f"-- {m.version:04d}_{m.name}\n{m.sql}" for m in todo)


async def _connect(target: database.Target) -> asyncpg.Connection:
    try:
        if target.embedded:
            await database.ensure_embedded_database(target)
        return await asyncpg.connect(target.connect_url, timeout=database.CONNECT_TIMEOUT)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise database.DatabaseConfigError(
            f"cannot connect to PostgreSQL at {target.describe()}: {reason}"
        ) from None


async def status(database_url: str | None, data_dir: Path) -> DatabaseStatus:
    """Where the database is and its migrations, starting nothing that is stopped."""
    if not database_url:
        state = embedded.status(data_dir)
        if not state.running:
            return DatabaseStatus(
                target="embedded PostgreSQL (stopped)", embedded=True, running=False,
                server_version=None, applied=[], pending=[], pgdata=state.pgdata,
            )
        target = database.Target(url=state.url(), embedded=True)
    else:
        state = None
        target = database.Target(url=database_url, embedded=False)
    try:
        conn = await _connect(target)
    except database.DatabaseConfigError:
        if state is None:
            raise
        # Its postmaster is recorded as running but does not answer: it crashed a moment ago
        # and is dying or recovering; the next command waits for it or starts it again.
        return DatabaseStatus(
            target="embedded PostgreSQL (restarting after a crash)", embedded=True,
            running=False, server_version=None, applied=[], pending=[], pgdata=state.pgdata,
            pid=state.pid, restarting=True,
        )
    try:
        version = await conn.fetchval("SHOW server_version")
        applied = sorted(await migrations.applied_versions(conn))
        todo = [f"{m.version:04d}_{m.name}" for m in await migrations.pending(conn)]
    finally:
        await conn.close()
    return DatabaseStatus(
        target=target.describe(), embedded=target.embedded, running=True,
        server_version=version, applied=applied, pending=todo,
        pgdata=state.pgdata if state else None, pid=state.pid if state else None,
    )
