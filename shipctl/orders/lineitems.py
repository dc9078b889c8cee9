"""Line items of shipctl's template and of JSON orders.

In a CSV, an order's line items are its rows: the first row holds the order (address,
parcel…) and its first item; each next row with the same reference adds an item (its
address cells may be left blank). In JSON, an order has an `items` list of objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from shipctl.orders.formats import Record, Records
from shipctl.orders.international import has_items
from shipctl.orders.outcomes import RowError
from shipctl.orders.validation import Cells

JSON_ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "item.name": ("name", "title", "description", "product"),
    "item.sku": ("sku",),
    "item.quantity": ("quantity", "qty"),
    "item.value": ("value", "price", "unit_price"),
    "item.currency": ("currency",),
    "item.weight": ("weight",),
    "item.hs_tariff_number": ("hs_tariff_number", "hs_code", "tariff_code"),
    "item.origin_country": ("origin_country", "country_of_origin"),
}
_JSON_ITEM = re.compile(r"^items\.(\d+)\.(\w+)$")


@dataclass
class OrderRows:
    """One order's rows: the first row's cells, and every row's item cells."""

    cells: Cells
    rows: tuple[int, ...]
    items: list[tuple[int, Cells]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def item_groups(
    records: Records, cells_of: Callable[[Record], Cells]
) -> Iterator[OrderRows | RowError]:
    """Adjacent rows of one reference that carry item cells, as one order."""
    current: OrderRows | None = None
    for record in records:
        if isinstance(record, RowError):
            if current is not None:
                yield current
                current = None
            yield record
            continue
        cells = cells_of(record)
        json_items = _json_items(record, cells)
        reference = cells.get("reference", ("", ""))[1]
        if (current is not None and not json_items and reference and has_items(cells)
                and current.items and reference == current.cells["reference"][1]):
            current.rows += (record.row,)
            current.items.append((record.row, _inherit(cells, current.cells)))
            current.errors.extend(record.errors)
            continue
        if current is not None:
            yield current
        current = OrderRows(cells, (record.row,), errors=list(record.errors))
        if json_items:
            current.items = json_items
        elif has_items(cells):
            current.items.append((record.row, cells))
    if current is not None:
        yield current


def _inherit(cells: Cells, first: Cells) -> Cells:
    """An item row's currency, when blank, is the order's."""
    if not cells.get("item.currency", ("", ""))[1] and "item.currency" in first:
        return {**cells, "item.currency": first["item.currency"]}
    return cells


def _json_items(record: Record, cells: Cells) -> list[tuple[int, Cells]]:
    found: dict[int, dict[str, tuple[str, str]]] = {}
    for key, value in record.values.items():
        match = _JSON_ITEM.match(key)
        if not match:
            continue
        index, name = int(match.group(1)), match.group(2).lower()
        for target, names in JSON_ITEM_KEYS.items():
            if name in names and target not in found.setdefault(index, {}):
                found[index][target] = (key, value.strip())
    items = []
    for index in sorted(found):
        item = dict(found[index])
        if not item.get("item.currency") and "item.currency" in cells:
            item["item.currency"] = cells["item.currency"]
        items.append((record.row, item))
    return items
