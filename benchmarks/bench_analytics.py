"""Analytics in SQL vs fetching the rows and aggregating in Python, on a seeded demo history.

Seeds SHIPCTL_BENCH_SHIPMENTS (default 1,000,000) simulated shipments over a year into a fresh
database (on SHIPCTL_BENCH_DATABASE_URL, else on an embedded PostgreSQL in a temporary
directory), then times every analytics section together against a Python baseline that
fetches the same window's rows with asyncpg and computes the same figures.

    python benchmarks/bench_analytics.py
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shipctl import eventloop
from shipctl.analytics.demo import seed_history
from shipctl.analytics.export import report_rows, to_json
from shipctl.analytics.html import build_html_report, render
from shipctl.analytics.report import build_report, parse_sections, refresh_days
from shipctl.analytics.sections import STALE_AFTER_DAYS
from shipctl.analytics.window import Window, make_window
from shipctl.store import embedded
from shipctl.store.database import Target, create_pool

DAYS = 365
SQL_RUNS = 5
PYTHON_RUNS = 3
ALL = "overview,carrier,service,day,week,month,route,status,failures"
BENCH_DATABASE = "shipctl_bench_analytics"

# The baseline's two fetches: the same rows the sections read (each shipment with its copy of
# the tracker, migration 0003) and the refund amounts, so both sides start from the same data.
BOUGHT_ROWS = """
SELECT s.state, s.carrier, s.service, s.rate, s.purchased_at, s.est_delivery_date,
       s.from_state, s.from_country, s.to_state, s.to_country,
       (SELECT r.amount FROM refunds r WHERE r.shipment_id = s.id) AS refund_amount,
       s.tracking_status AS status, s.delivered_at, s.first_est_delivery_date, s.last_event_at
FROM shipments s
WHERE s.purchased_at >= $1 AND s.purchased_at < $2 AND s.state IN ('purchased', 'refunded')
"""
# Shipments whose tracker copy differs from the tracker itself (must be none).
OUT_OF_SYNC = """
SELECT count(*) FROM shipments s LEFT JOIN trackers t ON t.tracking_code = s.tracking_code
WHERE (s.tracking_status, s.delivered_at, s.first_est_delivery_date, s.last_event_at)
      IS DISTINCT FROM (t.status, t.delivered_at, t.first_est_delivery_date, t.last_event_at)
"""
# Every day of [$1, $2) changed, as the triggers of migration 0004 note it.
NOTE_EVERY_DAY = """
INSERT INTO analytics_changes (day)
SELECT DISTINCT (purchased_at AT TIME ZONE 'UTC')::date FROM shipments
WHERE purchased_at >= $1 AND purchased_at < $2
ON CONFLICT DO NOTHING
"""
FAILED_ROWS = """
SELECT error_code, error_message FROM shipments
WHERE state = 'failed' AND created_at >= $1 AND created_at < $2
"""


def _percentile(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _day(moment: datetime | None) -> Any:
    return moment.astimezone(UTC).date() if moment else None


def _transit_days(rows: list[Any]) -> list[float]:
    """Whole UTC calendar days from the day bought to the day delivered, for delivered labels."""
    return [
        float((_day(r["delivered_at"]) - _day(r["purchased_at"])).days)
        for r in rows
        if r["status"] == "delivered" and r["delivered_at"] is not None
    ]


def _breakdown(rows: list[Any]) -> dict[str, Any]:
    transit = _transit_days(rows)
    judged = [
        _day(r["delivered_at"]) <= _day(r["est_delivery_date"] or r["first_est_delivery_date"])
        for r in rows
        if r["status"] == "delivered" and (r["est_delivery_date"] or r["first_est_delivery_date"])
    ]
    spend = sum((r["rate"] for r in rows), Decimal(0))
    return {
        "labels": len(rows),
        "spend": spend,
        "average_cost": spend / len(rows),
        "delivered": len(transit),
        "transit_days_mean": statistics.fmean(transit) if transit else None,
        "transit_days_median": _percentile(transit, 0.5),
        "transit_days_p90": _percentile(transit, 0.9),
        "on_time_share": sum(judged) / len(judged) if judged else None,
    }


def python_sections(
    bought: list[Any], failed: list[Any], window: Window, top: int, as_of: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The same figures as the SQL sections, computed from the fetched rows."""
    shipped = [r for r in bought if r["state"] == "purchased"]
    refunded = [r for r in bought if r["state"] == "refunded"]
    spend = sum((r["rate"] for r in bought), Decimal(0))
    refund_amount = sum((r["refund_amount"] or r["rate"] for r in refunded), Decimal(0))
    delivered = sum(r["status"] == "delivered" for r in shipped)
    out: dict[str, list[dict[str, Any]]] = {
        "overview": [{
            "labels": len(bought), "spend": spend,
            "average_cost": spend / len(bought) if bought else None,
            "refunds": len(refunded), "refund_amount": refund_amount,
            "net_spend": spend - refund_amount, "purchase_failures": len(failed),
            "delivered": delivered,
            "delivered_share": delivered / len(shipped) if shipped else None,
        }]
    }  # fmt: skip
    by_carrier: dict[Any, list[Any]] = defaultdict(list)
    by_service: dict[Any, list[Any]] = defaultdict(list)
    by_route: dict[Any, list[Any]] = defaultdict(list)
    series: dict[str, dict[Any, list[Any]]] = {"day": {}, "week": {}, "month": {}}
    for r in bought:
        by_carrier[r["carrier"]].append(r)
        by_service[r["carrier"], r["service"]].append(r)
        origin = r["from_state"] or "unknown" if (r["from_country"] or "US") == "US" else (
            r["from_country"])  # fmt: skip
        to = r["to_state"] or "unknown" if r["to_country"] == "US" else r["to_country"]
        by_route[origin, to].append(r)
        day = _day(r["purchased_at"])
        for name, period in (("day", day), ("week", day - timedelta(days=day.weekday())),
                             ("month", day.replace(day=1))):  # fmt: skip
            series[name].setdefault(period, []).append(r["rate"])
    out["carrier"] = sorted(
        ({"carrier": c, **_breakdown(rows)} for c, rows in by_carrier.items()),
        key=lambda x: (-x["labels"], x["carrier"]),
    )
    out["service"] = sorted(
        ({"carrier": c, "service": s, **_breakdown(rows)} for (c, s), rows in by_service.items()),
        key=lambda x: (-x["labels"], x["carrier"], x["service"]),
    )
    for name, periods in series.items():
        out[name] = [
            {"period": p, "labels": len(rates), "spend": sum(rates, Decimal(0))}
            for p, rates in sorted(periods.items())
        ]
    routes = []
    for (origin, to), rows in by_route.items():
        transit = _transit_days(rows)
        routes.append({"origin": origin, "destination": to, "labels": len(rows),
                       "spend": sum((r["rate"] for r in rows), Decimal(0)),
                       "transit_days_median": _percentile(transit, 0.5)})  # fmt: skip
    routes.sort(key=lambda x: (-x["labels"], -x["spend"], x["origin"], x["destination"]))
    out["route"] = routes[:top]
    out["status"] = _status(shipped, as_of)
    codes = Counter(r["error_code"] or "unknown" for r in failed)
    messages: dict[str, Counter[str]] = defaultdict(Counter)
    for r in failed:
        messages[r["error_code"] or "unknown"][r["error_message"]] += 1
    out["failures"] = [
        {"error_code": code, "failures": n, "share": n / len(failed),
         "example_message": min(messages[code].items(), key=lambda m: (-m[1], m[0]))[0]}
        for code, n in sorted(codes.items(), key=lambda x: (-x[1], x[0]))
    ]  # fmt: skip
    return out


def _status(shipped: list[Any], as_of: datetime) -> list[dict[str, Any]]:
    closed = {"delivered", "return_to_sender", "failure", "cancelled"}
    statuses: Counter[str] = Counter()
    exceptions: Counter[str] = Counter()
    stale_before = as_of - timedelta(days=STALE_AFTER_DAYS)
    for r in shipped:
        status = r["status"] or "unknown"
        statuses[status] += 1
        promised = _day(r["est_delivery_date"] or r["first_est_delivery_date"])
        is_open = status not in closed
        exceptions["return_to_sender"] += status == "return_to_sender"
        exceptions["failure"] += status == "failure"
        exceptions["late"] += bool(is_open and promised and promised < _day(as_of))
        exceptions["delivered_late"] += bool(
            status == "delivered" and promised and _day(r["delivered_at"]) > promised
        )
        exceptions["stale"] += is_open and (r["last_event_at"] or r["purchased_at"]) < stale_before
    total = len(shipped)
    rows = [
        {"category": "status", "name": s, "labels": n, "share": n / total}
        for s, n in sorted(statuses.items(), key=lambda x: (-x[1], x[0]))
    ]
    if total:
        names = ("delivered_late", "failure", "late", "return_to_sender", "stale")
        rows += [{"category": "exception", "name": name, "labels": exceptions[name],
                  "share": exceptions[name] / total} for name in names]  # fmt: skip
    return rows


async def _median_seconds(runs: int, work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    result = await work()  # warm: caches, plans, connections
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


async def _prepare(admin_url: str) -> str:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    finally:
        await conn.close()
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{BENCH_DATABASE}"))


async def _bench(admin_url: str, shipments: int) -> str:
    url = await _prepare(admin_url)
    pool = await create_pool(Target(url=url, embedded=False), max_size=10)
    try:
        now = datetime.now(UTC)
        started = time.perf_counter()
        counts = await seed_history(pool, shipments=shipments, days=DAYS, seed=2026, now=now)
        seed_seconds = time.perf_counter() - started
        started = time.perf_counter()
        rebuilt = await refresh_days(pool, now - timedelta(days=DAYS + 1), now)
        rollup_seconds = time.perf_counter() - started
        out_of_sync = await pool.fetchval(OUT_OF_SYNC)
        sections = parse_sections(ALL)
        lines = []
        formats = []
        default = parse_sections(None)
        for label, since in (("last 30 days (default)", "30d"), (f"all {DAYS} days", f"{DAYS}d")):
            window = make_window(since, None, now)

            async def in_sql(window: Window = window) -> Any:
                return await build_report(pool, window, sections, top=10, as_of=now)

            async def in_python(window: Window = window) -> Any:
                async with pool.acquire() as conn:
                    bought = await conn.fetch(BOUGHT_ROWS, window.since, window.until)
                    failed = await conn.fetch(FAILED_ROWS, window.since, window.until)
                return len(bought), python_sections(bought, failed, window, 10, now)

            # Cold: every day of the window changed (as after a tracking sweep), so the first
            # report rebuilds their rollups before reading them.
            await pool.execute(NOTE_EVERY_DAY, window.since, window.until)
            started = time.perf_counter()
            await in_sql()
            cold = time.perf_counter() - started
            # Side by side: SQL, Python, SQL again, so load from elsewhere hits both alike.
            load = os.getloadavg()[0]
            sql_a, report = await _median_seconds(SQL_RUNS, in_sql)
            py_s, (rows, figures) = await _median_seconds(PYTHON_RUNS, in_python)
            sql_b, report = await _median_seconds(SQL_RUNS, in_sql)
            sql_s = (sql_a + sql_b) / 2
            load = max(load, os.getloadavg()[0])
            same = _same_figures(report_rows(report), figures, report)
            lines.append(
                f"| {label} | {rows:,} | {cold:.3f} | {sql_a:.3f} / {sql_b:.3f} | {py_s:.3f} | "
                f"{py_s / sql_s:.1f}× | {'yes' if same else 'NO'} | {load:.1f} |"
            )

            # The command's whole work per format: the default sections as JSON text, and the
            # HTML page (the same sections plus the chart rows, the figures and the markup).
            async def as_json(window: Window = window) -> str:
                report = await build_report(pool, window, default, top=10, as_of=now)
                return to_json(report)

            async def as_html(window: Window = window) -> str:
                html = await build_html_report(pool, window, top=10, as_of=now)
                return render(html, generated=now)

            json_s, text = await _median_seconds(SQL_RUNS, as_json)
            html_s, page = await _median_seconds(SQL_RUNS, as_html)
            formats.append(
                f"| {label} | {json_s:.3f} | {html_s:.3f} | {len(text) / 1000:.1f} kB "
                f"| {len(page) / 1e6:.2f} MB | {os.getloadavg()[0]:.1f} |"
            )
    finally:
        await pool.close()
    return "\n".join([
        "## Analytics: SQL sections vs Python aggregation",
        "",
        "`python benchmarks/bench_analytics.py` "
        f"(SHIPCTL_BENCH_SHIPMENTS={shipments}; {os.cpu_count()} cores)",
        "",
        f"Seeded {counts.shipments:,} shipments over {DAYS} days ({counts.trackers:,} trackers, "
        f"{counts.events:,} tracking events, {counts.refunds:,} refunds) with `demo seed` "
        f"in {seed_seconds:.1f} s; shipments whose tracker copy differs from the tracker: "
        f"{out_of_sync}. Day rollups (migration 0004) of all {rebuilt} days built in "
        f"{rollup_seconds:.1f} s.",
        "All nine sections (overview, carrier, service, day, week, month, route, status, "
        "failures) run concurrently on the pool. Cold: one report right after every day of the "
        "window was changed (as after a tracking sweep), so it first rebuilds their rollups. "
        "Warm: median of "
        f"{SQL_RUNS} runs, measured before and after the Python baseline (the ratio uses their "
        "mean); the baseline fetches the same window's rows (each shipment with its tracker "
        "copy and refund amount) with asyncpg and computes the same figures, median of "
        f"{PYTHON_RUNS} runs. Load is the highest 1-minute load average seen around each row.",
        "",
        "| window | labels fetched | SQL s, cold | SQL s, warm (1st / 2nd) | Python s "
        "| SQL faster (warm) | same figures | load |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
        *lines,
        "",
        "### `--format json` vs `--format html`",
        "",
        "The default sections (mode: all) as the JSON text, and the HTML report (the same "
        "sections plus the chart rows from the rollups, the plotly figures and the page with "
        f"plotly.js inlined); warm, median of {SQL_RUNS} runs each. The page's size is "
        "almost all plotly.js (4.8 MB).",
        "",
        "| window | JSON s | HTML s | JSON size | HTML size | load |",
        "|---|---:|---:|---:|---:|---:|",
        *formats,
    ]) + "\n"  # fmt: skip


def _same_figures(sql: dict[str, list[dict[str, Any]]], python: Any, report: Any) -> bool:
    from shipctl.analytics.export import output_value

    for result in report.results:
        fields = result.section.fields
        mine = [{f.name: output_value(f.kind, row[f.name]) for f in fields}
                for row in python[result.section.name]]  # fmt: skip
        if mine != sql[result.section.name]:
            print(f"figures differ in {result.section.name}", file=sys.stderr)
            return False
    return True


def run() -> str:
    shipments = int(os.environ.get("SHIPCTL_BENCH_SHIPMENTS", "1000000"))
    admin_url = os.environ.get("SHIPCTL_BENCH_DATABASE_URL")
    if admin_url:
        return eventloop.run(_bench(admin_url, shipments))
    with tempfile.TemporaryDirectory(prefix="shipctl-bench-") as tmp:
        server = embedded.start(Path(tmp))
        try:
            return eventloop.run(_bench(server.url("postgres"), shipments))
        finally:
            embedded.stop(Path(tmp))


if __name__ == "__main__":
    print(run())
