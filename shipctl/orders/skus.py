"""SKU weights for orders that carry no weight of their own (Shopify's export)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from shipctl.errors import InputError
from shipctl.orders.decoding import open_input
from shipctl.orders.formats import Record, read_csv
from shipctl.orders.mappings import ColumnMapping, check_header
from shipctl.units import parse_weight

SKU_FILE = ColumnMapping(
    "SKU weights", {"sku": ("sku",), "weight": ("weight",)}, (("sku",), ("weight",))
)


def load_sku_weights(path: Path | str) -> dict[str, Decimal]:
    """SKU → ounces from a CSV with `sku` and `weight` columns (`12oz`, `1.5lb`; bare = oz)."""
    name = str(path)
    _, stream = open_input(path, None, name)
    with stream:
        header, records = read_csv(stream, name)
        columns = SKU_FILE.resolve(header)
        check_header(SKU_FILE, columns, header, name)
        weights: dict[str, Decimal] = {}
        first_rows: dict[str, int] = {}
        for record in records:
            if isinstance(record, Record):
                sku, ounces = _sku_weight(record, columns, name)
                if sku in first_rows:
                    raise InputError(f"{name}: row {record.row}: SKU {sku!r} is already on "
                                     f"row {first_rows[sku]}")  # fmt: skip
                weights[sku], first_rows[sku] = ounces, record.row
    return weights


def _sku_weight(record: Record, columns: dict[str, str], name: str) -> tuple[str, Decimal]:
    sku = record.values.get(columns["sku"], "").strip()
    text = record.values.get(columns["weight"], "").strip()
    if not sku:
        raise InputError(f"{name}: row {record.row}: the sku is empty")
    try:
        return sku, parse_weight(text)
    except ValueError as err:
        raise InputError(f"{name}: row {record.row}: weight {text!r}: {err}") from None
    except ArithmeticError:
        raise InputError(f"{name}: row {record.row}: weight {text!r} is not usable") from None
