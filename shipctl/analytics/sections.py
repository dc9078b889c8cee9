"""The report sections, their fields and the value kind of each field.

Field names here are the public names of the JSON and CSV output (docs/analytics.md);
each section's `.sql` file must return exactly these columns, in this order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shipctl.analytics.window import Window


class Kind(StrEnum):
    """How a field is written: the SQL gives raw numbers, the output rounds them."""

    TEXT = "text"
    COUNT = "count"
    MONEY = "money"  # Decimal, written "12.34"
    DAYS = "days"  # float, written with one decimal
    SHARE = "share"  # 0..1, written with three decimals
    DATE = "date"  # calendar day, UTC


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    title: str


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    query: str  # the `.sql` file beside this module, without the suffix
    fields: tuple[Field, ...]
    bucket: str | None = None  # date_trunc unit, for the time series
    by_service: bool = False  # the breakdown by carrier and service, not by carrier alone


def _f(name: str, kind: Kind, title: str) -> Field:
    return Field(name, kind, title)


_BREAKDOWN = (
    _f("labels", Kind.COUNT, "labels"),
    _f("spend", Kind.MONEY, "spend"),
    _f("average_cost", Kind.MONEY, "avg cost"),
    _f("delivered", Kind.COUNT, "delivered"),
    _f("transit_days_mean", Kind.DAYS, "transit mean"),
    _f("transit_days_median", Kind.DAYS, "transit median"),
    _f("transit_days_p90", Kind.DAYS, "transit p90"),
    _f("on_time_share", Kind.SHARE, "on time"),
)
_SERIES = (
    _f("period", Kind.DATE, "period"),
    _f("labels", Kind.COUNT, "labels"),
    _f("spend", Kind.MONEY, "spend"),
)

SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section("overview", "Overview", "overview", (
            _f("labels", Kind.COUNT, "labels bought"),
            _f("spend", Kind.MONEY, "spend"),
            _f("average_cost", Kind.MONEY, "average cost"),
            _f("refunds", Kind.COUNT, "refunds"),
            _f("refund_amount", Kind.MONEY, "refunded amount"),
            _f("net_spend", Kind.MONEY, "net spend"),
            _f("purchase_failures", Kind.COUNT, "purchase failures"),
            _f("delivered", Kind.COUNT, "delivered"),
            _f("delivered_share", Kind.SHARE, "delivered share"),
        )),
        Section("carrier", "By carrier", "breakdown", (
            _f("carrier", Kind.TEXT, "carrier"), *_BREAKDOWN
        )),
        Section("service", "By service", "breakdown", (
            _f("carrier", Kind.TEXT, "carrier"), _f("service", Kind.TEXT, "service"), *_BREAKDOWN
        ), by_service=True),
        Section("day", "Labels per day", "series", _SERIES, bucket="day"),
        Section("week", "Labels per week", "series", _SERIES, bucket="week"),
        Section("month", "Labels per month", "series", _SERIES, bucket="month"),
        Section("manifested", "Labels on scan forms per ship day", "manifested", (
            _f("period", Kind.DATE, "ship day"),
            _f("labels", Kind.COUNT, "labels"),
            _f("manifested", Kind.COUNT, "on a form"),
            _f("manifested_share", Kind.SHARE, "manifested"),
        )),
        Section("route", "Top routes", "route", (
            _f("origin", Kind.TEXT, "from"),
            _f("destination", Kind.TEXT, "to"),
            _f("labels", Kind.COUNT, "labels"),
            _f("spend", Kind.MONEY, "spend"),
            _f("transit_days_median", Kind.DAYS, "transit median"),
        )),
        Section("country", "Domestic and international, by destination country", "country", (
            _f("scope", Kind.TEXT, "scope"),
            _f("country", Kind.TEXT, "to"),
            _f("labels", Kind.COUNT, "labels"),
            _f("spend", Kind.MONEY, "spend"),
            _f("average_cost", Kind.MONEY, "avg cost"),
            _f("delivered", Kind.COUNT, "delivered"),
            _f("transit_days_median", Kind.DAYS, "transit median"),
        )),
        Section("status", "Tracking status and exceptions", "status", (
            _f("category", Kind.TEXT, "category"),
            _f("name", Kind.TEXT, "status"),
            _f("labels", Kind.COUNT, "labels"),
            _f("share", Kind.SHARE, "share"),
        )),
        Section("failures", "Purchase failures", "failures", (
            _f("error_code", Kind.TEXT, "error code"),
            _f("failures", Kind.COUNT, "failures"),
            _f("share", Kind.SHARE, "share"),
            _f("example_message", Kind.TEXT, "typical message"),
        )),
        Section("addresses", "Destinations: residential and verified", "addresses", (
            _f("destination", Kind.TEXT, "destination"),
            _f("verification", Kind.TEXT, "verification"),
            _f("labels", Kind.COUNT, "labels"),
            _f("spend", Kind.MONEY, "spend"),
            _f("share", Kind.SHARE, "share"),
        )),
    )
}  # fmt: skip

DEFAULT_SECTIONS = ("overview", "carrier", "service", "week", "route", "status", "failures")

# A label in flight with no tracking event for this long is reported as stale.
STALE_AFTER_DAYS = 7


@dataclass(frozen=True)
class SectionResult:
    """One section's rows, raw from SQL (Decimal, float, int, date, str or None)."""

    section: Section
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Report:
    """Every requested section over one window, in the order asked for."""

    window: Window
    top: int
    results: list[SectionResult]
