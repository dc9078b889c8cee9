"""`shipctl analytics` against the hand-made history of conftest.py, every figure by hand."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.db

MARCH = ("--since", "2026-03-01", "--until", "2026-03-31")
ALL = "overview,carrier,service,day,week,month,route,status,failures"


def report(shipctl: Callable[..., Any], *args: str) -> dict[str, Any]:
    result = shipctl("analytics", *MARCH, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _breakdown(
    labels: int,
    spend: str,
    avg: str,
    delivered: int,
    mean: float | None,
    median: float | None,
    p90: float | None,
    on_time: float | None,
) -> dict[str, Any]:
    return {"labels": labels, "spend": spend, "average_cost": avg, "delivered": delivered,
            "transit_days_mean": mean, "transit_days_median": median, "transit_days_p90": p90,
            "on_time_share": on_time}  # fmt: skip


# Labels bought in March: S1-S11 (S5 and S10 refunded). Transit days (UTC calendar days from
# the day bought to the day delivered) of the delivered ones: S1 2, S2 3 (late: delivered the
# 6th, promised the 5th), S3 4 (promised by its tracker: the 14th), S4 1, S11 2 (bought the
# 12th at 10:00, delivered the 14th at 18:00: 2.33 days elapsed, 2 calendar days).
OVERVIEW = {
    "labels": 11,
    "spend": "165.35",  # 10 + 12 + 6.50 + 15.25 + 20 + 40.10 + 9.99 + 11.01 + 8 + 7.50 + 25
    "average_cost": "15.03",  # 165.35 / 11
    "refunds": 2,
    "refund_amount": "27.50",  # S5's refund row 20.00 + S10's price 7.50
    "net_spend": "137.85",
    "purchase_failures": 3,  # F1-F3; F4 is from February
    "delivered": 5,
    "delivered_share": 0.556,  # 5 of the 9 labels not refunded
}
CARRIERS = [
    # S1 S2 S3 S9 S10: transit 2, 3, 4 -> mean and median 3, p90 3 + 0.8 * 1 = 3.8
    {"carrier": "USPS", **_breakdown(5, "44.00", "8.80", 3, 3.0, 3.0, 3.8, 0.667)},
    {"carrier": "FedEx", **_breakdown(3, "46.00", "15.33", 1, 2.0, 2.0, 2.0, 1.0)},
    {"carrier": "UPS", **_breakdown(3, "75.35", "25.12", 1, 1.0, 1.0, 1.0, 1.0)},
]
SERVICES = [
    # S1 S2 S9 S10: transit 2 and 3 -> mean and median 2.5, p90 2 + 0.9 * 1 = 2.9
    {"carrier": "USPS", "service": "Priority",
     **_breakdown(4, "37.50", "9.38", 2, 2.5, 2.5, 2.9, 0.5)},
    {"carrier": "FedEx", "service": "FEDEX_GROUND",
     **_breakdown(2, "21.00", "10.50", 0, None, None, None, None)},
    {"carrier": "UPS", "service": "Ground",
     **_breakdown(2, "35.25", "17.63", 1, 1.0, 1.0, 1.0, 1.0)},
    {"carrier": "FedEx", "service": "FEDEX_2_DAY",
     **_breakdown(1, "25.00", "25.00", 1, 2.0, 2.0, 2.0, 1.0)},
    {"carrier": "UPS", "service": "NextDayAir",
     **_breakdown(1, "40.10", "40.10", 0, None, None, None, None)},
    {"carrier": "USPS", "service": "GroundAdvantage",
     **_breakdown(1, "6.50", "6.50", 1, 4.0, 4.0, 4.0, 1.0)},
]  # fmt: skip
WEEKS = [
    {"period": "2026-03-02", "labels": 3, "spend": "29.50"},  # S1 S2 S10
    {"period": "2026-03-09", "labels": 3, "spend": "46.75"},  # S3 S4 S11
    {"period": "2026-03-16", "labels": 2, "spend": "60.10"},  # S5 S6
    {"period": "2026-03-23", "labels": 1, "spend": "9.99"},  # S7
    {"period": "2026-03-30", "labels": 2, "spend": "19.01"},  # S8 S9
]
DAYS = [
    ("2026-03-02", 1, "10.00"), ("2026-03-03", 1, "12.00"), ("2026-03-05", 1, "7.50"),
    ("2026-03-10", 2, "21.75"), ("2026-03-12", 1, "25.00"), ("2026-03-16", 1, "20.00"),
    ("2026-03-20", 1, "40.10"), ("2026-03-25", 1, "9.99"), ("2026-03-30", 1, "11.01"),
    ("2026-03-31", 1, "8.00"),
]  # fmt: skip
ROUTES = [
    {"origin": "NV", "destination": "CA", "labels": 6, "spend": "72.75",
     "transit_days_median": 2.0},  # S1 S2 S4 S5 S9 S10; delivered 2, 3, 1
    {"origin": "NV", "destination": "TX", "labels": 3, "spend": "27.50",
     "transit_days_median": 4.0},  # S3 S7 S8
    {"origin": "NV", "destination": "GB", "labels": 1, "spend": "40.10",
     "transit_days_median": None},  # abroad: the country
    {"origin": "OH", "destination": "NY", "labels": 1, "spend": "25.00",
     "transit_days_median": 2.0},
]  # fmt: skip
# Of the 9 labels not refunded. Open ones judged on 1 April (the window's end):
# S6 promised 21 March, last scan 21 March: late and stale; S8 and S9 are due 2 April.
STATUS = [
    {"category": "status", "name": "delivered", "labels": 5, "share": 0.556},
    {"category": "status", "name": "in_transit", "labels": 2, "share": 0.222},  # S6 S8
    {"category": "status", "name": "return_to_sender", "labels": 1, "share": 0.111},
    {"category": "status", "name": "unknown", "labels": 1, "share": 0.111},  # S9: no tracker
    {"category": "exception", "name": "delivered_late", "labels": 1, "share": 0.111},  # S2
    {"category": "exception", "name": "failure", "labels": 0, "share": 0.0},
    {"category": "exception", "name": "late", "labels": 1, "share": 0.111},
    {"category": "exception", "name": "return_to_sender", "labels": 1, "share": 0.111},
    {"category": "exception", "name": "stale", "labels": 1, "share": 0.111},
]
FAILURES = [
    {"error_code": "SHIPMENT.POSTAGE.FAILURE", "failures": 2, "share": 0.667,
     "example_message": "no postage"},
    {"error_code": "ADDRESS.VERIFY.FAILURE", "failures": 1, "share": 0.333,
     "example_message": "bad address"},
]  # fmt: skip


def test_every_section_in_json(history: str, shipctl: Callable[..., Any]) -> None:
    document = report(shipctl, "--by", ALL)
    assert document["since"] == "2026-03-01T00:00:00Z"
    assert document["until"] == "2026-04-01T00:00:00Z"
    assert (document["carrier"], document["mode"], document["top"]) == (None, None, 10)
    sections = document["sections"]
    assert list(sections) == ALL.split(",")
    assert sections["overview"] == [OVERVIEW]
    assert sections["carrier"] == CARRIERS
    assert sections["service"] == SERVICES
    assert sections["week"] == WEEKS
    assert sections["day"] == [{"period": p, "labels": n, "spend": s} for p, n, s in DAYS]
    assert sections["month"] == [{"period": "2026-03-01", "labels": 11, "spend": "165.35"}]
    assert sections["route"] == ROUTES
    assert sections["status"] == STATUS
    assert sections["failures"] == FAILURES


def test_default_sections(history: str, shipctl: Callable[..., Any]) -> None:
    sections = report(shipctl)["sections"]
    assert list(sections) == ["overview", "carrier", "service", "week", "route", "status",
                              "failures"]  # fmt: skip


def test_top_routes(history: str, shipctl: Callable[..., Any]) -> None:
    assert report(shipctl, "--by", "route", "--top", "2")["sections"]["route"] == ROUTES[:2]


def test_carrier_filter(history: str, shipctl: Callable[..., Any]) -> None:
    sections = report(shipctl, "--carrier", "usps", "--by", "overview,failures,carrier")
    assert sections["sections"]["overview"] == [{
        "labels": 5, "spend": "44.00", "average_cost": "8.80", "refunds": 1,
        "refund_amount": "7.50", "net_spend": "36.50", "purchase_failures": 2, "delivered": 3,
        "delivered_share": 0.75,  # S1 S2 S3 of S1 S2 S3 S9
    }]  # fmt: skip
    assert sections["sections"]["failures"] == [{**FAILURES[0], "share": 1.0}]
    assert sections["sections"]["carrier"] == CARRIERS[:1]
    assert sections["carrier"] == "usps"


def test_mode_filter(history: str, shipctl: Callable[..., Any]) -> None:
    overview = report(shipctl, "--mode", "live", "--by", "overview")["sections"]["overview"]
    assert overview == [{
        "labels": 1, "spend": "25.00", "average_cost": "25.00", "refunds": 0,
        "refund_amount": "0.00", "net_spend": "25.00", "purchase_failures": 0, "delivered": 1,
        "delivered_share": 1.0,
    }]  # fmt: skip


def test_csv_is_one_table_with_a_section_column(history: str, shipctl: Callable[..., Any]) -> None:
    result = shipctl("analytics", *MARCH, "--format", "csv", "--by", "overview,route,failures")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "section", "labels", "spend", "average_cost", "refunds", "refund_amount", "net_spend",
        "purchase_failures", "delivered", "delivered_share", "origin", "destination",
        "transit_days_median", "error_code", "failures", "share", "example_message",
    ]  # fmt: skip
    assert [r["section"] for r in rows] == ["overview"] + ["route"] * 4 + ["failures"] * 2
    overview = {k: v for k, v in rows[0].items() if v != ""}
    assert overview == {"section": "overview", **{k: str(v) for k, v in OVERVIEW.items()}}
    assert [(r["origin"], r["destination"], r["labels"], r["spend"], r["transit_days_median"])
            for r in rows[1:5]] == [
        ("NV", "CA", "6", "72.75", "2.0"), ("NV", "TX", "3", "27.50", "4.0"),
        ("NV", "GB", "1", "40.10", ""), ("OH", "NY", "1", "25.00", "2.0"),
    ]  # fmt: skip
    assert [(r["error_code"], r["failures"], r["share"], r["example_message"]) for r in rows[5:]] \
        == [("SHIPMENT.POSTAGE.FAILURE", "2", "0.667", "no postage"),
            ("ADDRESS.VERIFY.FAILURE", "1", "0.333", "bad address")]  # fmt: skip


def test_csv_of_every_section(history: str, shipctl: Callable[..., Any]) -> None:
    result = shipctl("analytics", *MARCH, "--format", "csv", "--by", ALL)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    counts = {name: sum(r["section"] == name for r in rows) for name in ALL.split(",")}
    assert counts == {"overview": 1, "carrier": 3, "service": 6, "day": 10, "week": 5,
                      "month": 1, "route": 4, "status": 9, "failures": 2}  # fmt: skip
    service = next(r for r in rows if r["section"] == "service")
    assert (service["carrier"], service["service"], service["average_cost"],
            service["transit_days_p90"], service["on_time_share"]) == (
        "USPS", "Priority", "9.38", "2.9", "0.5")  # fmt: skip


def test_table(history: str, shipctl: Callable[..., Any]) -> None:
    result = shipctl("analytics", *MARCH, "--by", ALL)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "2026-03-01 00:00 → 2026-04-01 00:00 UTC" in out
    for title in (
        "Overview",
        "By carrier",
        "By service",
        "Labels per day",
        "Labels per week",
        "Labels per month",
        "Top routes",
        "Tracking status",
        "Purchase failures",
    ):
        assert title in out  # fmt: skip
    lines = out.splitlines()

    def line(*words: str) -> str:
        found = [text for text in lines if all(w in text for w in words)]
        assert len(found) >= 1, words
        return found[0]

    assert "$165.35" in line(" 11 │", "$15.03", "$27.50", "$137.85", "55.6%")
    assert "66.7%" in line("USPS", " 5 │", "$44.00", "$8.80", "3.0", "3.8")
    assert "–" in line("NextDayAir", "$40.10")
    # the week chart: 3 labels is the longest bar, 1 label a third of it
    assert line("2026-03-02", "$29.50").count("█") == 40
    assert line("2026-03-23", "$9.99").count("█") == 13
    assert line("NV", "GB", "$40.10")
    assert line("exception", "stale", "11.1%")
    assert line("SHIPMENT.POSTAGE.FAILURE", "66.7%", "no postage")


def test_empty_window(history: str, shipctl: Callable[..., Any]) -> None:
    result = shipctl("analytics", "--since", "2025-01-01", "--until", "2025-01-31",
                     "--format", "json", "--by", ALL)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    sections = json.loads(result.stdout)["sections"]
    assert sections.pop("overview") == [{
        "labels": 0, "spend": "0.00", "average_cost": None, "refunds": 0,
        "refund_amount": "0.00", "net_spend": "0.00", "purchase_failures": 0, "delivered": 0,
        "delivered_share": None,
    }]  # fmt: skip
    assert sections == {name: [] for name in ALL.split(",")[1:]}
    table = shipctl("analytics", "--since", "2025-01-01", "--until", "2025-01-31")
    assert table.exit_code == 0
    assert "no labels in this window" in table.stdout
    empty_csv = shipctl("analytics", "--since", "2025-01-01", "--until", "2025-01-31",
                        "--format", "csv", "--by", "route")  # fmt: skip
    assert empty_csv.stdout == "section,origin,destination,labels,spend,transit_days_median\n"


def test_default_window_is_the_last_30_days(db: str, shipctl: Callable[..., Any]) -> None:
    result = shipctl("analytics", "--format", "json", "--by", "overview")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    from datetime import datetime

    since = datetime.fromisoformat(document["since"])
    until = datetime.fromisoformat(document["until"])
    assert (until - since).days == 30
    assert document["sections"]["overview"][0]["labels"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "2999-01-01"), "--since 2999-01-01 is in the future"),
        (("--since", "2026-03-10", "--until", "2026-03-01"), "is not before --until 2026-03-01"),
        (("--since", "last tuesday"), "--since 'last tuesday' is not a date"),
        (("--since", "2026-13-45"), "--since '2026-13-45' is not a date"),
        (("--until", "soon"), "--until 'soon' is not a date"),
        (("--by", "overview,bogus"), "--by: unknown section bogus"),
        (("--format", "xml"), "--format 'xml' is not one of table, json, csv"),
        (("--mode", "production"), "--mode 'production' is not one of live, test, simulated"),
        (("--top", "0"), "--top 0"),
    ],
)
def test_bad_input(
    db: str, shipctl: Callable[..., Any], args: tuple[str, ...], message: str
) -> None:
    result = shipctl("analytics", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_table_in_a_pipe_keeps_every_figure_whole(
    history: str, shipctl: Callable[..., Any]
) -> None:
    """Off a terminal there is no width to fit: a narrow default must not cut figures short."""
    result = shipctl("analytics", *MARCH, "--by", "overview,service", env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    overview = next(line for line in out.splitlines() if "$165.35" in line)
    assert all(v in overview for v in ("$15.03", "$27.50", "$137.85", "55.6%"))
    assert "GroundAdvantage" in out and "purchase failures" in out
    assert "…" not in out
