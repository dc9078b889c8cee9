"""Forward-only numbered migrations, each in its own transaction, under an advisory lock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files

import asyncpg

from shipctl.store.sql import query

# Any fixed 64-bit number: every shipctl process takes this lock before migrating, so two
# commands started together apply each migration once.
MIGRATION_LOCK = 0x5348_4950_4354_4C01
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """Every migration shipped with shipctl, in order."""
    found = []
    for entry in files("shipctl.store").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


async def applied_versions(conn: asyncpg.Connection) -> set[int]:
    exists = await conn.fetchval(query("migrations_table_exists"))
    if not exists:
        return set()
    return {row["version"] for row in await conn.fetch(query("migrations_applied"))}


async def pending(conn: asyncpg.Connection) -> list[Migration]:
    done = await applied_versions(conn)
    return [m for m in available() if m.version not in done]


async def migrate(conn: asyncpg.Connection) -> list[Migration]:
    """Apply what is pending; returns what this call applied."""
    if not await pending(conn):
        return []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(query("migrations_table"))
        applied = []
        for migration in await pending(conn):  # read again: another process may have won
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(query("migrations_record"), migration.version, migration.name)
            applied.append(migration)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
