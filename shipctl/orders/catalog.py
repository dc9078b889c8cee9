"""The product catalog: per SKU (or exact product name) a weight and what customs needs.

`--catalog skus.csv` has the columns `sku, weight, hs_tariff_number, origin_country,
customs_description` (only `sku` is required; a `name` column lets items without a SKU be
matched by their exact product name). `--sku-weights` is the weight-only form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from shipctl.errors import InputError
from shipctl.orders.decoding import open_input
from shipctl.orders.formats import Record, read_csv
from shipctl.orders.geography import country_code
from shipctl.orders.mappings import ColumnMapping, check_header
from shipctl.units import parse_weight

CATALOG_FILE = ColumnMapping(
    "catalog",
    {"sku": ("sku",), "name": ("name", "product", "product name", "title"),
     "weight": ("weight",), "hs_tariff_number": ("hs_tariff_number", "hs code", "hs tariff"),
     "origin_country": ("origin_country", "country of origin"),
     "customs_description": ("customs_description", "description")},
    (("sku", "name"),),
)
_HS_SEPARATORS = re.compile(r"[\s.\-]")


@dataclass(frozen=True, slots=True)
class Product:
    """What the catalog knows of one product."""

    weight_oz: Decimal | None = None
    hs_tariff_number: str | None = None
    origin_country: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Catalog:
    """Products by SKU and by exact name."""

    by_sku: dict[str, Product] = field(default_factory=dict)
    by_name: dict[str, Product] = field(default_factory=dict)

    def find(self, sku: str | None, name: str | None) -> Product | None:
        """The product of a SKU; an item without a SKU by its exact name."""
        if sku:
            return self.by_sku.get(sku)
        return self.by_name.get(name or "")

    def weights(self) -> dict[str, Decimal]:
        return {sku: p.weight_oz for sku, p in self.by_sku.items() if p.weight_oz is not None}

    def merged(self, weights: dict[str, Decimal] | None) -> Catalog:
        """This catalog, with SKU weights (`--sku-weights`) filling weights it lacks."""
        by_sku = dict(self.by_sku)
        for sku, ounces in (weights or {}).items():
            known = by_sku.get(sku)
            if known is None:
                by_sku[sku] = Product(weight_oz=ounces)
            elif known.weight_oz is None:
                by_sku[sku] = replace(known, weight_oz=ounces)
        return Catalog(by_sku, self.by_name)


def normal_hs(text: str) -> str:
    """`6109.10.0012` → `6109100012`: an HS code is its digits."""
    return _HS_SEPARATORS.sub("", text)


def load_catalog(path: Path | str) -> Catalog:
    """The catalog CSV; a bad row is an InputError naming the file and the row."""
    name = str(path)
    _, stream = open_input(path, None, name)
    catalog = Catalog()
    first_rows: dict[str, int] = {}
    with stream:
        header, records = read_csv(stream, name)
        columns = CATALOG_FILE.resolve(header)
        check_header(CATALOG_FILE, columns, header, name)
        for record in records:
            if not isinstance(record, Record):
                continue
            sku, product_name, product = _product(record, columns, name)
            key = sku or f"name:{product_name}"
            if key in first_rows:
                raise InputError(f"{name}: row {record.row}: {sku or product_name!r} is "
                                 f"already on row {first_rows[key]}")  # fmt: skip
            first_rows[key] = record.row
            if sku:
                catalog.by_sku[sku] = product
            if product_name:
                catalog.by_name.setdefault(product_name, product)
    return catalog


def _product(record: Record, columns: dict[str, str], name: str) -> tuple[str, str, Product]:
    def cell(field: str) -> str:
        return record.values.get(columns[field], "").strip() if field in columns else ""

    where = f"{name}: row {record.row}"
    sku, product_name = cell("sku"), cell("name")
    if not (sku or product_name):
        raise InputError(f"{where}: give a sku (or a product name)")
    weight = None
    if cell("weight"):
        try:
            weight = parse_weight(cell("weight"))
        except (ValueError, ArithmeticError) as err:
            raise InputError(f"{where}: weight {cell('weight')!r}: {err}") from None
    hs = normal_hs(cell("hs_tariff_number")) or None
    if hs is not None and not (hs.isdigit() and 6 <= len(hs) <= 10):
        raise InputError(f"{where}: HS tariff number {cell('hs_tariff_number')!r} is not "
                         "6 to 10 digits")  # fmt: skip
    origin = None
    if cell("origin_country"):
        origin = country_code(cell("origin_country"))
        if origin is None:
            raise InputError(f"{where}: origin country {cell('origin_country')!r} is unknown; "
                             "use a two-letter code such as US")  # fmt: skip
    product = Product(weight, hs, origin, cell("customs_description") or None)
    return sku, product_name, product
