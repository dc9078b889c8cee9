"""`shipctl refund KEY…`: which label a key names (ambiguity refused, `--by`, mode scoping),
what is shown and confirmed, and refunds followed up (`--status`), against the simulator."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import easypost
import pytest

from shipctl.simulator import RunningSimulator, SimulatorConfig, running_simulator

from .bulk_support import ledger
from .test_create import CONFIG, TO

Run = Callable[..., Any]
REFUND = "POST /v2/shipments/{id}/refund"


def buy(shipctl: Run, reference: str, *flags: str) -> dict[str, Any]:
    result = shipctl(*flags, "create", *TO, "--weight", "12oz", "--reference", reference,
                     "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def refund_requests(data_dir: Path) -> int:
    """Refund requests the `--simulate` simulator answered, whatever the answer."""
    stats = ledger(data_dir)
    return sum(stats["requests"].get(REFUND, {}).values())


def refund_rows(sql: Run) -> list[tuple[str, str, str]]:
    rows = sql("SELECT s.reference, s.state, r.status FROM refunds r "
               "JOIN shipments s ON s.id = r.shipment_id ORDER BY s.reference")
    return [tuple(r) for r in rows]


@pytest.fixture
def simulate(shipctl: Run, isolated_env: Path) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    return lambda *args: shipctl("--simulate", *args)


def test_refund_by_reference_tracking_code_and_shipment_id(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    a, b, c = (buy(simulate, ref) for ref in "ABC")
    result = simulate("refund", "A", b["tracking_code"], c["shipment_id"], "--yes")
    assert result.exit_code == 0, result.stderr
    assert "To refund: 3 simulated labels" in result.stdout
    # What will be refunded, before it is: reference, carrier, service, tracking code, amount.
    plan = result.stdout.split("Refunds")[0]
    for label, ref in ((a, "A"), (b, "B"), (c, "C")):
        assert ref in plan and label["tracking_code"] in plan
        assert f"${float(label['rate']):,.2f}" in plan
    assert "USPS" in plan and a["service"] in plan
    assert result.stdout.count("submitted") == 3
    assert refund_rows(sql) == [(ref, "refunded", "submitted") for ref in "ABC"]
    assert refund_requests(isolated_env / "data") == 3


def test_two_keys_naming_one_label_refund_it_once(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    label = buy(simulate, "A")
    result = simulate("refund", "A", label["tracking_code"], label["shipment_id"], "--yes")
    assert result.exit_code == 0, result.stderr
    assert "To refund: 1 simulated label," in result.stdout
    assert refund_rows(sql) == [("A", "refunded", "submitted")]
    assert refund_requests(isolated_env / "data") == 1


def test_unknown_and_unbought_keys_fail_alone(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    buy(simulate, "A")
    simulate("create", *TO, "--weight", "12oz", "--reference", "Q", "--dry-run")
    declined = simulate("create", "--to-name", "Z", "--to-street1", "1 A St", "--to-city", "X",
                        "--to-zip", "1", "--to-country", "ZZ", "--weight", "1oz",
                        "--reference", "F", "--yes")
    assert declined.exit_code == 2
    result = simulate("refund", "nope", "F", "A", "--yes")
    assert result.exit_code == 1
    assert "nope: no simulated shipment with this reference, tracking code or shipment id" \
        in result.stderr
    assert "F: no label was bought (the order is failed)" in result.stderr
    assert "submitted" in result.stdout
    assert [tuple(r) for r in sql("SELECT reference, state FROM shipments ORDER BY reference")
            ] == [("A", "refunded"), ("F", "failed")]


def test_ambiguous_key_refunds_nothing_and_lists_the_matches(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    other = buy(simulate, "B")
    # An order whose reference is another label's tracking code.
    clash = buy(simulate, other["tracking_code"])
    result = simulate("refund", other["tracking_code"], "--yes")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "matches 2 shipments" in result.stdout and "nothing refunded" in result.stderr
    assert "choose one with --by reference, --by tracking-code or --by shipment-id" \
        in result.stderr
    for label in (other, clash):
        assert label["shipment_id"] in result.stdout
        assert f"${float(label['rate']):,.2f}" in result.stdout
    assert "--by" in result.stderr
    assert refund_rows(sql) == []
    assert set(r["state"] for r in sql("SELECT state FROM shipments")) == {"purchased"}
    assert refund_requests(isolated_env / "data") == 0


@pytest.mark.parametrize("by", ["tracking-code", "reference"])
def test_by_chooses_the_field(simulate: Run, sql: Run, isolated_env: Path, by: str) -> None:
    other = buy(simulate, "B")
    clash = buy(simulate, other["tracking_code"])
    result = simulate("refund", other["tracking_code"], "--by", by, "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    meant = other if by == "tracking-code" else clash
    rows = sql("SELECT easypost_shipment_id AS id, state FROM shipments WHERE state = 'refunded'")
    assert [r["id"] for r in rows] == [meant["shipment_id"]]
    stats = ledger(isolated_env / "data")
    assert stats["refunds"]["total"] == 1
    # The shipment id matches neither a reference nor a tracking code.
    missed = simulate("refund", meant["shipment_id"], "--by", "reference", "--yes")
    assert missed.exit_code == 1 and "no simulated shipment with this reference" in missed.stderr


def test_by_lists_its_choices_in_help(simulate: Run) -> None:
    result = simulate("refund", "--help")
    assert "reference" in result.stdout and "tracking-code" in result.stdout
    assert "shipment-id" in result.stdout
    wrong = simulate("refund", "A", "--by", "order", "--yes")
    assert wrong.exit_code == 2


def test_dry_run_shows_the_labels_and_refunds_nothing(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    label = buy(simulate, "A")
    result = simulate("refund", "A", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert label["tracking_code"] in result.stdout and "dry run: nothing refunded" in result.stdout
    assert refund_rows(sql) == []
    assert refund_requests(isolated_env / "data") == 0


def test_without_a_terminal_or_yes_it_refuses_before_anything(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    buy(simulate, "A")
    result = simulate("refund", "A")
    assert result.exit_code == 2
    assert "pass --yes to refund" in result.stderr and result.stdout == ""
    assert refund_rows(sql) == []
    assert refund_requests(isolated_env / "data") == 0


@pytest.mark.parametrize("answer", [False, True])
def test_at_a_terminal_it_asks_after_showing_the_labels(
    simulate: Run, sql: Run, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, answer: bool
) -> None:
    from shipctl.cli.context import AppContext

    label = buy(simulate, "A")
    asked: list[str] = []

    def confirm(prompt: str, **_: Any) -> bool:
        asked.append(prompt)
        return answer

    monkeypatch.setattr(AppContext, "interactive", property(lambda self: True))
    monkeypatch.setattr("rich.prompt.Confirm.ask", confirm)
    result = simulate("refund", "A")
    assert asked == [f"Refund 1 label (${float(label['rate']):,.2f})?"]
    assert label["tracking_code"] in result.stdout.split("Refunds")[0]
    if answer:
        assert result.exit_code == 0, result.stderr
        assert refund_rows(sql) == [("A", "refunded", "submitted")]
    else:
        assert result.exit_code == 130 and "not confirmed: nothing refunded" in result.stdout
        assert refund_rows(sql) == []
        assert refund_requests(isolated_env / "data") == 0


def test_an_already_refunded_label_is_not_asked_for_again(
    simulate: Run, sql: Run, isolated_env: Path
) -> None:
    label = buy(simulate, "A")
    assert simulate("refund", "A", "--yes").exit_code == 0
    again = simulate("refund", label["tracking_code"], "--yes")
    assert again.exit_code == 0, again.stderr
    assert "a refund was already asked for and is submitted" in again.stdout
    assert "--status" in again.stdout
    assert refund_requests(isolated_env / "data") == 1


def test_labels_of_another_mode_are_not_matched(
    simulate: Run, shipctl: Run, sql: Run, isolated_env: Path
) -> None:
    label = buy(simulate, "A")
    # A test key on a (non-loopback, never reached) API base: mode `test`.
    env = {"EASYPOST_API_KEY": "EZTK-not-used", "EASYPOST_API_BASE": "http://192.0.2.1/v2"}
    for key in ("A", label["tracking_code"], label["shipment_id"]):
        result = shipctl("refund", key, "--yes", env=env)
        assert result.exit_code == 1, result.stdout + result.stderr
        assert f"{key}: no test shipment with this" in result.stderr
        assert "there is a simulated one: refund it with --simulate" in result.stderr
    # And a label bought with a test key is not refunded by the simulator.
    sql("UPDATE shipments SET mode = 'test'")
    scoped = simulate("refund", "A", "--yes")
    assert scoped.exit_code == 1
    assert "A: no simulated shipment" in scoped.stderr and "a test API key" in scoped.stderr
    assert refund_rows(sql) == []
    assert refund_requests(isolated_env / "data") == 0


# --- follow-up ------------------------------------------------------------------------------

@pytest.fixture
def served(
    shipctl: Run, isolated_env: Path
) -> Iterator[tuple[Run, easypost.EasyPostClient, RunningSimulator]]:
    """shipctl against a simulator that rejects every refund and answers 0.6 s later (a
    simulated day per real minute: labels stay unscanned for some 20 s)."""
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    config = SimulatorConfig(days_per_minute=1.0, refund_days=0.01, refund_reject_rate=1.0)
    with running_simulator(config) as sim:
        env = {"EASYPOST_API_KEY": "EZTK-test", "EASYPOST_API_BASE": sim.api_base}
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        yield (lambda *args: shipctl(*args, env=env)), client, sim


def wait_answered(client: easypost.EasyPostClient, shipment_id: str) -> str:
    deadline = time.monotonic() + 15
    while (status := client.shipment.retrieve(shipment_id).refund_status) == "submitted":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return str(status)


def test_status_picks_up_a_rejected_refund(served: Any, sql: Run) -> None:
    run, client, sim = served
    label = buy(run, "A")
    asked = run("refund", "A", "--yes")
    assert asked.exit_code == 0, asked.stdout + asked.stderr
    assert refund_rows(sql) == [("A", "refunded", "submitted")]
    waiting = run("refund", "--status")  # not answered yet, or answered by now
    assert waiting.exit_code in (0, 1), waiting.stderr
    assert wait_answered(client, label["shipment_id"]) == "rejected"
    result = run("refund", "--status")
    if "rejected" not in waiting.stdout:
        assert result.exit_code == 1, result.stdout + result.stderr
        assert "rejected" in result.stdout and "1 not refunded" in result.stdout
        assert "still valid" in result.stdout
    # The label is valid and paid for: the order is purchased again, the refund rejected.
    assert refund_rows(sql) == [("A", "purchased", "rejected")]
    assert run("refund", "--status").stdout.startswith("no simulated refund is waiting")
    # Asking again after a rejection is allowed, and shown as such.
    again = run("refund", "A", "--yes")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "earlier refund was rejected" in again.stdout
    assert refund_rows(sql) == [("A", "refunded", "submitted")]
    assert sum(sim.stats()["requests"][REFUND].values()) == 2


def test_status_records_a_refund_that_went_through(shipctl: Run, isolated_env: Path,
                                                   sql: Run) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    config = SimulatorConfig(days_per_minute=1.0, refund_days=0.01)
    with running_simulator(config) as sim:
        env = {"EASYPOST_API_KEY": "EZTK-test", "EASYPOST_API_BASE": sim.api_base}
        label = buy(lambda *a: shipctl(*a, env=env), "A")
        assert shipctl("refund", "A", "--yes", env=env).exit_code == 0
        client = easypost.EasyPostClient("EZTK-test", api_base=sim.api_base)
        assert wait_answered(client, label["shipment_id"]) == "refunded"
        result = shipctl("refund", "--status", env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1 refunded" in result.stdout
    assert refund_rows(sql) == [("A", "refunded", "refunded")]


def test_status_takes_no_keys(simulate: Run) -> None:
    result = simulate("refund", "A", "--status")
    assert result.exit_code == 2 and "--status takes no keys" in result.stderr
    assert simulate("refund").exit_code == 2


def test_the_tracking_sweep_follows_refunds_up(served: Any, sql: Run) -> None:
    run, client, _ = served
    label = buy(run, "A")
    buy(run, "B")
    assert run("refund", "A", "--yes").exit_code == 0
    assert wait_answered(client, label["shipment_id"]) == "rejected"
    result = run("track", "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["refunds_checked"] == 1
    assert report["refunds_answered"] == [{
        "tracking_code": label["tracking_code"], "carrier": "USPS", "reference": "A",
        "status": "rejected"}]
    assert refund_rows(sql) == [("A", "purchased", "rejected")]
    # Nothing waits any more; a quiet sweep prints nothing about refunds.
    quiet = run("track", "--quiet")
    assert quiet.exit_code == 0 and "refund" not in quiet.stdout


def test_a_quiet_sweep_shows_a_rejected_refund(served: Any, sql: Run) -> None:
    run, client, _ = served
    label = buy(run, "A")
    assert run("refund", "A", "--yes").exit_code == 0
    assert wait_answered(client, label["shipment_id"]) == "rejected"
    result = run("track", "--quiet")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert label["tracking_code"] in result.stdout and "rejected" in result.stdout
    assert "not refunded" in result.stdout


def test_a_label_a_rebuy_replaced_is_refunded_by_its_tracking_code(
    simulate: Run, sql: Run
) -> None:
    """`--rebuy` leaves the old label valid and paid for: its tracking code (not the reference,
    which names the new label) refunds it."""
    first = simulate("create", *TO, "--weight", "12oz", "--reference", "RB-1", "--yes", "--json")
    old = json.loads(first.stdout)["tracking_code"]
    second = simulate("create", *TO, "--weight", "12oz", "--reference", "RB-1", "--yes", "--json",
                      "--rebuy", "--label-out", "again.pdf")
    assert second.exit_code == 0, second.stderr
    new = json.loads(second.stdout)["tracking_code"]
    result = simulate("refund", old, "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    states = {r["tracking_code"]: (r["state"], r["superseded"]) for r in sql(
        "SELECT tracking_code, state, superseded_at IS NOT NULL AS superseded FROM shipments")}
    assert states == {old: ("refunded", True), new: ("purchased", False)}
