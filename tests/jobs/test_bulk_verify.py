"""`bulk --verify`: destinations verified once before quoting, corrections the user's choice."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.jobs.bulk_support import TEMPLATE_HEADER, ledger, read_results, use_example_settings

Run = Callable[..., Any]
VERIFY = "POST /v2/addresses"
CITIES = [("Portland", "OR", "97214"), ("Austin", "TX", "78701"), ("Denver", "CO", "80202"),
          ("Miami", "FL", "33130"), ("Boston", "MA", "02108")]


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


def write_verify_orders(path: Path, count: int, *, bad_every: int = 50) -> Path:
    """`count` orders to count/2 distinct addresses; every 10th spells out `Street` (a
    correction), every `bad_every`-th is undeliverable (2 % by default)."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(TEMPLATE_HEADER)
        for i in range(count):
            city, state, zip_code = CITIES[i % len(CITIES)]
            number = 100 + (i % (count // 2))
            street = f"{number} Main Street" if number % 10 == 0 else f"{number} Main St"
            if i % bad_every == bad_every - 1:
                street = f"{i} Undeliverable Rd"
            writer.writerow([f"V-{i:05d}", f"Customer {i}", street, city, state, zip_code,
                             "8oz", "small"])
    return path


def verify_calls(data_dir: Path) -> int:
    stats: dict[str, Any] = ledger(data_dir)
    return sum(stats["requests"].get(VERIFY, {}).values())


def test_undeliverable_addresses_stop_the_run_before_quoting(shipctl: Run, home: Path) -> None:
    orders = write_verify_orders(home / "orders.csv", 200)
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--verify")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.count("Address not found") == 4
    assert "V-00049" in result.stdout or "50" in result.stdout
    assert "Main Street" in result.stdout and "MAIN ST" in result.stdout  # corrections listed
    stats = ledger(home / "data")
    assert stats["purchases"]["total"] == 0
    assert "POST /v2/shipments" not in stats["requests"]
    distinct = 100 + 4
    calls = verify_calls(home / "data")
    assert 0 < calls <= distinct
    again = shipctl("--simulate", "bulk", str(orders), "--yes", "--verify")
    assert again.exit_code == 2
    assert verify_calls(home / "data") == calls  # every verdict was stored


def test_skip_invalid_ships_the_rest_and_a_rerun_verifies_nothing(
    shipctl: Run, home: Path, sql: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shipctl.jobs.verify.PAGE", 7)  # many pages: a verdict is asked once
    orders = write_verify_orders(home / "orders.csv", 200)
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--verify", "--skip-invalid",
                     "--results-out", "results.csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert ledger(home / "data")["purchases"]["total"] == 196
    rows = read_results(home / "results.csv")
    assert [r["status"] for r in rows].count("failed") == 4
    failed = [r for r in rows if r["status"] == "failed"]
    assert all(r["verification"] == "undeliverable" for r in failed)
    assert all("Address not found" in r["error"] for r in failed)
    corrected = [r for r in rows if r["verified_address"] and r["status"] == "purchased"]
    assert corrected and all("MAIN ST" in r["verified_address"] for r in corrected)
    assert {r["residential"] for r in rows if r["status"] == "purchased"} <= {"true", "false"}
    # Originals kept without --accept-corrections.
    kept = sql("SELECT count(*) AS n FROM shipments WHERE to_street1 LIKE '%Main Street'")
    assert kept[0]["n"] == sum(1 for r in corrected)
    calls = verify_calls(home / "data")
    assert calls <= 104
    assert shipctl("--simulate", "bulk", str(orders), "--yes", "--verify",
                   "--skip-invalid").exit_code == 0  # refused as invalid, skipped
    assert verify_calls(home / "data") == calls


def test_accept_corrections_ships_to_the_corrected_address(
    shipctl: Run, home: Path, sql: Run
) -> None:
    orders = write_verify_orders(home / "orders.csv", 40, bad_every=1000)
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--verify",
                     "--accept-corrections")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Corrected by verification" in result.stdout
    rows = sql("SELECT to_street1, verification, order_digest, to_residential FROM shipments "
               "WHERE state = 'purchased'")
    assert len(rows) == 40
    assert not [r for r in rows if r["to_street1"].endswith("Main Street")]
    fixed = [r for r in rows if r["verification"] == "corrected"]
    assert fixed and all(r["to_street1"].endswith("MAIN ST") for r in fixed)
    assert {r["to_residential"] for r in rows} <= {True, False}
    again = shipctl("--simulate", "bulk", str(orders), "--yes", "--verify",
                    "--accept-corrections")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "40 already purchased" in again.stdout
    assert "changed after purchase" not in again.stdout  # the file is the same
    report = shipctl("analytics", "--since", "1d", "--by", "addresses", "--format", "json")
    assert report.exit_code == 0, report.stderr
    lines = json.loads(report.stdout)["sections"]["addresses"]
    assert sum(line["labels"] for line in lines) == 40
    assert {line["verification"] for line in lines} == {"verified", "corrected"}
    assert {line["destination"] for line in lines} <= {"residential", "commercial"}


def test_the_quote_shows_residential_destinations(shipctl: Run, home: Path, sql: Run) -> None:
    orders = write_verify_orders(home / "orders.csv", 20, bad_every=1000)
    result = shipctl("--simulate", "bulk", str(orders), "--dry-run",
                     env={"SHIPCTL_VERIFY": "on"})  # the setting, not the flag
    assert result.exit_code == 0, result.stdout + result.stderr
    residential = sql("SELECT count(*) FROM shipments WHERE to_residential")[0][0]
    assert residential > 0  # the simulator calls about 60 % of addresses residential
    assert f"{residential} to residential addresses" in result.stdout
    shown = " ".join(result.stdout.split())
    assert "verified 10 addresses (10 asked of EasyPost, 0 already known)" in shown


@pytest.mark.parametrize("spelling", [
    ("--verify", "strict"), ("--verify=strict",),
    ("--verify-strict",),  # the earlier spelling, kept for scripts
])
def test_verify_strict_refuses_with_easyposts_message(
    shipctl: Run, home: Path, spelling: tuple[str, ...]
) -> None:
    orders = write_verify_orders(home / "orders.csv", 10, bad_every=5)
    result = shipctl("--simulate", "bulk", *spelling, str(orders), "--yes")
    assert result.exit_code == 2, result.stdout + result.stderr
    shown = " ".join(result.stdout.split())
    assert shown.count("Address not found") == 2
    assert ledger(home / "data")["purchases"]["total"] == 0


def test_verify_off_overrides_the_setting_and_a_bare_flag_precedes_the_file(
    shipctl: Run, home: Path
) -> None:
    orders = write_verify_orders(home / "orders.csv", 10, bad_every=5)
    off = shipctl("--simulate", "bulk", str(orders), "--dry-run", "--verify", "off",
                  env={"SHIPCTL_VERIFY": "strict"})
    assert off.exit_code == 0, off.stdout + off.stderr
    assert verify_calls(home / "data") == 0 and "verified" not in off.stdout
    # `--verify FILE`: the file is not taken for the flag's value.
    on = shipctl("--simulate", "bulk", "--verify", str(orders), "--dry-run")
    assert on.exit_code == 2, on.stdout + on.stderr
    assert verify_calls(home / "data") > 0
    assert " ".join(on.stdout.split()).count("Address not found") == 2
    wrong = shipctl("--simulate", "bulk", str(orders), "--verify=maybe", "--dry-run")
    assert wrong.exit_code == 2
    assert "'maybe' is not on, strict or off" in " ".join(wrong.stderr.split())
    both = shipctl("--simulate", "bulk", str(orders), "--verify=off", "--verify-strict",
                   "--dry-run")
    assert both.exit_code == 2 and "--verify-strict is --verify strict" in both.stderr


def test_a_mistyped_city_or_zip_is_reported_with_easyposts_suggestion(
    shipctl: Run, home: Path
) -> None:
    orders = home / "orders.csv"
    orders.write_text(
        ",".join(TEMPLATE_HEADER) + "\n"
        "SO-1,Ann Lee,22 Oak Ave,Boston,MA,02108,8oz,small\n"
        "SO-2,Bo Chan,1200 Pine St,Portland,WA,98103,8oz,small\n"  # Seattle's ZIP
        "SO-3,Cy Diaz,77 Elm St,Seattle,WA,98013,8oz,small\n"  # 98103 mistyped
        "SO-4,Di Eng,5 Lake Rd,Saint Louis,MO,63101-1234,8oz,small\n"
        "SO-5,Ed Fox,9 Hill Rd,Ft. Worth,TX,76102,8oz,small\n")
    result = shipctl("--simulate", "bulk", "--verify", str(orders), "--yes")
    assert result.exit_code == 2, result.stdout + result.stderr
    shown = " ".join(result.stdout.split())
    assert "2 invalid orders" in shown
    assert ("SO-2 │ 3 │ address │ 1200 Pine St, Portland, WA, 98103, US │ undeliverable: "
            "address: Address not found (did you mean SEATTLE, WA 98103?)") in shown
    assert ("SO-3 │ 4 │ address │ 77 Elm St, Seattle, WA, 98013, US │ undeliverable: "
            "address: Address not found (did you mean BURTON, WA 98013?)") in shown
    assert shown.count("did you mean") == 2  # each suggestion said once
    assert "SO-1 " not in shown and "SO-4" not in shown and "SO-5" not in shown
    assert ledger(home / "data")["purchases"]["total"] == 0


def test_what_counts_as_a_correction() -> None:
    from shipctl.jobs.verify import address_digest, changes
    from shipctl.models import Address

    typed = Address(name="Ann", street1="388 Townsend Street", street2="Apt 20",
                    city="San Francisco", state="CA", zip="94107")
    verified = typed.model_copy(update={"street1": "388 TOWNSEND ST APT 20", "street2": None,
                                        "city": "SAN FRANCISCO", "zip": "94107-1670"})
    assert changes(typed, verified) == [
        ("street1", "388 Townsend Street", "388 TOWNSEND ST APT 20"),
        ("street2", "Apt 20", ""),
    ]
    assert changes(typed, typed.model_copy(update={"city": "san  francisco"})) == []
    assert changes(typed, typed.model_copy(update={"zip": "94108"})) == [
        ("zip", "94107", "94108")]
    same = typed.model_copy(update={"name": "Bo", "street1": "388  townsend street"})
    assert address_digest(same, "test") == address_digest(typed, "test")
    assert address_digest(typed, "live") != address_digest(typed, "test")
