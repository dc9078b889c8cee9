"""`shipctl --simulate create …` end to end: simulator, real PostgreSQL, label files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CONFIG = """
[from_address]
name = "Warehouse"
street1 = "1 Main St"
city = "Springfield"
state = "IL"
zip = "62701"

[parcels]
small = "8x6x4 in"
"""
TO = ("--to-name", "Ann Lee", "--to-street1", "22 Oak Ave", "--to-city", "Boston",
      "--to-state", "MA", "--to-zip", "02108")

Run = Callable[..., Any]


@pytest.fixture
def run(shipctl: Run, isolated_env: Path) -> Run:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    return lambda *args: shipctl("--simulate", "create", *args)


def test_dry_run_shows_the_rates_and_buys_nothing(run: Run, sql: Run, isolated_env: Path) -> None:
    result = run(*TO, "--weight", "12oz", "--parcel", "small", "--reference", "R1", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "Rates for R1" in result.stdout and "→" in result.stdout
    assert "GroundAdvantage" in result.stdout
    assert "simulated" in result.stderr
    assert sql("SELECT count(*) FROM shipments")[0][0] == 0
    assert not (isolated_env / "R1.pdf").exists()


def test_buy_with_yes_records_and_writes_a_pdf(run: Run, sql: Run, isolated_env: Path) -> None:
    result = run(*TO, "--weight", "1.5lb", "--reference", "R2", "--yes", "--rule", "fastest")
    assert result.exit_code == 0, result.stderr
    assert "tracking code:" in result.stdout
    label = (isolated_env / "R2.pdf").read_bytes()
    assert label.startswith(b"%PDF")
    [row] = sql("SELECT state, mode, tracking_code, easypost_shipment_id, weight_oz, delivery_days"
                " FROM shipments WHERE reference = 'R2'")
    assert (row["state"], row["mode"], row["weight_oz"]) == ("purchased", "simulated", 24)
    assert row["delivery_days"] == 1  # fastest
    assert row["tracking_code"] in result.stdout
    assert sql("SELECT kind, status FROM runs")[0] == ("create", "completed")


def test_no_terminal_and_no_yes_refuses(run: Run, sql: Run) -> None:
    result = run(*TO, "--weight", "12oz", "--reference", "R3")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert sql("SELECT count(*) FROM shipments")[0][0] == 0


@pytest.mark.parametrize(("fmt", "magic"), [("PNG", b"\x89PNG"), ("ZPL", b"^XA")])
def test_json_output_and_other_label_formats(
    run: Run, isolated_env: Path, fmt: str, magic: bytes
) -> None:
    out = isolated_env / "labels" / f"label.{fmt.lower()}"
    result = run(*TO, "--weight", "12oz", "--reference", f"J-{fmt}", "--yes", "--json",
                 "--label-format", fmt, "--label-out", str(out), "--carriers", "UPS")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["purchased"] and body["carrier"] == "UPS" and body["mode"] == "simulated"
    assert body["label_path"] == str(out)
    assert sum(r["chosen"] for r in body["rates"]) == 1
    assert out.read_bytes().startswith(magic)


def test_an_existing_label_file_is_kept_unless_force(
    run: Run, isolated_env: Path, sql: Run
) -> None:
    existing = isolated_env / "R4.pdf"
    existing.write_bytes(b"keep me")
    result = run(*TO, "--weight", "12oz", "--reference", "R4", "--yes")
    assert result.exit_code == 2 and "--force" in result.stderr
    assert existing.read_bytes() == b"keep me"
    assert sql("SELECT count(*) FROM shipments")[0][0] == 0
    result = run(*TO, "--weight", "12oz", "--reference", "R4", "--yes", "--force")
    assert result.exit_code == 0, result.stderr
    assert existing.read_bytes().startswith(b"%PDF")


def test_an_unverifiable_address_buys_nothing(run: Run, sql: Run) -> None:
    args = list(TO)
    args[args.index("22 Oak Ave")] = "Oak Avenue"
    result = run(*args, "--weight", "12oz", "--reference", "R5", "--yes", "--verify")
    assert result.exit_code == 2
    assert "street1: House number is missing" in result.stderr
    assert sql("SELECT count(*) FROM shipments")[0][0] == 0


def test_easyposts_field_errors_come_back_in_plain_words(run: Run, sql: Run) -> None:
    result = run("--to-name", "Ann", "--to-street1", "1 Rue X", "--to-city", "Paris",
                 "--to-zip", "75001", "--to-country", "ZZ", "--weight", "12oz",
                 "--reference", "R6", "--yes")
    assert result.exit_code == 2
    assert "to_address.country: is not a valid country code" in result.stderr
    [row] = sql("SELECT state, error_code FROM shipments WHERE reference = 'R6'")
    assert tuple(row) == ("failed", "PARAMETER.INVALID")


def test_a_bad_parcel_is_refused_before_easypost(run: Run) -> None:
    result = run(*TO, "--weight", "12oz", "--parcel", "huge", "--reference", "R7", "--yes")
    assert result.exit_code == 2
    assert "'huge' is neither a preset (small)" in result.stderr


def test_no_api_key_names_the_variable_and_simulate(shipctl: Run, isolated_env: Path) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    result = shipctl("create", *TO, "--weight", "12oz", "--reference", "R8", "--dry-run")
    assert result.exit_code == 3
    assert "EASYPOST_API_KEY" in result.stderr and "--simulate" in result.stderr


def test_no_from_address_names_the_config_section(shipctl: Run) -> None:
    result = shipctl("--simulate", "create", *TO, "--weight", "12oz", "--dry-run")
    assert result.exit_code == 3
    assert "[from_address]" in result.stderr


def test_an_order_from_json(run: Run, isolated_env: Path) -> None:
    order = {"reference": "J1", "parcel": {"weight_oz": "10"},
             "to_address": {"name": "Bo", "street1": "5 Elm St", "city": "Austin",
                            "state": "TX", "zip": "78701"}}
    (isolated_env / "order.json").write_text(json.dumps(order))
    result = run("--from-json", "order.json", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["reference"] == "J1" and not body["purchased"]
