"""`shipctl analytics --format html`: one offline file of charts and the JSON report's tables.

The charts are plotly.js figures (data and layout as JSON), drawn in the browser by the
plotly.min.js that the `plotly` package ships, inlined into the page: nothing is fetched when
the file is opened. Every chart is built from the same rows as the JSON report (the sections)
or from html_facts.sql, which reads the same day rollups, so their totals agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipctl.analytics.export import output_value, report_rows
from shipctl.analytics.report import build_report
from shipctl.analytics.sections import SECTIONS, Report
from shipctl.analytics.window import Window

if TYPE_CHECKING:
    from shipctl.store.database import Pool

# A window up to this long is charted per day, a longer one per week.
DAILY_UP_TO = timedelta(days=62)
TABLE_SECTIONS = ("overview", "carrier", "service", "route", "status", "failures")


@dataclass(frozen=True)
class Fact:
    """Labels bought in one period, carrier, service, transit time and on-time flag."""

    period: date
    carrier: str
    service: str
    transit_days: int | None
    on_time: bool | None
    labels: int
    spend: Decimal


@dataclass(frozen=True)
class HtmlReport:
    report: Report
    bucket: str  # "day" or "week"
    facts: list[Fact]


def chart_bucket(window: Window) -> str:
    return "day" if window.until - window.since <= DAILY_UP_TO else "week"


async def build_html_report(
    pool: Pool, window: Window, *, top: int, as_of: datetime
) -> HtmlReport:
    """The sections of the JSON report plus the chart facts, over one pool."""
    from shipctl.store.reports import ReportQuery, run_reports

    bucket = chart_bucket(window)
    sections = [SECTIONS[name] for name in (*TABLE_SECTIONS[:3], bucket, *TABLE_SECTIONS[3:])]
    report = await build_report(pool, window, sections, top=top, as_of=as_of)
    args = (window.since, window.until, window.carrier, window.mode, bucket)
    rows = (await run_reports(pool, [ReportQuery("html", "html_facts", args)]))[
        "html"
    ]
    facts = [
        Fact(
            period=row["period"],
            carrier=row["carrier"] or "unknown",
            service=row["service"] or "unknown",
            transit_days=row["transit_days"],
            on_time=row["on_time"],
            labels=int(row["labels"]),
            spend=Decimal(row["spend"]),
        )
        for row in rows
    ]
    return HtmlReport(report, bucket, facts)


async def html_report(
    database_url: str | None, data_dir: Path, window: Window, *, top: int, as_of: datetime
) -> HtmlReport:
    from shipctl.store.database import open_pool

    async with open_pool(database_url, data_dir, max_size=8) as pool:
        return await build_html_report(pool, window, top=top, as_of=as_of)


# --- figures: plotly.js figure JSON ------------------------------------------------------

def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _periods(facts: Iterable[Fact]) -> list[str]:
    return sorted({f.period.isoformat() for f in facts})


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


# plotly's own colour sequence; a carrier keeps its colour in every chart of the page
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip


def carrier_colors(facts: Iterable[Fact]) -> dict[str, str]:
    carriers = sorted({f.carrier for f in facts})
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(carriers)}


def _layout(title: str, x: str, y: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": x}, "automargin": True},
        "yaxis": {"title": {"text": y}, "automargin": True},
        "margin": {"t": 50, "r": 20},
        "legend": {"orientation": "h", "y": -0.25},
        "height": 380,
        **extra,
    }


def _stacked_by_carrier(
    facts: list[Fact], bucket: str, what: str, colors: dict[str, str]
) -> dict[str, Any]:
    periods = _periods(facts)
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for fact in facts:
        totals[fact.carrier][fact.period.isoformat()] += (
            fact.spend if what == "spend" else fact.labels
        )
    data = []
    for carrier in sorted(totals, key=lambda c: -sum(totals[c].values())):
        values = totals[carrier]
        data.append({
            "type": "bar",
            "name": carrier,
            "marker": {"color": colors[carrier]},
            "x": periods,
            "y": [
                _money(values.get(p, Decimal(0))) if what == "spend" else int(values.get(p, 0))
                for p in periods
            ],
        })
    unit = "spend (USD)" if what == "spend" else "labels"
    return {"data": data, "layout": _layout(
        f"{'Spend' if what == 'spend' else 'Labels'} per {bucket}, by carrier",
        bucket, unit, barmode="stack",
    )}


def _average_cost(facts: list[Fact], bucket: str) -> dict[str, Any]:
    periods = _periods(facts)
    spend: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    labels: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fact in facts:
        name = f"{fact.carrier} {fact.service}"
        spend[name][fact.period.isoformat()] += fact.spend
        labels[name][fact.period.isoformat()] += fact.labels
    data = []
    for name in sorted(labels, key=lambda n: -sum(labels[n].values())):
        data.append({
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": periods,
            "y": [
                _money(spend[name][p] / labels[name][p]) if labels[name].get(p) else None
                for p in periods
            ],
        })
    return {"data": data, "layout": _layout(
        f"Average cost per label by service, per {bucket}", bucket, "USD per label",
    )}


def _transit_percentiles(rows: list[dict[str, Any]]) -> dict[str, Any]:
    delivered = [r for r in rows if r["transit_days_median"] is not None]
    names = [f"{r['carrier']} {r['service']}" for r in delivered]
    data = [
        {"type": "bar", "name": "median", "x": names,
         "y": [r["transit_days_median"] for r in delivered]},
        {"type": "bar", "name": "p90", "x": names,
         "y": [r["transit_days_p90"] for r in delivered]},
    ]  # fmt: skip
    return {"data": data, "layout": _layout(
        "Transit days by carrier and service: median and p90", "carrier and service",
        "days from purchase to delivery", barmode="group",
    )}


def _transit_histogram(facts: list[Fact]) -> dict[str, Any]:
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for fact in facts:
        if fact.transit_days is not None:
            counts[f"{fact.carrier} {fact.service}"][fact.transit_days] += fact.labels
    days = sorted({d for per in counts.values() for d in per})
    data = []
    for name in sorted(counts, key=lambda n: -sum(counts[n].values())):
        total = sum(counts[name].values())
        data.append({
            "type": "bar",
            "name": name,
            "x": days,
            "y": [round(counts[name].get(d, 0) / total, 4) for d in days],
            "customdata": [counts[name].get(d, 0) for d in days],
            "hovertemplate": "%{x} days: %{customdata} labels (%{y:.1%})",
        })
    return {"data": data, "layout": _layout(
        "Transit-time distribution per carrier and service", "days from purchase to delivery",
        "share of the delivered labels", barmode="group",
        yaxis={"title": {"text": "share of the delivered labels"}, "tickformat": ".0%"},
    )}


def _on_time_weekly(facts: list[Fact], colors: dict[str, str]) -> dict[str, Any]:
    judged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    on_time: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fact in facts:
        if fact.on_time is None:
            continue
        week = _week(fact.period).isoformat()
        judged[fact.carrier][week] += fact.labels
        on_time[fact.carrier][week] += fact.labels if fact.on_time else 0
    weeks = sorted({w for per in judged.values() for w in per})
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": carrier,
            "marker": {"color": colors[carrier]},
            "line": {"color": colors[carrier]},
            "x": weeks,
            "y": [
                round(on_time[carrier][w] / judged[carrier][w], 3) if judged[carrier].get(w)
                else None
                for w in weeks
            ],
        }
        for carrier in sorted(judged)
    ]
    return {"data": data, "layout": _layout(
        "On-time share by carrier, per week", "week (from Monday)", "on time",
        yaxis={"title": {"text": "on time"}, "tickformat": ".0%", "range": [0, 1.05]},
    )}


def _routes(rows: list[dict[str, Any]]) -> dict[str, Any]:
    origins = sorted({r["origin"] for r in rows})
    destinations = sorted({r["destination"] for r in rows})
    labels = {(r["origin"], r["destination"]): r["labels"] for r in rows}
    z = [[labels.get((o, d)) for d in destinations] for o in origins]
    data = [{
        "type": "heatmap",
        "x": destinations,
        "y": origins,
        "z": z,
        "colorscale": [[0, "#deebf7"], [1, "#08306b"]],  # more labels, darker
        "colorbar": {"title": {"text": "labels"}},
        "hovertemplate": "%{y} → %{x}: %{z} labels<extra></extra>",
    }]
    return {"data": data, "layout": _layout(
        "Top routes: labels from origin to destination", "destination (state or country)",
        "origin", legend=None,
    )}


def _failures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = list(reversed(rows))  # the largest on top
    data = [{
        "type": "bar",
        "orientation": "h",
        "x": [r["failures"] for r in ordered],
        "y": [r["error_code"] for r in ordered],
        "text": [r["example_message"] for r in ordered],
        "hovertemplate": "%{y}: %{x}<br>%{text}<extra></extra>",
        "textposition": "none",
    }]
    return {"data": data, "layout": _layout(
        "Purchase failures by reason", "failures", "error code",
    )}


def figures(html: HtmlReport) -> dict[str, dict[str, Any]]:
    """Every chart of the page by id, in page order; a chart without data is left out."""
    rows = report_rows(html.report)
    facts = html.facts
    colors = carrier_colors(facts)
    charts: dict[str, dict[str, Any]] = {}
    if facts:
        charts["spend"] = _stacked_by_carrier(facts, html.bucket, "spend", colors)
        charts["labels"] = _stacked_by_carrier(facts, html.bucket, "labels", colors)
        charts["average-cost"] = _average_cost(facts, html.bucket)
    if any(r["transit_days_median"] is not None for r in rows["service"]):
        charts["transit"] = _transit_percentiles(rows["service"])
        charts["transit-distribution"] = _transit_histogram(facts)
    if any(f.on_time is not None for f in facts):
        charts["on-time"] = _on_time_weekly(facts, colors)
    if rows["route"]:
        charts["routes"] = _routes(rows["route"])
    if rows["failures"]:
        charts["failures"] = _failures(rows["failures"])
    return charts


def display(kind: str, value: Any) -> str:
    """A JSON value as the page shows it: $1,234.56, 55.6%, 2.5, 1,234."""
    if value is None:
        return "–"
    if kind == "money":
        return f"${Decimal(value):,}"
    if kind == "share":
        return f"{float(value) * 100:.1f}%"
    if kind == "days":
        return f"{float(value):.1f}"
    if kind == "count":
        return f"{int(value):,}"
    return str(value)


def render(html: HtmlReport, *, generated: datetime) -> str:
    """The whole page."""
    from shipctl.analytics.export import to_json
    from shipctl.analytics.html_page import page

    report = html.report
    tables = [
        (result.section, [
            {f.name: output_value(f.kind, row[f.name]) for f in result.section.fields}
            for row in result.rows
        ])
        for result in report.results
        if result.section.name in TABLE_SECTIONS or result.section.name == html.bucket
    ]  # fmt: skip
    return page(
        window=report.window,
        figures=figures(html),
        tables=tables,
        document=to_json(report),
        generated=generated,
    )
