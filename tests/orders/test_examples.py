"""The example files load cleanly and mean what they say."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

from shipctl.models import Order
from shipctl.orders import LoadOptions, OrderSource, SkippedOrder, load_sku_weights

from .conftest import EXAMPLES, PRESETS, Item, errors, orders


def _load(name: str, **options: Any) -> tuple[str, list[Item]]:
    source = OrderSource(EXAMPLES / name, LoadOptions(parcel_presets=PRESETS, **options))
    items = list(source)
    return source.mapping, items


def test_orders_csv_is_fifty_plus_valid_orders_in_many_states() -> None:
    mapping, items = _load("orders.csv")
    assert mapping == "shipctl"
    assert errors(items) == []
    loaded = orders(items)
    assert len(loaded) >= 50
    assert len({o.to_address.state for o in loaded}) >= 40
    assert any(o.to_address.company for o in loaded)
    assert any(o.to_address.street2 for o in loaded)
    assert any(o.rate_rule for o in loaded) and any(o.carrier for o in loaded)
    assert loaded[0].rows == (2,)


def test_orders_json_matches_the_csv_template() -> None:
    mapping, items = _load("orders.json")
    assert mapping == "shipctl"
    loaded = orders(items)
    assert len(loaded) == len(items) == 10
    assert [o.rows for o in loaded[:2]] == [(1,), (2,)]


def test_shopify_export_groups_items_skips_and_weighs() -> None:
    skus = load_sku_weights(EXAMPLES / "skus.csv")
    mapping, items = _load("shopify_orders_export.csv", sku_weights=skus)
    assert mapping == "shopify"
    assert errors(items) == []
    skipped = {s.reference: s.reason for s in items if isinstance(s, SkippedOrder)}
    assert skipped == {
        "#1003": "nothing to ship (only gift cards or items that do not require shipping)",
        "#1004": "cancelled (2024-05-03 14:12:09 -0400)",
        "#1005": "already fulfilled",
    }
    by_ref = {o.reference: o for o in items if isinstance(o, Order)}
    assert by_ref["#1001"].rows == (2, 3)
    assert by_ref["#1001"].parcel.weight_oz == Decimal("26.00")  # 2 × 6 oz tee + 14 oz mug
    assert by_ref["#1002"].to_address.zip == "02139"  # '02139 in the export
    assert by_ref["#1006"].to_address.state == "TX"  # only Shipping Province Name set
    assert by_ref["#1007"].parcel.weight_oz == Decimal("26.69")  # gift card not weighed
    assert by_ref["#1008"].parcel.weight_oz == Decimal("6.00")  # fulfilled hoodie left out
    assert by_ref["#1009"].to_address.company == "Fernwood Ceramics"


def test_skus_cover_every_shopify_sku() -> None:
    skus = load_sku_weights(EXAMPLES / "skus.csv")
    text = (EXAMPLES / "shopify_orders_export.csv").read_text()
    header = text.splitlines()[0].split(",")
    assert len(header) == 79
    import csv

    used = {row["Lineitem sku"] for row in csv.DictReader(text.splitlines())}
    assert used <= set(skus)


def test_config_example_has_the_keys_the_config_loader_reads() -> None:
    config = tomllib.loads((EXAMPLES / "shipctl.toml").read_text())
    assert set(config["from_address"]) == {
        "name", "company", "street1", "city", "state", "zip", "country", "phone"
    }
    assert config["parcels"] == {"small": "8x6x4 in", "medium": "12x10x6 in",
                                 "large": "18x14x8 in"}  # fmt: skip
    assert (config["default_rate_rule"], config["label_format"], config["concurrency"]) == (
        "cheapest", "PDF", 16
    )
