"""Shopify's "Export orders" CSV: one row per line item, grouped into one order per `Name`.

Rows of an order are adjacent in Shopify's export, so grouping streams: an order ends when
the `Name` changes. Shipping fields are read from the order's first row. The weight is the
sum of weight × quantity over the items that still need shipping (requires shipping, not
yet fulfilled) from the SKU weights; when an item's SKU has no weight, the whole order gets
`default_weight`; with neither, each unknown SKU is a row error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shipctl.models import Order
from shipctl.orders.catalog import Catalog
from shipctl.orders.formats import Record, Records
from shipctl.orders.outcomes import RowError, SkippedOrder, preview
from shipctl.orders.validation import Cells, cells_for, order_from_cells

Outcome = Order | RowError | SkippedOrder


@dataclass(frozen=True, slots=True)
class LineItem:
    """The parts of one line-item row that matter for shipping."""

    row: int
    sku: str
    quantity: int
    requires_shipping: bool
    fulfilled: bool
    name: str = ""
    price: tuple[str, str] = ("Lineitem price", "")
    currency: tuple[str, str] = ("Currency", "")


@dataclass
class ShopifyOrder:
    """The rows of one order seen so far: the first row's cells and every line item."""

    reference: str
    cells: Cells
    items: list[LineItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> tuple[int, ...]:
        return tuple(item.row for item in self.items)


def group_orders(records: Records, resolved: dict[str, str]) -> Iterator[ShopifyOrder | RowError]:
    """Adjacent rows with the same `Name` as one ShopifyOrder."""
    current: ShopifyOrder | None = None
    for record in records:
        if isinstance(record, RowError):
            yield record
            continue
        cells = cells_for(record.values, resolved)
        reference = cells["reference"][1]
        if current is None or reference != current.reference or not reference:
            if current is not None:
                yield current
            current = ShopifyOrder(reference, cells)
        current.items.append(_line_item(record, cells, current))
        current.errors.extend(record.errors)
    if current is not None:
        yield current


def _line_item(record: Record, cells: Cells, order: ShopifyOrder) -> LineItem:
    column, text = cells.get("quantity", ("Lineitem quantity", ""))
    quantity = int(text) if text.isdigit() and len(text) < 7 else -1
    if quantity < 0:
        message = "a line item quantity is a whole number, such as 1"
        order.errors.append(RowError((record.row,), column, preview(text), message,
                                     order.reference or None))  # fmt: skip
    requires = cells.get("requires_shipping", ("", ""))[1].lower() not in ("false", "no", "0")
    fulfilled = cells.get("item_status", ("", ""))[1].lower() == "fulfilled"
    sku = cells.get("sku", ("", ""))[1]
    return LineItem(record.row, sku, max(quantity, 0), requires, fulfilled,
                    cells.get("item", ("", ""))[1], cells.get("price", ("Lineitem price", "")),
                    cells.get("currency", ("Currency", "")))  # fmt: skip


def skip_reason(order: ShopifyOrder) -> str | None:
    """Why this order needs no label, or None when it does."""
    cancelled = order.cells.get("cancelled_at", ("", ""))[1]
    if cancelled:
        return f"cancelled ({cancelled})"
    financial = order.cells.get("financial_status", ("", ""))[1].lower()
    if financial in ("refunded", "voided"):
        return financial
    if order.cells.get("fulfillment_status", ("", ""))[1].lower() == "fulfilled":
        return "already fulfilled"
    if not any(item.requires_shipping for item in order.items):
        return "nothing to ship (only gift cards or items that do not require shipping)"
    if not _to_ship(order):
        return "already fulfilled (every item that needs shipping is fulfilled)"
    if _local_pickup(order):
        return "local pickup / no shipping address"
    return None


def _local_pickup(order: ShopifyOrder) -> bool:
    """A pickup shipping method, or no shipping address on an order that needs shipping."""
    method = order.cells.get("shipping_method", ("", ""))[1].lower()
    if "pickup" in method.replace(" ", "").replace("-", ""):
        return True
    return not any(order.cells.get(f, ("", ""))[1] for f in ("to.street1", "street", "to.city"))


def _to_ship(order: ShopifyOrder) -> list[LineItem]:
    return [i for i in order.items if i.requires_shipping and not i.fulfilled and i.quantity]


def order_weight(
    order: ShopifyOrder, sku_weights: dict[str, Decimal] | None, default: Decimal | None,
    catalog: Catalog | None = None,
) -> Decimal | list[RowError]:
    """Ounces from the SKU weights, else the default weight, else an error per unknown SKU."""
    items = _to_ship(order)
    weights = dict(sku_weights or {})
    for item in items:  # an item without a SKU may be known by its exact name
        product = catalog.find(item.sku, item.name) if catalog and not item.sku else None
        if product is not None and product.weight_oz is not None:
            weights[item.sku] = product.weight_oz
    unknown = [item for item in items if item.sku not in weights]
    if not unknown:
        return sum((weights[i.sku] * i.quantity for i in items), Decimal(0))
    if default is not None:
        return default
    column = order.cells.get("sku", ("Lineitem sku", ""))[0]
    return [RowError((item.row,), column, item.sku, _unknown_sku(item.sku), order.reference)
            for item in unknown]  # fmt: skip


def _unknown_sku(sku: str) -> str:
    if not sku:
        return "this item has no SKU, so its weight is unknown: pass --default-weight"
    return "no weight for this SKU: add it to the --sku-weights file, or pass --default-weight"


def _item_cells(item: LineItem, order: ShopifyOrder) -> tuple[int, Cells]:
    """A line item as the item fields of an order's cells (in the order's currency)."""
    currency = item.currency if item.currency[1] else order.cells.get("currency", item.currency)
    return item.row, {
        "item.name": ("Lineitem name", item.name), "item.sku": ("Lineitem sku", item.sku),
        "item.quantity": ("Lineitem quantity", str(item.quantity)),
        "item.value": item.price, "item.currency": currency,
    }


def shopify_cells(order: ShopifyOrder) -> Cells:
    """The first row's cells as order fields, filling Shopify's gaps (street, province name)."""
    cells = dict(order.cells)
    for target, fallback in (("to.street1", "street"), ("to.state", "state_name"),
                             ("to.phone", "phone")):  # fmt: skip
        if not cells.get(target, ("", ""))[1] and cells.get(fallback, ("", ""))[1]:
            cells[target] = cells[fallback]
    return cells


def shopify_outcomes(order: ShopifyOrder, options: Any) -> Iterator[Outcome]:
    """The Order, SkippedOrder or RowErrors of one grouped Shopify order."""
    if order.errors:
        yield from order.errors
        return
    if not order.reference:
        column = order.cells.get("reference", ("Name", ""))[0]
        yield RowError(order.rows, column, "", "an order name (such as #1001) is required")
        return
    reason = skip_reason(order)
    if reason:
        yield SkippedOrder(order.reference, order.rows, reason)
        return
    weight = order_weight(order, options.sku_weights, options.default_weight, options.catalog)
    first_row = (order.items[0].row,)
    # With unknown SKUs the rest is still checked (a stand-in weight): all errors in one pass.
    result = order_from_cells(shopify_cells(order), options, order.rows,
                              error_rows=first_row,
                              weight_oz=Decimal(1) if isinstance(weight, list) else weight,
                              items=[_item_cells(i, order) for i in _to_ship(order)])  # fmt: skip
    if isinstance(weight, list):
        yield from weight + (result if isinstance(result, list) else [])
    elif isinstance(result, list):
        yield from result
    else:
        yield result
