"""Shipment options end to end: columns and flags, checked, quoted, stored, and sent to
EasyPost (read back from the simulator with the SDK)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import easypost
import pytest

from shipctl.errors import ExitCode
from shipctl.models import Address, Order, Parcel, ShipmentOptions
from shipctl.simulator.rates import CARRIER_ACCOUNTS
from tests.jobs.bulk_support import ledger
from tests.printroom.test_print_room import HEADER, ROWS, Shipctl, shipment_ids, write_file

OPTION_COLUMNS = ["insurance", "signature", "saturday_delivery", "hazmat", "carrier_account",
                  "return"]
UPS = CARRIER_ACCOUNTS["UPS"]


def with_options(options: list[list[str]]) -> list[list[str]]:
    return [row + extra for row, extra in zip(ROWS, options, strict=False)]


def test_options_from_columns_reach_the_shipment_and_the_buy(
    shipctl: Shipctl, home: Path, sql: Callable[..., list[Any]],
    sdk: Callable[[], easypost.EasyPostClient],
) -> None:
    orders = write_file(home / "orders.csv", with_options([
        ["$150", "adult", "", "", "", ""],
        ["", "signature", "yes", "LIMITED_QUANTITY", UPS, ""],
        ["", "", "", "", "", "true"],
    ]), header=HEADER + OPTION_COLUMNS)
    result = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    client = sdk()
    ids = shipment_ids(sql)
    first = client.shipment.retrieve(ids["R-300"])
    assert first.options["delivery_confirmation"] == "ADULT_SIGNATURE"
    assert first.insurance == "150.00"  # insured on buy
    second = client.shipment.retrieve(ids["R-100"])
    options = second.options.to_dict()
    assert options["delivery_confirmation"] == "SIGNATURE"
    assert options["saturday_delivery"] is True
    assert options["hazmat"] == "LIMITED_QUANTITY"
    assert second.selected_rate.carrier == "UPS"  # only the chosen account rated it
    assert {rate.carrier_account_id for rate in second.rates} == {UPS}
    assert client.shipment.retrieve(ids["R-200"]).is_return is True
    assert second.insurance is None and not client.shipment.retrieve(ids["R-200"]).insurance
    stored = {row["reference"]: json.loads(row["options"] or "null") for row in sql(
        "SELECT reference, options FROM shipments")}
    assert stored["R-300"] == {"insurance": "150", "signature": "adult"}
    assert stored["R-200"] == {"is_return": True}


def test_the_quote_shows_the_options_and_the_insurance_cost(
    shipctl: Shipctl, home: Path,
) -> None:
    orders = write_file(home / "orders.csv", with_options([
        ["200.00", "", "", "", "", ""], ["50", "", "", "", "", ""], ["", "", "", "", "", ""],
        ["", "", "", "", "", ""]]), header=HEADER + OPTION_COLUMNS)
    result = shipctl("--simulate", "bulk", str(orders), "--dry-run", "--signature", "adult",
                     "--saturday-delivery")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "option adult signature: 4 orders" in result.stdout
    assert "option saturday delivery: 4 orders" in result.stdout
    assert ("option insurance: 2 orders, $250.00 declared, $2.50 to insure"
            in result.stdout)
    assert "$250.00 declared" in result.stdout.split("option")[0]  # a line of the table


@pytest.mark.parametrize(("column", "value", "message"), [
    ("insurance", "lots", "insurance is the declared value"),
    ("signature", "maybe", "a signature is none, signature or adult"),
    ("saturday_delivery", "sometimes", "saturday_delivery is yes or no"),
    ("hazmat", "EXPLOSIVE", "hazmat is one of"),
    ("carrier_account", "UPS", "a carrier account is an EasyPost id"),
    ("return", "perhaps", "return is yes or no"),
])
def test_an_unknown_option_value_names_row_column_and_value(
    shipctl: Shipctl, home: Path, column: str, value: str, message: str,
) -> None:
    values = {name: "" for name in OPTION_COLUMNS} | {column: value}
    orders = write_file(home / "orders.csv", [ROWS[0] + list(values.values())],
                        header=HEADER + OPTION_COLUMNS)
    result = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert result.exit_code == ExitCode.BAD_INPUT
    line = next(line for line in result.stdout.splitlines() if column in line)
    cells = [cell.strip() for cell in line.strip("│").split("│")]
    assert cells[1] == "2" and value in line and message in result.stdout  # order, row, …
    # The carrier session opens while the file is checked, so the simulator may have
    # started; nothing was asked of it.
    asked = ledger(home / "data")["requests"]
    assert not any(key.startswith(("POST", "GET /v2")) for key in asked), asked


@pytest.mark.parametrize(("flag", "value"), [("--signature", "loud"), ("--hazmat", "TNT"),
                                             ("--insurance", "-5"),
                                             ("--carrier-account", "nope")])
def test_bad_option_flags_are_refused(shipctl: Shipctl, home: Path, flag: str,
                                      value: str) -> None:
    orders = write_file(home / "orders.csv", ROWS[:1])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", flag, value)
    assert result.exit_code != 0 and flag in result.stderr


def test_run_flags_apply_to_every_order_and_a_column_overrides_them(
    shipctl: Shipctl, home: Path, sql: Callable[..., list[Any]],
    sdk: Callable[[], easypost.EasyPostClient],
) -> None:
    orders = write_file(home / "orders.csv", with_options([["", "none"], ["", ""]]),
                        header=[*HEADER, "insurance", "signature"])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--signature", "adult",
                     "--return", "--insurance", "20")
    assert result.exit_code == 0, result.stdout + result.stderr
    client = sdk()
    ids = shipment_ids(sql)
    first, second = client.shipment.retrieve(ids["R-300"]), client.shipment.retrieve(ids["R-100"])
    assert first.options["delivery_confirmation"] == "NO_SIGNATURE"
    assert second.options["delivery_confirmation"] == "ADULT_SIGNATURE"
    assert first.is_return is True and second.is_return is True
    assert first.insurance == "20.00" and second.insurance == "20.00"


def test_a_changed_option_requotes_an_unbought_shipment(
    shipctl: Shipctl, home: Path, sql: Callable[..., list[Any]],
    sdk: Callable[[], easypost.EasyPostClient],
) -> None:
    header = [*HEADER, "signature"]
    orders = write_file(home / "orders.csv", with_options([["signature"], ["signature"]]),
                        header=header)
    assert shipctl("--simulate", "bulk", str(orders), "--dry-run").exit_code == 0
    before = shipment_ids(sql)
    write_file(home / "orders.csv", with_options([["adult"], ["signature"]]), header=header)
    result = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    after = shipment_ids(sql)
    assert after["R-300"] != before["R-300"]  # its options changed: a new shipment
    assert after["R-100"] == before["R-100"]
    assert (sdk().shipment.retrieve(after["R-300"]).options["delivery_confirmation"]
            == "ADULT_SIGNATURE")


def order(options: ShipmentOptions | None) -> Order:
    return Order(reference="R1", parcel=Parcel(weight_oz=Decimal(8)), options=options,
                 to_address=Address(name="A", street1="1 Main St", city="Austin", state="TX",
                                    zip="78701"))


def test_options_are_part_of_the_digest_and_none_keeps_old_digests() -> None:
    plain = order(None)
    assert order(ShipmentOptions()).digest() == plain.digest()
    assert order(ShipmentOptions(signature="adult")).digest() != plain.digest()
    assert (order(ShipmentOptions(insurance=Decimal("10"))).digest()
            == order(ShipmentOptions(insurance=Decimal("10.00"))).digest())
