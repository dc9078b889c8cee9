"""International orders: line items, foreign addresses and the rules customs needs.

An order whose label crosses a border (or goes to a US military post office) is declared
to customs item by item, so before anything is bought each such order must have: line
items with a value above zero in one currency, weights that fit the parcel, HS codes of 6 to
10 digits, an AES ITN for a US export of more than $2,500 under one HS code, and a phone
number for the recipient.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shipctl.models import LineItem, Order
from shipctl.orders.catalog import normal_hs
from shipctl.orders.geography import country_code
from shipctl.orders.outcomes import RowError, preview
from shipctl.orders.postcodes import (
    SUBDIVISION_WORDS,
    SUBDIVISIONS,
    normal_postal_code,
    postal_code_problem,
    subdivision_code,
)
from shipctl.units import parse_weight

if TYPE_CHECKING:
    from shipctl.orders.validation import Cells, RowReport

# The value above which a US export under one HS code needs an AES filing (its ITN).
AES_THRESHOLD = Decimal(2500)
ITEM_FIELDS = ("item.name", "item.sku", "item.quantity", "item.value", "item.currency",
               "item.weight", "item.hs_tariff_number", "item.origin_country")
_MONEY = re.compile(r"^[^\d\-]{0,3}\s*(-?[0-9][0-9,]*\.?[0-9]*|-?\.[0-9]+)\s*[A-Za-z]{0,3}$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_ITN = re.compile(r"^X\d{14}$")


def foreign_address(report: RowReport, prefix: str, parts: dict[str, str]) -> None:
    """A non-US address: its postal code and subdivision, per country (`parts` normalised)."""
    country = parts["country"]
    parts["zip"] = normal_postal_code(country, parts["zip"])
    problem = postal_code_problem(country, parts["zip"])
    if problem:
        report.add(f"{prefix}.zip", problem)
    if country in SUBDIVISIONS:
        words = SUBDIVISION_WORDS[country]
        if not parts["state"]:
            report.add(f"{prefix}.state", f"a {words} is required for {country}")
            return
        code = subdivision_code(country, parts["state"])
        if code is None:
            known = ", ".join(SUBDIVISIONS[country])
            report.add(f"{prefix}.state", f"not a {words} of {country} (one of {known})")
        else:
            parts["state"] = code


def has_items(cells: Cells) -> bool:
    """Whether a row describes a line item (a name, SKU, value or HS code)."""
    return any(cells.get(field, ("", ""))[1] for field in
               ("item.name", "item.sku", "item.value", "item.hs_tariff_number"))


def complete(
    report: RowReport, order: Order | list[RowError], options: Any,
    items: Sequence[tuple[int, Cells]],
) -> Order | list[RowError]:
    """The order with its line items (from the catalog where the file is silent) and, when
    it crosses a border, every customs rule checked; or all the errors found."""
    if isinstance(order, list):
        return order
    items = [(row, cells) for row, cells in items if has_items(cells)]
    parsed = [item for row, cells in items if (item := _item(report, row, cells, options))]
    if report.errors:
        return report.errors
    itn = report.value("itn").upper() or None
    if itn and not _ITN.match(itn):
        report.add("itn", "an AES ITN is X followed by 14 digits, such as X20240101123456")
    order = order.model_copy(update={"items": tuple(parsed), "itn": itn})
    if order.needs_customs(options.default_from):
        order = _customs_rules(report, order, options, items)
    return report.errors or order


def _item(report: RowReport, row: int, cells: Cells, options: Any) -> LineItem | None:
    def value(field: str) -> str:
        return cells.get(field, ("", ""))[1]

    def fail(field: str, message: str) -> None:
        column = cells[field][0] if field in cells else field.replace("item.", "item ")
        report.errors.append(RowError((row,), column, preview(value(field)), message,
                                      report.reference))  # fmt: skip

    before = len(report.errors)
    sku = value("item.sku") or None
    name = value("item.name") or sku or ""
    if not name:
        fail("item.name", "a line item needs a name (or a SKU)")
    quantity = value("item.quantity") or "1"
    if not (quantity.isdigit() and 0 < int(quantity) <= 1_000_000):
        fail("item.quantity", "a quantity is a whole number of at least 1")
    price = _money(value("item.value")) if value("item.value") else Decimal(0)
    if price is None:
        fail("item.value", "an item value is the price of one unit, such as 24.50")
    currency = (value("item.currency") or "USD").upper()
    if not _CURRENCY.match(currency):
        fail("item.currency", "a currency is a three-letter code such as USD, CAD or EUR")
    weight = None
    if value("item.weight"):
        try:
            weight = parse_weight(value("item.weight"))
        except (ValueError, ArithmeticError):
            fail("item.weight", "an item weight is such as 8oz or 0.5lb")
    hs = normal_hs(value("item.hs_tariff_number")) or None
    origin = None
    if value("item.origin_country"):
        origin = country_code(value("item.origin_country"))
        if origin is None:
            fail("item.origin_country", "unknown country; use a two-letter code such as US")
    if len(report.errors) > before or price is None:
        return None
    product = options.catalog.find(sku, name) if getattr(options, "catalog", None) else None
    if product is not None:
        weight = weight or product.weight_oz
        hs = hs or product.hs_tariff_number
        origin = origin or product.origin_country
    try:
        return LineItem(name=name, sku=sku, quantity=int(quantity), value=price,
                        currency=currency, weight_oz=weight, hs_tariff_number=hs,
                        origin_country=origin,
                        description=product.description if product else None)  # fmt: skip
    except ValidationError as err:
        fail("item.name", f"this line item is not valid ({err.error_count()} problems)")
        return None


def _money(text: str) -> Decimal | None:
    match = _MONEY.match(text.strip())
    if not match:
        return None
    try:
        return Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        return None


def _customs_rules(
    report: RowReport, order: Order, options: Any, cells: Sequence[tuple[int, Cells]]
) -> Order:
    rows = {id(item): row for item, (row, _) in zip(order.items, cells, strict=False)}
    column = dict(cells[0][1]) if cells else {}

    def fail(field: str, value: str, message: str, item: LineItem | None = None) -> None:
        where = (rows.get(id(item), report.rows[0]),) if item is not None else report.rows
        name = column[field][0] if field in column else field.replace("item.", "item ")
        report.errors.append(RowError(where, name, preview(value), message, report.reference))

    if not order.items:
        report.add("reference", "an international order needs its line items for customs "
                                "(item columns, or `items` in JSON)")  # fmt: skip
        return order
    if not order.to_address.phone:
        phone = getattr(options, "default_phone", None)
        if not phone:
            report.add("to.phone", f"order {order.reference} ships abroad: its recipient "
                       "needs a phone number; add one or set --default-phone")
            return order
        order = order.model_copy(
            update={"to_address": order.to_address.model_copy(update={"phone": phone})})
    currencies = {item.currency for item in order.items}
    if len(currencies) > 1:
        fail("item.currency", ", ".join(sorted(currencies)),
             "the items of one order are in one currency")
    for item in order.items:
        if item.value <= 0:
            fail("item.value", str(item.value), f"customs needs a value above zero "
                 f"({item.currency}) for {item.name}", item)  # fmt: skip
        hs = item.hs_tariff_number
        if hs is not None and not (hs.isdigit() and 6 <= len(hs) <= 10):
            fail("item.hs_tariff_number", hs, "an HS tariff number has 6 to 10 digits", item)
    weighed = [item.weight_oz * item.quantity for item in order.items if item.weight_oz]
    if weighed and sum(weighed) > order.parcel.weight_oz:
        fail("weight", f"{order.parcel.weight_oz}oz", f"the items weigh {sum(weighed)}oz, "
             f"more than the parcel's {order.parcel.weight_oz}oz")  # fmt: skip
    _aes_rule(order, options, fail)
    return order


def _aes_rule(order: Order, options: Any, fail: Any) -> None:
    """A US export of more than $2,500 under one HS code needs an AES filing (its ITN)."""
    origin = order.from_address or options.default_from
    if order.itn or (origin is not None and origin.country != "US"):
        return
    totals: dict[str, Decimal] = {}
    for item in order.items:
        if item.currency == "USD":
            key = item.hs_tariff_number or f"(no HS code) {item.name}"
            totals[key] = totals.get(key, Decimal(0)) + item.total_value
    for hs, total in totals.items():
        if total > AES_THRESHOLD:
            fail("itn", "", f"{order.reference}: ${total:,.2f} under HS {hs} is more than "
                 f"${AES_THRESHOLD:,} and needs an AES ITN (column itn)")  # fmt: skip
