"""International orders end to end: customs from the line items, the simulator, PostgreSQL."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import easypost
import pypdf
import pytest

from shipctl.simulator import SimulatorConfig, running_simulator
from tests.conftest import CliResult

Shipctl = Callable[..., CliResult]
Sql = Callable[..., list[Any]]

SETTINGS = """
concurrency = 4
simulate_carriers = ["USPS", "UPS", "FedEx"]

[from_address]
name = "Shipping Dept."
company = "Tin Roof Goods"
street1 = "2400 NW Industrial St"
city = "Portland"
state = "OR"
zip = "97210"
country = "US"
phone = "503-555-0148"
"""
SIGNER = '\n[customs]\nsigner = "Dana Whitfield"\n'
HEADER = ["reference", "name", "street1", "city", "state", "zip", "country", "phone", "weight",
          "item", "sku", "quantity", "price", "currency", "itn"]
TORONTO = ["Ann Roy", "100 King St W", "Toronto", "ON", "M5H 1A1", "CA", "+1 416 555 0100"]
BERLIN = ["Jörg Müller", "Unter den Linden 1", "Berlin", "", "10117", "DE", "+49 30 123456"]
CATALOG = (
    "sku,weight,hs_tariff_number,origin_country,customs_description\n"
    "MUG-01,14oz,6912.00.4400,US,Ceramic mug\n"
    "TEE-01,6oz,6109100012,PT,Cotton t-shirt\n"
    "LAMP-01,40oz,9405.20.6000,US,Desk lamp\n"
)


@pytest.fixture
def home(isolated_env: Path) -> Path:
    (isolated_env / "shipctl.toml").write_text(SETTINGS + SIGNER)
    (isolated_env / "skus.csv").write_text(CATALOG)
    return isolated_env


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def domestic(reference: str) -> list[str]:
    return [reference, "Sam Lee", "100 Main St", "Austin", "TX", "78701", "US", "", "12oz",
            "Mug", "MUG-01", "1", "18.00", "USD", ""]


def abroad_orders() -> list[list[str]]:
    return [
        ["CA-1", *TORONTO, "3lb", "Mug", "MUG-01", "2", "18.00", "CAD", ""],
        ["CA-1", "", "", "", "", "", "", "", "", "T-shirt", "TEE-01", "1", "25.50", "", ""],
        ["DE-1", *BERLIN, "3lb", "Desk lamp", "LAMP-01", "1", "89.00", "EUR", ""],
        domestic("US-1"),
    ]


def shipments(home: Path) -> dict[str, dict[str, Any]]:
    """Every shipment the `--simulate` simulator holds, by reference, read back through the
    real SDK."""
    with running_simulator(SimulatorConfig(state_path=home / "data" / "simulator.sqlite3")) as sim:
        client = easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)
        listed = client.shipment.all(page_size=100)["shipments"]
        return {s["reference"]: client.shipment.retrieve(s["id"]).to_dict() for s in listed}


def test_canadian_and_german_orders_carry_their_line_items_to_customs(
    shipctl: Shipctl, home: Path, sql: Sql
) -> None:
    orders = write(home / "orders.csv", abroad_orders())
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--catalog", "skus.csv",
                     "--labels-out", "labels.pdf")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "purchased 3 · failed 0" in result.stdout
    assert "2 international: customs from the line items, duties paid by the recipient (DDU)" \
        in result.stdout
    bought = shipments(home)
    canada, germany, us = bought["CA-1"], bought["DE-1"], bought["US-1"]
    items = canada["customs_info"]["customs_items"]
    assert [(i["description"], i["quantity"], i["value"], i["currency"], i["hs_tariff_number"])
            for i in items] == [("Ceramic mug", 2, "36.00", "CAD", "6912004400"),
                                ("Cotton t-shirt", 1, "25.50", "CAD", "6109100012")]
    assert [i["origin_country"] for i in items] == ["US", "PT"]
    assert [i["weight"] for i in items] == [28.0, 6.0]
    assert canada["customs_info"]["customs_signer"] == "Dana Whitfield"
    assert canada["customs_info"]["eel_pfc"] == "NOEEI 30.37(a)"
    assert canada["customs_info"]["contents_type"] == "merchandise"
    (lamp,) = germany["customs_info"]["customs_items"]
    assert (lamp["quantity"], lamp["value"], lamp["currency"], lamp["hs_tariff_number"]) == (
        1, "89.00", "EUR", "9405206000")
    assert germany["to_address"]["name"].casefold() == "jörg müller"  # UTF-8 through
    for shipment in (canada, germany):
        assert "International" in shipment["selected_rate"]["service"] or \
            shipment["selected_rate"]["carrier"] != "USPS"
        assert shipment["forms"], "a cross-border label comes with its customs form"
    assert us["customs_info"] is None and not us.get("forms")
    # The items are kept with the order, and the stack holds each label and its forms.
    stored = sql("SELECT reference, jsonb_array_length(items) AS n FROM shipments "
                 "ORDER BY reference")
    assert [(r["reference"], r["n"]) for r in stored] == [("CA-1", 2), ("DE-1", 1), ("US-1", 1)]
    assert len(pypdf.PdfReader(home / "labels.pdf").pages) == 5
    # Analytics: domestic before international, by destination country.
    report = shipctl("--simulate", "analytics", "--by", "country", "--format", "json")
    assert report.exit_code == 0, report.stdout + report.stderr
    rows = json.loads(report.stdout)["sections"]["country"]
    assert [r["scope"] for r in rows] == ["domestic", "international", "international"]
    assert sorted((r["scope"], r["country"], r["labels"]) for r in rows) == [
        ("domestic", "US", 1), ("international", "CA", 1), ("international", "DE", 1)]
    assert all(Decimal(r["spend"]) > 0 for r in rows)


def test_missing_signer_exits_3_before_anything_is_quoted(
    shipctl: Shipctl, home: Path, sql: Sql
) -> None:
    (home / "shipctl.toml").write_text(SETTINGS)
    orders = write(home / "orders.csv", abroad_orders())
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--catalog", "skus.csv")
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "customs.signer" in result.stdout + result.stderr
    assert sql("SELECT count(*) AS n FROM shipments")[0]["n"] == 0
    # A file of domestic orders needs no signer.
    domestic_only = write(home / "domestic.csv", [domestic("US-2")])
    assert shipctl("--simulate", "bulk", str(domestic_only), "--yes").exit_code == 0


def test_missing_phone_exits_2_naming_the_order(shipctl: Shipctl, home: Path) -> None:
    row = ["CA-2", *TORONTO[:-1], "", "1lb", "Mug", "MUG-01", "1", "18.00", "CAD", ""]
    orders = write(home / "orders.csv", [row])
    result = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "CA-2" in result.stdout and "phone" in result.stdout
    with_default = shipctl("--simulate", "bulk", str(orders), "--yes",
                           "--default-phone", "+1 503 555 0100")
    assert with_default.exit_code == 0, with_default.stdout + with_default.stderr


def test_export_over_2500_under_one_hs_code_needs_an_itn(shipctl: Shipctl, home: Path) -> None:
    rows = [["DE-9", *BERLIN, "150lb", "Desk lamp", "LAMP-01", "30", "89.00", "USD", ""]]
    orders = write(home / "orders.csv", rows)
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--catalog", "skus.csv")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "AES ITN" in result.stdout and "9405206000" in result.stdout
    rows[0][-1] = "X20260101123456"
    write(orders, rows)
    filed = shipctl("--simulate", "bulk", str(orders), "--yes", "--catalog", "skus.csv",
                    "--duties-paid")
    assert filed.exit_code == 0, filed.stdout + filed.stderr
    assert "duties paid by the sender (DDP)" in filed.stdout
    germany = shipments(home)["DE-9"]
    assert germany["customs_info"]["eel_pfc"] == "AES X20260101123456"
    assert germany["options"]["incoterm"] == "DDP"


SHOPIFY_HEADER = ("Name,Email,Financial Status,Fulfillment Status,Currency,Lineitem quantity,"
                  "Lineitem name,Lineitem price,Lineitem sku,Lineitem requires shipping,"
                  "Lineitem fulfillment status,Shipping Method,Shipping Name,Shipping Address1,"
                  "Shipping City,Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,"
                  "Cancelled at")


def test_shopify_export_skips_refunded_and_pickup_and_buys_the_rest_abroad(
    shipctl: Shipctl, home: Path, sql: Sql
) -> None:
    lines = [
        SHOPIFY_HEADER,
        "#1001,a@x.com,paid,unfulfilled,USD,1,Mug,18.00,MUG-01,true,pending,Standard,Sam Lee,"
        "100 Main St,Austin,78701,TX,US,,",
        "#1002,b@x.com,refunded,unfulfilled,USD,1,Mug,18.00,MUG-01,true,pending,Standard,Bo,"
        "1 Elm St,Austin,78701,TX,US,,",
        "#1003,c@x.com,voided,unfulfilled,USD,1,Mug,18.00,MUG-01,true,pending,Standard,Cy,"
        "1 Elm St,Austin,78701,TX,US,,",
        "#1004,d@x.com,paid,unfulfilled,USD,2,Mug,18.00,MUG-01,true,pending,Local Pickup,Di,"
        "1 Elm St,Austin,78701,TX,US,,",
        "#1004,d@x.com,,,,1,T-shirt,25.00,TEE-01,true,pending,,,,,,,,,",
        "#1005,e@x.com,paid,unfulfilled,USD,1,Mug,18.00,MUG-01,true,pending,Standard,,,,,,,,",
        "#1006,f@x.com,paid,unfulfilled,CAD,2,Mug,24.00,MUG-01,true,pending,International,"
        "Ann Roy,100 King St W,Toronto,M5H 1A1,ON,CA,+1 416 555 0100,",
        "#1006,f@x.com,,,,1,T-shirt,31.00,TEE-01,true,pending,,,,,,,,,",
    ]
    export = home / "orders_export.csv"
    export.write_text("\n".join(lines) + "\n")
    result = shipctl("--simulate", "bulk", str(export), "--yes", "--catalog", "skus.csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.stdout
    assert "1 refunded (#1002)" in out and "1 voided (#1003)" in out
    assert "2 local pickup / no shipping address (#1004, #1005)" in out  # one line per reason
    assert out.count("#1004") == 1
    bought = sql("SELECT reference FROM shipments WHERE state = 'purchased' ORDER BY reference")
    assert [r["reference"] for r in bought] == ["#1001", "#1006"]
    items = shipments(home)["#1006"]["customs_info"]["customs_items"]
    assert [(i["quantity"], i["value"], i["currency"], i["code"]) for i in items] == [
        (2, "48.00", "CAD", "MUG-01"), (1, "31.00", "CAD", "TEE-01")]
