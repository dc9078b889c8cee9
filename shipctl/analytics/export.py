"""A report as JSON or CSV, with the field names and number formats of docs/analytics.md."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shipctl.analytics.sections import Kind, Report

CENT = Decimal("0.01")


def output_value(kind: Kind, value: Any) -> Any:
    """One raw SQL value as the output writes it: money "12.34", days 2.5, shares 0.125."""
    if value is None:
        return None
    if kind is Kind.MONEY:
        return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))
    if kind is Kind.DAYS:
        return round(float(value), 1)
    if kind is Kind.SHARE:
        return round(float(value), 3)
    if kind is Kind.COUNT:
        return int(value)
    if kind is Kind.DATE:
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    return str(value)


def _iso(moment: datetime | date) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def report_rows(report: Report) -> dict[str, list[dict[str, Any]]]:
    """Every section's rows, formatted, keyed by section name."""
    return {
        result.section.name: [
            {f.name: output_value(f.kind, row[f.name]) for f in result.section.fields}
            for row in result.rows
        ]
        for result in report.results
    }


def to_json(report: Report) -> str:
    window = report.window
    document = {
        "since": _iso(window.since),
        "until": _iso(window.until),
        "carrier": window.carrier,
        "mode": window.mode,  # null: every mode
        "modes": list(window.modes),
        "top": report.top,
        "sections": report_rows(report),
    }
    return json.dumps(document, indent=2) + "\n"


def to_csv(report: Report) -> str:
    """One table: a `section` column, then the union of the sections' fields in order."""
    header: dict[str, None] = {"section": None}
    for result in report.results:
        header.update((f.name, None) for f in result.section.fields)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for name, rows in report_rows(report).items():
        for row in rows:
            writer.writerow({"section": name, **row})
    return out.getvalue()
