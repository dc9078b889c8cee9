"""One bad label does not refuse its whole group forever: a label refunded, or put on a form,
outside shipctl is found from EasyPost's refusal, left off the forms for good with its reason
and reported; the rest of its group is formed, each label exactly once, even when the answer
to the form asked again is lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shipctl.simulator import SimulatorConfig
from tests.conftest import CliResult

from .support import CONFIG, Carrier, Run, carrier_for, write_orders

SCAN_FORM = "POST /v2/scan_forms"


@pytest.fixture
def carrier() -> Iterator[Carrier]:
    with carrier_for(SimulatorConfig(carriers=("USPS",))) as carrier:
        yield carrier


@pytest.fixture
def run(shipctl: Run, isolated_env: Path, carrier: Carrier) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)

    def invoke(*args: str) -> CliResult:
        result: CliResult = shipctl(*args, env=carrier.env)
        return result

    return invoke


def bought(run: Run, sql: Run, path: Path, count: int) -> dict[str, str]:
    result = run("bulk", str(write_orders(path, count)), "--yes", "--labels-out", "labels.pdf",
                 "--force")
    assert result.exit_code == 0, result.stdout + result.stderr
    return {r["reference"]: r["easypost_shipment_id"] for r in sql(
        "SELECT reference, easypost_shipment_id FROM shipments")}


def spoil(carrier: Carrier, ids: dict[str, str]) -> str:
    """Outside shipctl (the dashboard, another tool): M-00001 refunded, M-00002 put on a form
    of its own, M-00004 refunded. All three ship from the default warehouse."""
    client: Any = carrier.client()
    client.shipment.refund(ids["M-00001"])
    client.shipment.refund(ids["M-00004"])
    form = client.scan_form.create(shipments=[{"id": ids["M-00002"]}])
    return str(form.id)


def on_forms(sql: Run) -> list[str]:
    return sorted(r["reference"] for r in sql(
        "SELECT s.reference FROM scan_form_labels l JOIN scan_forms f ON f.id = l.scan_form_id "
        "JOIN shipments s ON s.id = l.shipment_id WHERE f.state = 'created'"))


def test_labels_refused_by_easypost_are_left_off_and_the_rest_formed(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    ids = bought(run, sql, isolated_env / "orders.csv", 12)
    elsewhere = spoil(carrier, ids)
    result = run("manifest", "--out", "forms.pdf")
    # Formed, but three labels left off: someone must see to those parcels.
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "2 form(s) made, 9 label(s) on them" in result.stdout
    assert "3 label(s) refused by EasyPost were left off the forms" in result.stderr
    assert "Left off the forms" in result.stdout
    for reference in ("M-00001", "M-00002", "M-00004"):
        assert reference in result.stdout
    assert f"on scan form {elsewhere} already" in result.stdout
    assert on_forms(sql) == sorted(set(ids) - {"M-00001", "M-00002", "M-00004"})
    excluded = {r["reference"]: (r["reason"], r["on_scan_form"]) for r in sql(
        "SELECT s.reference, x.reason, x.on_scan_form FROM scan_form_exclusions x "
        "JOIN shipments s ON s.id = x.shipment_id")}
    assert excluded == {"M-00001": ("refunded", None), "M-00002": ("on_scan_form", elsewhere),
                        "M-00004": ("refunded", None)}
    # EasyPost names one label per refusal; the second refusal has every label read, so the
    # group took three requests, not one per bad label: 1 + 3 for both origins.
    assert carrier.proxy.count(SCAN_FORM) == 4
    stats = carrier.sim.stats()["scan_forms"]
    assert stats["max_per_shipment"] == 1 and stats["labels"] == 10  # 9 + the outside form
    assert {r["state"] for r in sql("SELECT state FROM scan_forms")} == {"created"}

    # Never asked for again: the next run has nothing to form and says why some were left.
    again = run("manifest", "--out", "again.pdf")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "left off the forms by an earlier run" in again.stdout
    assert carrier.proxy.count(SCAN_FORM) == 4
    listed = run("manifest", "list")
    assert listed.exit_code == 0, listed.stderr
    assert "left off" in listed.stdout and "refunded: do not ship it" in listed.stdout
    assert listed.stdout.count("M-0000") == 3

    # The label on the outside form counts as manifested; the refunded ones are not shipped.
    share = run("analytics", "--since", "1d", "--by", "manifested", "--mode", "simulated",
                "--format", "json")
    assert share.exit_code == 0, share.stderr
    import json

    [day] = json.loads(share.stdout)["sections"]["manifested"]
    assert (day["labels"], day["manifested"]) == (12, 10)


def test_the_answer_to_a_form_asked_again_is_lost_and_found(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    ids = bought(run, sql, isolated_env / "orders.csv", 6)
    client: Any = carrier.client()
    client.shipment.refund(ids["M-00001"])
    # The first request (default origin) is refused for M-00001; the request asked again
    # without it is made, and its answer lost.
    carrier.proxy.lose_answer(SCAN_FORM, nth=2)
    result = run("manifest")
    assert result.exit_code == 1, result.stdout + result.stderr  # M-00001 left off
    assert carrier.proxy.lost_answers == [SCAN_FORM]
    assert "an earlier run's" not in result.stdout
    assert "answer lost: found by listing the forms" in result.stdout
    assert on_forms(sql) == sorted(set(ids) - {"M-00001"})
    stats = carrier.sim.stats()["scan_forms"]
    assert stats == {**stats, "total": 2, "labels": 5, "max_per_shipment": 1}
    assert carrier.proxy.count(SCAN_FORM) == 3  # refused, lost (found by listing), east
    assert [r["state"] for r in sql("SELECT state FROM scan_forms ORDER BY id")] == [
        "created", "created"]


def test_labels_dated_before_the_form_are_all_left_off_in_two_requests_a_group(
    run: Run, carrier: Carrier, sql: Run, isolated_env: Path
) -> None:
    """Every label dated before the form's day: EasyPost names one per refusal; the second
    refusal has the group's labels read, and the rest are found at once."""
    from datetime import timedelta

    from shipctl.shipdates import utc_today

    yesterday = (utc_today() - timedelta(days=1)).isoformat()
    orders = write_orders(isolated_env / "orders.csv", 5)
    result = run("bulk", str(orders), "--yes", "--ship-date", yesterday, "--labels-out",
                 "labels.pdf", "--force")
    assert result.exit_code == 0, result.stdout + result.stderr
    formed = run("manifest", "--date", yesterday)
    assert formed.exit_code == 1
    assert "no form made" in formed.stdout
    assert sql("SELECT count(*) AS n FROM scan_form_labels")[0]["n"] == 0
    reasons = [r["reason"] for r in sql("SELECT reason FROM scan_form_exclusions")]
    assert reasons == ["dated_before"] * 5
    # East (2 labels): named, then both read. Default (3): named, then all read.
    assert carrier.proxy.count(SCAN_FORM) == 4
