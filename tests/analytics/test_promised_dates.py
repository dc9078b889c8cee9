"""On-time analytics when EasyPost gives no delivery date (its rates' `delivery_date` and a new
tracker's `est_delivery_date` are null, as the simulator answers by default): shipctl
promises `delivery_days` business days after the purchase, and judges deliveries by that."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shipctl.carrier.shipments import promised_date, purchased_label
from shipctl.models import TrackingEvent, TrackingUpdate
from tests.analytics.conftest import store_tracking
from tests.conftest import run_blocking
from tests.jobs.test_create import CONFIG, TO

pytestmark = pytest.mark.db


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_promise_counts_business_days() -> None:
    friday = t("2026-03-06 15:00")
    assert promised_date(friday, 1) == t("2026-03-09 15:00")  # Monday
    assert promised_date(friday, 3) == t("2026-03-11 15:00")  # Wednesday
    assert promised_date(t("2026-03-02 09:00"), 2) == t("2026-03-04 09:00")
    assert promised_date(friday, None) is None and promised_date(None, 2) is None


def test_a_label_without_dates_gets_its_promise_from_delivery_days() -> None:
    data = {
        "id": "shp_1", "reference": "R", "tracking_code": "9400", "updated_at": "x",
        "selected_rate": {"carrier": "USPS", "service": "Priority", "rate": "7.10",
                          "delivery_days": 2, "delivery_date": None},
        "postage_label": {"label_url": "u", "created_at": "2026-03-06T15:00:00Z"},
        "tracker": {"id": "trk_1", "est_delivery_date": None},
    }
    label = purchased_label(data, "simulated")
    assert label.est_delivery_date == t("2026-03-10 15:00")
    given = {**data, "tracker": {"id": "trk_1", "est_delivery_date": "2026-03-09T20:00:00Z"}}
    assert purchased_label(given, "simulated").est_delivery_date == t("2026-03-09 20:00")


def test_on_time_share_with_null_dates_from_easypost(
    shipctl: Callable[..., Any], sql: Callable[..., Any], db: str, isolated_env: Path,
) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    for ref in ("N1", "N2"):
        result = shipctl("--simulate", "create", *TO, "--weight", "12oz", "--reference", ref,
                         "--yes")
        assert result.exit_code == 0, result.stderr
    rows = sql("SELECT reference, tracking_code, purchased_at, delivery_days, est_delivery_date"
               " FROM shipments ORDER BY reference")
    assert [r["reference"] for r in rows] == ["N1", "N2"]
    for row in rows:
        # The simulator answered as the real API, with no date on the rates or the new
        # tracker: the promise is delivery_days business days after the label was made (at
        # the simulator's clock, which may run ahead of shipctl's).
        promise = row["est_delivery_date"]
        assert promise is not None and promise.weekday() < 5
        earliest = row["purchased_at"] + timedelta(days=row["delivery_days"])
        assert promise >= earliest - timedelta(seconds=2)
    on_time, late = rows
    # the CLI runs its own event loop in-process, so this test is synchronous
    run_blocking(store_tracking(db, [
        TrackingUpdate(tracking_code=on_time["tracking_code"], status="delivered",
                       delivered_at=on_time["est_delivery_date"] - timedelta(hours=1),
                       events=(TrackingEvent(occurred_at=on_time["purchased_at"],
                                             status="delivered"),)),
        TrackingUpdate(tracking_code=late["tracking_code"], status="delivered",
                       delivered_at=late["est_delivery_date"] + timedelta(days=2),
                       events=(TrackingEvent(occurred_at=late["purchased_at"],
                                             status="delivered"),)),
    ]))
    bought = min(r["purchased_at"] for r in rows).date()
    result = shipctl("analytics", "--since", bought.isoformat(), "--until",
                     (bought + timedelta(days=60)).isoformat(), "--by", "carrier",
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    [usps] = json.loads(result.stdout)["sections"]["carrier"]
    assert (usps["carrier"], usps["delivered"], usps["on_time_share"]) == ("USPS", 2, 0.5)


def test_the_table_says_how_promises_are_judged(
    shipctl: Callable[..., Any], db: str, isolated_env: Path,
) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    assert shipctl("--simulate", "create", *TO, "--weight", "12oz", "--reference", "N3",
                   "--yes").exit_code == 0
    today = datetime.now(UTC).date()
    result = shipctl("analytics", "--since", (today - timedelta(days=1)).isoformat(),
                     "--until", (today + timedelta(days=60)).isoformat(), "--by",
                     "overview,carrier")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert text.count("on time: by EasyPost's delivery date, else the rate's delivery_days") == 1
