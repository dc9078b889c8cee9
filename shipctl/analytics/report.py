"""The analytics entry point: every requested section's query, run concurrently over one pool.

The queries are the `.sql` files beside this module; store/ reads and runs them by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from shipctl.analytics.sections import (
    DEFAULT_SECTIONS,
    SECTIONS,
    STALE_AFTER_DAYS,
    Report,
    Section,
    SectionResult,
)
from shipctl.analytics.window import Window
from shipctl.errors import InputError

if TYPE_CHECKING:
    from shipctl.store.database import Pool

DEFAULT_TOP = 10


def parse_sections(text: str | None) -> list[Section]:
    """`overview,carrier,…` in the order given, duplicates dropped; InputError for unknown ones."""
    names = [n.strip().lower() for n in (text or ",".join(DEFAULT_SECTIONS)).split(",")]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown or not names:
        raise InputError(
            f"--by: unknown section {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(SECTIONS)}"
        )
    return [SECTIONS[n] for n in dict.fromkeys(names)]


def _args(section: Section, window: Window, top: int, as_of: datetime) -> tuple[object, ...]:
    common = (window.since, window.until, window.carrier, window.mode)
    if section.query == "series":
        return (*common, section.bucket)
    if section.query == "breakdown":
        return (*common, section.by_service)
    if section.query == "route":
        return (*common, top)
    if section.query == "status":
        return (*common, min(as_of, window.until), STALE_AFTER_DAYS)
    return common


async def refresh_days(pool: Pool, since: datetime, until: datetime) -> int | None:
    """Rebuild the day rollups (migration 0004) of the changed whole days in [since, until).

    Returns the number of days rebuilt (None if this database user may not write). Reports
    are exact without it: a changed day is read from the shipments until it is rebuilt.
    """
    from shipctl.store.reports import refresh_rollups

    return await refresh_rollups(pool, since, until)


async def build_report(
    pool: Pool, window: Window, sections: Sequence[Section], *, top: int, as_of: datetime
) -> Report:
    """Run the sections' SQL on `pool` and collect the rows."""
    from shipctl.store.reports import ReportQuery, run_reports

    if top < 1:
        raise InputError(f"--top {top}: give a number of routes of at least 1")
    await refresh_days(pool, window.since, window.until)
    queries = [ReportQuery(s.name, s.query, _args(s, window, top, as_of)) for s in sections]
    rows = await run_reports(pool, queries)
    results = []
    for section in sections:
        found = rows[section.name]
        expected = [f.name for f in section.fields]
        # The documented names are the contract; a query shared by two sections (breakdown)
        # may return a column one of them does not show.
        if found and [name for name in found[0] if name in expected] != expected:
            raise RuntimeError(f"{section.query}.sql returns {list(found[0])}, not {expected}")
        results.append(SectionResult(section, [{n: row[n] for n in expected} for row in found]))
    return Report(window=window, top=top, results=results)


async def analytics_report(
    database_url: str | None,
    data_dir: Path,
    window: Window,
    sections: Sequence[Section],
    *,
    top: int = DEFAULT_TOP,
    as_of: datetime,
) -> Report:
    """Open the database, migrate it if needed, and build the report."""
    from shipctl.store.database import open_pool

    async with open_pool(database_url, data_dir, max_size=max(2, len(sections))) as pool:
        return await build_report(pool, window, sections, top=top, as_of=as_of)
