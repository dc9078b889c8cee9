"""The asyncpg pool: `DATABASE_URL` when set, else the embedded PostgreSQL; migrated on connect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from shipctl.errors import DatabaseConfigError, DatabaseError, EmbeddedDatabaseError
from shipctl.store import dsn, embedded, migrations

CONNECT_TIMEOUT = 10.0
# The pool type other packages name in their signatures, so that only store/ imports asyncpg.
Pool = asyncpg.Pool
# asyncpg logs its reconnect attempts with a traceback; the one error line shipctl prints
# when the connection is lost says what matters.
logging.getLogger("asyncpg.pool").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Target:
    """Where the database is: a URL and whether shipctl runs the server itself.

    `url` is the DSN as given (a URL or a libpq keyword string); `connect_url` is what
    asyncpg gets. Neither is ever shown: messages use `describe()`.
    """

    url: str = field(repr=False)
    embedded: bool
    address: dsn.DatabaseAddress = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            address = dsn.parse_dsn(self.url)
        except dsn.InvalidDsn as error:
            raise DatabaseConfigError(f"DATABASE_URL: {error}") from None
        object.__setattr__(self, "address", address)

    @property
    def connect_url(self) -> str:
        """The URL asyncpg connects with, every part percent-encoded; never print it."""
        return self.address.connect_url()

    def describe(self) -> str:
        """Host and database, never a password."""
        if self.embedded:
            return f"embedded PostgreSQL, database {self.address.database or 'postgres'}"
        return self.address.describe()


def resolve(database_url: str | None, data_dir: Path) -> Target:
    """The target for these settings, starting the embedded server if it is the one."""
    if database_url:
        return Target(url=database_url, embedded=False)
    running = embedded.start(data_dir)
    return Target(url=running.url(), embedded=True)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def ensure_embedded_database(target: Target) -> None:
    admin_url = target.connect_url.replace(f"/{embedded.DATABASE}?", "/postgres?", 1)
    conn = await asyncpg.connect(admin_url, timeout=CONNECT_TIMEOUT)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", embedded.DATABASE
        )
        if not exists:
            # another shipctl process may have created it a moment ago
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{embedded.DATABASE}"')
    finally:
        await conn.close()


async def create_pool(target: Target, *, max_size: int = 10) -> asyncpg.Pool:
    """A pool on a migrated database; failures become one line naming host and database."""
    try:
        if target.embedded:
            await ensure_embedded_database(target)
        pool = await asyncpg.create_pool(
            target.connect_url,
            min_size=1,
            max_size=max_size,
            timeout=CONNECT_TIMEOUT,
            init=_init_connection,
        )
    except (TimeoutError, OSError) as error:
        raise DatabaseConfigError(
            f"cannot connect to PostgreSQL at {target.describe()}: "
            f"{getattr(error, 'strerror', None) or type(error).__name__}"
        ) from None
    except asyncpg.InvalidPasswordError:
        raise DatabaseConfigError(
            f"PostgreSQL at {target.describe()} rejected the password in DATABASE_URL"
        ) from None
    except asyncpg.InvalidCatalogNameError:
        raise DatabaseConfigError(f"PostgreSQL at {target.describe()}: no such database") from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as error:
        raise DatabaseConfigError(
            f"cannot use PostgreSQL at {target.describe()}: {_first_line(error)}"
        ) from None
    try:
        async with pool.acquire() as conn:
            await migrations.migrate(conn)
    except asyncpg.PostgresError as error:
        await pool.close()
        raise DatabaseError(
            f"migrating {target.describe()} failed: {_first_line(error)}"
        ) from None
    return pool


async def warm(pool: asyncpg.Pool, connections: int) -> None:
    """Open `connections` more of the pool's connections at once, in the background of a job
    that will soon hold that many (its run lease, claims, writer, pace): each costs a connect
    and a codec lookup, which would otherwise come one by one on its way to the first quote.
    Best effort: a failure here is met again, and reported, by the query that needs one."""

    async def one() -> None:
        async with pool.acquire():
            pass

    await asyncio.gather(*(one() for _ in range(connections)), return_exceptions=True)


# How long a command waits for the embedded server to come back after it crashed: its
# postmaster may still be dying (then it is started again) or recovering by itself.
RESTART_WAIT = 15.0


async def _embedded_pool(target: Target, data_dir: Path, max_size: int) -> asyncpg.Pool:
    """A pool on the embedded server, waiting out (or starting again) a server that crashed."""
    deadline = asyncio.get_running_loop().time() + RESTART_WAIT
    while True:
        try:
            return await create_pool(target, max_size=max_size)
        except DatabaseConfigError as error:
            if asyncio.get_running_loop().time() > deadline:
                raise EmbeddedDatabaseError(
                    f"the embedded PostgreSQL in {embedded.pgdata_path(data_dir)} is restarting "
                    f"after a crash and is not back yet ({error.message}); run the command "
                    "again in a moment"
                ) from None
        await asyncio.sleep(0.25)
        target = await asyncio.to_thread(resolve, None, data_dir)  # starts it once it is gone


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


@asynccontextmanager
async def open_pool(
    database_url: str | None, data_dir: Path, *, max_size: int = 10
) -> AsyncIterator[asyncpg.Pool]:
    """`async with open_pool(url, data_dir) as pool:` — resolved, connected and migrated."""
    target = await asyncio.to_thread(resolve, database_url, data_dir)
    if target.embedded:
        pool = await _embedded_pool(target, data_dir, max_size)
    else:
        pool = await create_pool(target, max_size=max_size)
    try:
        yield pool
    except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
            asyncpg.InternalClientError, asyncpg.exceptions.OperatorInterventionError,
            OSError) as error:
        # Every state change was committed before the next carrier call, so a rerun resumes.
        raise DatabaseError(
            f"lost the connection to PostgreSQL at {target.describe()} "
            f"({_first_line(error)}); nothing is lost: rerun the command to resume"
        ) from error
    finally:
        await _close_quietly(pool)


async def _close_quietly(pool: asyncpg.Pool) -> None:
    try:
        await asyncio.wait_for(pool.close(), timeout=5)
    except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        pool.terminate()
