"""Residential destinations: the flag sent with the shipment, and rate rules just for homes.

End to end against the simulator, whose UPS and FedEx rates carry a residential surcharge
when (and only when) the shipment says its destination is a home.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import easypost
import pytest

from shipctl.models import Address, Order, Parcel, RateRule, ShipmentOptions
from shipctl.simulator import SimulatorConfig, running_simulator
from tests.jobs.bulk_support import TEMPLATE_HEADER, read_results, use_example_settings

Run = Callable[..., Any]
# One destination and parcel for every order, so rates differ only by the residential flag.
ADDRESS = ["22 Oak Ave", "Boston", "MA", "02108"]


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


def write_orders(path: Path, flags: list[str], *, column: str | None = "residential") -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(TEMPLATE_HEADER + ([column] if column else []))
        for i, flag in enumerate(flags):
            writer.writerow([f"H-{i}", f"Customer {i}", *ADDRESS, "12oz", "small"]
                            + ([flag] if column else []))
    return path


@contextmanager
def simulator_client(data_dir: Path) -> Iterator[easypost.EasyPostClient]:
    """The SDK on the `--simulate` simulator's state: what shipctl sent, as EasyPost kept it."""
    config = SimulatorConfig(state_path=data_dir / "simulator.sqlite3",
                             carriers=("USPS", "UPS", "FedEx"))
    with running_simulator(config) as sim:
        yield easypost.EasyPostClient("EZTK_simulated", api_base=sim.api_base)


def sent_residential(data_dir: Path, sql: Run) -> dict[str, bool | None]:
    """Each order's destination `residential` as its EasyPost shipment has it."""
    rows = sql("SELECT reference, easypost_shipment_id FROM shipments ORDER BY reference")
    with simulator_client(data_dir) as client:
        return {row["reference"]: client.shipment.retrieve(
            row["easypost_shipment_id"]).to_address.residential for row in rows}


def test_the_orders_flag_is_sent_and_homes_get_their_own_carriers(
    shipctl: Run, home: Path, sql: Run
) -> None:
    orders = write_orders(home / "orders.csv", ["yes", "no", "", "Residential", "commercial"])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--carriers", "UPS",
                     "--residential-carriers", "USPS", "--results-out", "results.csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    carriers = {r["reference"]: (r["carrier"], r["residential"])
                for r in read_results(home / "results.csv")}
    assert carriers == {"H-0": ("USPS", "true"), "H-1": ("UPS", "false"), "H-2": ("UPS", ""),
                        "H-3": ("USPS", "true"), "H-4": ("UPS", "false")}
    sent = sent_residential(home / "data", sql)
    del sent["H-2"]  # not sent: the simulator, as EasyPost, fills it in at purchase
    assert sent == {"H-0": True, "H-1": False, "H-3": True, "H-4": False}
    stored = sql("SELECT reference, to_residential_given FROM shipments ORDER BY reference")
    assert [r["to_residential_given"] for r in stored] == [True, False, None, True, False]
    report = shipctl("analytics", "--since", "1d", "--by", "addresses", "--format", "json")
    assert report.exit_code == 0, report.stderr
    kinds = {line["destination"]: line["labels"]
             for line in json.loads(report.stdout)["sections"]["addresses"]}
    assert kinds == {"residential": 2, "commercial": 2, "unknown": 1}


def test_ups_charges_homes_more_when_told(shipctl: Run, home: Path) -> None:
    orders = write_orders(home / "orders.csv", ["yes", "no", ""])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--carriers", "UPS:Ground",
                     "--results-out", "results.csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    rates = {r["reference"]: Decimal(r["rate"]) for r in read_results(home / "results.csv")}
    assert rates["H-0"] - rates["H-1"] == Decimal("5.55")  # the simulator's UPS surcharge
    assert rates["H-2"] == rates["H-1"]


def test_verification_finds_homes_for_the_rule_and_the_shipment(
    shipctl: Run, home: Path, sql: Run
) -> None:
    orders = home / "orders.csv"
    with orders.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(TEMPLATE_HEADER)
        for i in range(12):  # twelve streets: the simulator calls some 60 % of them homes
            writer.writerow([f"V-{i:02d}", f"Customer {i}", f"{10 + i} Main St", "Austin", "TX",
                             "78701", "12oz", "small"])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--verify", "--carriers",
                     "UPS", "--results-out", "results.csv",
                     env={"SHIPCTL_RESIDENTIAL_CARRIERS": "USPS"})  # the setting
    assert result.exit_code == 0, result.stdout + result.stderr
    rows = read_results(home / "results.csv")
    homes = {r["reference"] for r in rows if r["residential"] == "true"}
    assert homes and len(homes) < len(rows)
    assert {r["carrier"] for r in rows if r["reference"] in homes} == {"USPS"}
    assert {r["carrier"] for r in rows if r["reference"] not in homes} == {"UPS"}
    sent = sent_residential(home / "data", sql)
    assert {ref for ref, flag in sent.items() if flag} == homes
    assert all(flag is False for ref, flag in sent.items() if ref not in homes)


def test_a_file_that_gains_an_empty_residential_column_is_not_changed(
    shipctl: Run, home: Path
) -> None:
    before = write_orders(home / "orders.csv", ["", ""], column=None)
    assert shipctl("--simulate", "bulk", str(before), "--yes").exit_code == 0
    after = write_orders(home / "orders.csv", ["", ""])
    again = shipctl("--simulate", "bulk", str(after), "--yes")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "2 already purchased" in again.stdout
    assert "changed after purchase" not in again.stdout
    told = write_orders(home / "orders.csv", ["yes", ""])
    changed = shipctl("--simulate", "bulk", str(told), "--yes")
    assert "changed after purchase: H-0" in changed.stdout  # a home: another label
    assert "H-1" not in changed.stdout.split("changed after purchase")[-1]


def test_bad_residential_values_and_carriers_are_refused_before_quoting(
    shipctl: Run, home: Path
) -> None:
    orders = write_orders(home / "orders.csv", ["maybe", "yes"])
    result = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert result.exit_code == 2
    shown = " ".join(result.stdout.split())
    assert "H-0 │ 2 │ residential │ maybe │ residential is yes (a home), no (a business)" in shown
    good = write_orders(home / "orders.csv", ["yes"])
    typo = shipctl("--simulate", "bulk", str(good), "--yes", "--residential-carriers", "Fedx")
    assert typo.exit_code == 2
    assert "unknown carrier Fedx" in " ".join(typo.stderr.split())
    assert "--residential-carriers" in typo.stderr


def test_a_rows_residential_carriers(shipctl: Run, home: Path) -> None:
    orders = home / "orders.csv"
    orders.write_text(
        ",".join([*TEMPLATE_HEADER, "residential", "carriers", "residential carriers"]) + "\n"
        f"R-1,Ann,{','.join(ADDRESS)},12oz,small,yes,UPS,FedEx\n"
        f"R-2,Bo,{','.join(ADDRESS)},12oz,small,no,UPS,FedEx\n"
        f"R-3,Cy,{','.join(ADDRESS)},12oz,small,yes,UPS,Fedx\n")
    bad = shipctl("--simulate", "bulk", str(orders), "--yes")
    assert bad.exit_code == 2
    assert "R-3 │ 4 │ residential carriers │ Fedx │ unknown carrier Fedx" in " ".join(
        bad.stdout.split())
    orders.write_text("\n".join(orders.read_text().splitlines()[:3]) + "\n")
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--results-out", "r.csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert {r["reference"]: r["carrier"] for r in read_results(home / "r.csv")} == {
        "R-1": "FedEx", "R-2": "UPS"}


def test_create_sends_the_flag_and_shows_the_residential_rates(
    shipctl: Run, home: Path
) -> None:
    to = ("--to-name", "Ann Lee", "--to-street1", ADDRESS[0], "--to-city", ADDRESS[1],
          "--to-state", ADDRESS[2], "--to-zip", ADDRESS[3], "--weight", "12oz")

    def ups_ground(*flags: str) -> tuple[str, str]:
        result = shipctl("--simulate", "create", *to, *flags, "--dry-run", "--json",
                         "--carriers", "UPS", "--residential-carriers", "USPS")
        assert result.exit_code == 0, result.stdout + result.stderr
        data = json.loads(result.stdout)
        [ground] = [r for r in data["rates"] if r["service"] == "Ground"]
        chosen = next(r for r in data["rates"] if r["chosen"])
        return ground["rate"], chosen["carrier"]

    home_rate, home_choice = ups_ground("--to-residential")
    business_rate, business_choice = ups_ground("--to-commercial")
    assert Decimal(home_rate) - Decimal(business_rate) == Decimal("5.55")
    assert (home_choice, business_choice) == ("USPS", "UPS")


def test_the_digest_of_an_order_without_the_new_fields_is_unchanged() -> None:
    """Digests stored before the residential flag and residential carriers existed (these
    values were computed by the version before them): a rerun of an old run must not think
    its file changed."""
    to = Address(name="Ann Lee", street1="22 Oak Ave", street2="Apt 4", city="Boston",
                 state="MA", zip="02108", phone="555-0100")
    warehouse = Address(name="Warehouse", street1="1 Main St", city="Springfield", state="IL",
                        zip="62701")
    plain = Order(reference="A-1", to_address=to, parcel=Parcel(weight_oz=Decimal("12")))
    assert plain.digest(warehouse) == "ca1dfb5a5a8d1879080815386ece2ff9"
    ruled = Order(
        reference="A-2", to_address=to, carrier="UPS",
        parcel=Parcel(weight_oz=Decimal("12.0"), length=Decimal(10), width=Decimal(8),
                      height=Decimal(4)),
        rate_rule=RateRule.parse("fastest", ["UPS", "!FedEx:FEDEX_2_DAY"], 3, "20"),
        options=ShipmentOptions(signature="adult"))
    assert ruled.digest(warehouse) == "2f7e74cc7f9a42969c07b456ee37f6f4"
    assert ruled.digest(None) == "ddb641d883522780405256c18cebc479"
    unknown = plain.model_copy(update={"to_address": to.model_copy(update={"residential": None})})
    assert unknown.digest(warehouse) == plain.digest(warehouse)
    told = plain.model_copy(update={"to_address": to.model_copy(update={"residential": True})})
    assert told.digest(warehouse) != plain.digest(warehouse)
    homes = ruled.model_copy(update={"rate_rule": RateRule.parse(
        "fastest", ["UPS", "!FedEx:FEDEX_2_DAY"], 3, "20", ["USPS"])})
    assert homes.digest(warehouse) != ruled.digest(warehouse)
