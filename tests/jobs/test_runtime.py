"""Job lifecycles: a recorded run ends completed, or failed when its body raises or says so."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from shipctl.jobs.runtime import recorded_run
from shipctl.models import RunStatus
from shipctl.store import database


async def _run_rows(url: str) -> list[tuple[str, str, bool]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT kind, status, finished_at IS NOT NULL AS finished "
                                "FROM runs ORDER BY id")
    finally:
        await conn.close()
    return [(r["kind"], r["status"], r["finished"]) for r in rows]


def test_a_recorded_run_is_completed_failed_or_told_to_fail(db: str) -> None:
    async def go() -> list[tuple[str, str, bool]]:
        pool = await database.create_pool(database.Target(url=db, embedded=False), max_size=2)
        try:
            async with recorded_run(pool, "track", {"method": "list"}, mode="test"):
                assert (await _run_rows(db))[-1] == ("track", RunStatus.RUNNING, False)
            with pytest.raises(LookupError):
                async with recorded_run(pool, "create", {}, mode="test"):
                    raise LookupError("the body failed")
            async with recorded_run(pool, "refund", {}, mode="test") as run:
                run.fail()
        finally:
            await pool.close()
        return await _run_rows(db)

    assert asyncio.run(go()) == [
        ("track", "completed", True), ("create", "failed", True), ("refund", "failed", True),
    ]
