"""`shipctl bulk` accounts for every order of the file: shipped, invalid, skipped or declined."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import Shipctl
from tests.jobs.bulk_support import EXAMPLES, read_results, use_example_settings, write_orders

SHOPIFY_HEADER = ["Name", "Financial Status", "Fulfillment Status", "Lineitem quantity",
                  "Lineitem name", "Lineitem sku", "Lineitem requires shipping",
                  "Lineitem fulfillment status", "Shipping Name", "Shipping Street",
                  "Shipping Address1", "Shipping City", "Shipping Zip", "Shipping Province",
                  "Shipping Country", "Cancelled at"]


@pytest.fixture
def home(isolated_env: Path) -> Path:
    use_example_settings(isolated_env)
    return isolated_env


def _shopify(path: Path, fulfilled: int, gift_cards: int) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(SHOPIFY_HEADER)
        for i in range(fulfilled):
            writer.writerow([f"#{1000 + i}", "paid", "fulfilled", "1", "Tee", "TEE", "true",
                             "fulfilled", "Ann Lee", "1 Main St", "1 Main St", "Austin", "78701",
                             "TX", "US", ""])
        for i in range(gift_cards):
            writer.writerow([f"#{2000 + i}", "paid", "unfulfilled", "1", "Gift card", "GIFT",
                             "false", "pending", "Bo Chen", "2 Main St", "2 Main St", "Austin",
                             "78701", "TX", "US", ""])
    return path


def test_declining_the_quote_exits_0_and_shows_it_once(shipctl: Shipctl, home: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from shipctl.cli import bulk_cmd, options

    orders = write_orders(home / "orders.csv", 3)
    monkeypatch.setattr(options, "require_confirmation_or_yes", lambda *a, **k: None)
    monkeypatch.setattr("rich.prompt.Confirm.ask", lambda *a, **k: False)
    assert bulk_cmd.opt is options
    result = shipctl("--simulate", "bulk", str(orders))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.count("Quote") == 1
    assert "not confirmed: nothing bought" in result.stdout


def test_png_labels_out_is_refused_before_anything_is_read(shipctl: Shipctl, home: Path) -> None:
    result = shipctl("--simulate", "bulk", "no-such-file.csv", "--yes", "--labels-out", "x.png")
    assert result.exit_code == 2
    assert "PNG labels don't merge: use .pdf, .zpl or .epl" in result.stderr
    assert "no such file" not in result.stderr


def test_a_file_with_nothing_to_ship_says_so_and_writes_results(shipctl: Shipctl,
                                                                 home: Path) -> None:
    export = _shopify(home / "export.csv", fulfilled=16, gift_cards=2)
    result = shipctl("--simulate", "bulk", str(export), "--yes", "--default-weight", "1lb",
                     "--results-out", "results.csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "nothing to ship: 16 fulfilled, 2 gift cards only" in result.stdout
    assert "Run None" not in result.stdout
    rows = read_results(home / "results.csv")
    assert len(rows) == 18
    assert {r["status"] for r in rows} == {"skipped"}
    assert rows[0]["reference"] == "#1000" and rows[0]["error"] == "already fulfilled"


def test_skipped_orders_are_summarised_by_reason_unless_show_skipped(
    shipctl: Shipctl, home: Path,
) -> None:
    export = _shopify(home / "export.csv", fulfilled=16, gift_cards=2)
    short = shipctl("--simulate", "bulk", str(export), "--yes", "--default-weight", "1lb")
    assert "18 orders skipped:" in short.stdout
    assert "16 fulfilled (#1000, #1001, #1002 …)" in short.stdout
    assert "#1015" not in short.stdout
    assert len(short.stdout.splitlines()) < 10
    full = shipctl("--simulate", "bulk", str(export), "--yes", "--default-weight", "1lb",
                   "--show-skipped")
    assert "#1015: already fulfilled" in full.stdout


def test_skip_invalid_names_the_dropped_orders_and_writes_them(shipctl: Shipctl,
                                                                home: Path) -> None:
    orders = write_orders(home / "orders.csv", 3, rows=[
        ["BAD-1", "Ann Lee", "1 Main St", "Austin", "TX", "9410", "12oz", "small"],
    ])
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--skip-invalid",
                     "--results-out", "results.csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1 invalid order not shipped (--skip-invalid):" in result.stdout
    assert 'BAD-1 (row 5): zip "9410": a US ZIP has 5 or 9 digits' in result.stdout
    assert "purchased 3 · failed 0 · skipped 0 · invalid 1" in result.stdout
    rows = {r["reference"]: r for r in read_results(home / "results.csv")}
    assert rows["BAD-1"]["status"] == "invalid"
    assert "a US ZIP has 5 or 9 digits" in rows["BAD-1"]["error"]
    assert [rows[f"T-{i:05d}"]["status"] for i in range(3)] == ["purchased"] * 3


def test_example_shopify_export_skips_in_one_line_per_reason(shipctl: Shipctl,
                                                              home: Path) -> None:
    result = shipctl("--simulate", "bulk", str(EXAMPLES / "shopify_orders_export.csv"),
                     "--yes", "--sku-weights", str(EXAMPLES / "skus.csv"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "5 orders skipped:" in result.stdout  # the sample's refunded and pickup orders too
    assert "1 cancelled (#1004)" in result.stdout


def _order_rows(path: Path) -> Path:
    """#1019 with no address on two rows; #1020 with an unknown SKU and a short ZIP."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(SHOPIFY_HEADER)
        for sku in ("TEE", "MUG"):
            writer.writerow(["#1019", "paid", "unfulfilled", "1", sku, sku, "true", "pending",
                             "", "", "", "", "", "", "", ""])
        writer.writerow(["#1020", "paid", "unfulfilled", "1", "Mug", "NOPE", "true", "pending",
                         "Bo Chen", "1 Main St", "1 Main St", "Austin", "7870", "TX", "US", ""])
    return path


def test_errors_name_the_order_and_are_all_found_in_one_pass(shipctl: Shipctl,
                                                              home: Path) -> None:
    skus = home / "skus.csv"
    skus.write_text("sku,weight\nTEE,6oz\nMUG,14oz\n")
    export = _order_rows(home / "export.csv")
    result = shipctl("--simulate", "bulk", str(export), "--yes", "--sku-weights", str(skus))
    assert result.exit_code == 2
    # #1019 has no shipping address: skipped as local pickup (one line), not an error.
    assert "1 invalid order, 2 errors — nothing was bought" in result.stdout
    rows = [[cell.strip() for cell in line.strip("│").split("│")]
            for line in result.stdout.splitlines() if line.startswith("│")]
    assert rows == [
        ["#1020", "4", "Lineitem sku", "NOPE",
         "no weight for this SKU: add it to the --sku-weights file, or pass --default-weight"],
        ["#1020", "4", "Shipping Zip", "7870", "a US ZIP has 5 or 9 digits"],
    ]
    dropped = shipctl("--simulate", "bulk", str(export), "--yes", "--sku-weights", str(skus),
                      "--skip-invalid", "--results-out", "results.csv")
    assert '  #1020 (row 4): Lineitem sku "NOPE"' in dropped.stdout
    assert "nothing to ship: 1 invalid, 1 local pickup / no shipping address" in dropped.stdout
    statuses = {r["reference"]: r["status"] for r in read_results(home / "results.csv")}
    assert statuses == {"#1019": "skipped", "#1020": "invalid"}


def test_dry_run_results_hold_each_orders_quote_and_alternatives(shipctl: Shipctl,
                                                                   home: Path) -> None:
    orders = write_orders(home / "orders.csv", 4)
    result = shipctl("--simulate", "bulk", str(orders), "--dry-run", "--results-out", "q.csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "dry run: nothing bought" in result.stdout and "quotes: q.csv" in result.stdout
    rows = read_results(home / "q.csv")
    assert [r["reference"] for r in rows] == [f"T-{i:05d}" for i in range(4)]
    for row in rows:
        assert row["status"] == "quoted"
        assert row["carrier"] and row["service"] and row["rate"]
        assert row["tracking_code"] == ""
        assert "more expensive" in row["alternatives"]


def test_skip_invalid_keeps_every_dropped_order_in_the_results(shipctl: Shipctl,
                                                                home: Path) -> None:
    bad = [[f"BAD-{i:04d}", "Ann Lee", "1 Main St", "Austin", "TX", "9410", "12oz", "small"]
           for i in range(1200)]
    orders = write_orders(home / "orders.csv", 1, rows=bad)
    result = shipctl("--simulate", "bulk", str(orders), "--yes", "--skip-invalid",
                     "--results-out", "results.csv")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1,200 invalid orders not shipped (--skip-invalid):" in result.stdout
    assert "… and 1,150 more orders (see --results-out)" in result.stdout
    assert "BAD-1199" not in result.stdout
    statuses = [r["status"] for r in read_results(home / "results.csv")]
    assert statuses.count("invalid") == 1200 and statuses.count("purchased") == 1
    assert "invalid 1,200" in result.stdout
