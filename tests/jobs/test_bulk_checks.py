"""Checks before anything is quoted: ZIP against state and carrier names, offline and online."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jobs.bulk_support import ledger, use_example_settings

from .test_create import CONFIG, TO, Run

HEADER = "reference,name,street1,city,state,zip,weight,parcel,carrier,service,carriers\n"
GOOD = "A-1,Ann Lee,1 Main St,Portland,OR,97214,8oz,small,,,\n"


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


def requests_made(home: Path) -> int:
    return sum(sum(codes.values()) for codes in ledger(home / "data")["requests"].values())


def test_seattle_ca_is_caught_offline_naming_row_column_value(
    shipctl: Run, sql: Run, home: Path
) -> None:
    orders = home / "orders.csv"
    orders.write_text(HEADER + GOOD + "A-2,Bo Chan,1 Pine St,Seattle,CA,98103,8oz,small,,,\n")
    result = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert result.exit_code == 2, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if "98103" in line)
    assert "│ 3 " in line and "state" in line and "CA" in line and "is in WA, not CA" in line
    assert sql("SELECT count(*) FROM shipments")[0][0] == 0
    assert requests_made(home) == 0


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ("Fedx,,", "unknown carrier Fedx; known: USPS, UPS, FedEx"),
        (",,!FedExx", "unknown carrier FedExx; known: USPS, UPS, FedEx"),
        (",,DHLX", "unknown carrier DHLX; known: USPS, UPS, FedEx"),
    ],
)
def test_unknown_carrier_in_a_row_is_caught_offline(
    shipctl: Run, home: Path, cells: str, expected: str
) -> None:
    orders = home / "orders.csv"
    orders.write_text(HEADER + f"A-1,Ann Lee,1 Main St,Portland,OR,97214,8oz,small,{cells}\n")
    result = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert expected in " ".join(result.stdout.split())
    assert requests_made(home) == 0


def test_unknown_carrier_option_is_refused_before_loading(shipctl: Run, home: Path) -> None:
    orders = home / "orders.csv"
    orders.write_text(HEADER + GOOD)
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--carriers", "Fedx")
    assert result.exit_code == 2
    assert "unknown carrier Fedx; known: USPS, UPS, FedEx" in " ".join(result.stderr.split())
    assert requests_made(home) == 0


def test_a_carrier_the_account_lacks_is_refused_before_quoting(
    shipctl: Run, sql: Run, home: Path
) -> None:
    orders = home / "orders.csv"
    orders.write_text(HEADER + GOOD + "A-2,Bo Chan,1 Pine St,Portland,OR,97214,8oz,small,UPS,,\n")
    usps_only = {"SHIPCTL_SIMULATE_CARRIERS": "USPS"}
    result = shipctl("--simulate", "bulk", str(orders), "--yes", env=usps_only)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "unknown carrier UPS; known: USPS" in " ".join(result.stdout.split())
    assert sql("SELECT count(*) FROM shipments")[0][0] == 0
    stats = ledger(home / "data")
    assert "POST /v2/shipments" not in stats["requests"]
    assert sum(stats["requests"]["GET /v2/carrier_accounts"].values()) == 1
    option = shipctl("--simulate", "bulk", str(orders), "--yes", "--carriers", "FedEx",
                     env=usps_only)
    assert option.exit_code == 2
    assert "--carriers: unknown carrier FedEx; known: USPS" in option.stderr


def test_create_refuses_an_unknown_carrier_and_a_wrong_zip(
    shipctl: Run, isolated_env: Path
) -> None:
    (isolated_env / "shipctl.toml").write_text(CONFIG)
    result = shipctl("--simulate", "create", *TO, "--weight", "12oz", "--yes",
                     "--carrier", "Fedx")
    assert result.exit_code == 2
    assert "unknown carrier Fedx" in result.stderr
    args = list(TO)
    args[args.index("02108")] = "98103"
    wrong_zip = shipctl("--simulate", "create", *args, "--weight", "12oz", "--yes")
    assert wrong_zip.exit_code == 2
    assert "ZIP 98103 is in WA, not MA" in wrong_zip.stderr
