"""Which column of the file holds which order field: the shipctl template, EasyPost's dotted
headers, Shopify's order export, or a user's own mapping; auto-detected from the header.

Column names are compared case-insensitively, and spaces, `_` and `-` are equivalent.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shipctl.errors import InputError

MAPPINGS = ("shipctl", "easypost", "shopify", "custom")
ADDRESS_PARTS = (
    "name", "company", "street1", "street2", "city", "state", "zip", "country", "phone", "email",
)  # fmt: skip

_ADDRESS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "recipient", "ship to name", "full name"),
    "company": ("company", "company name", "organization"),
    "street1": ("street1", "street 1", "street", "address", "address1", "address 1",
                "address line 1"),
    "street2": ("street2", "street 2", "address2", "address 2", "address line 2", "apt",
                "suite"),
    "city": ("city", "town"),
    "state": ("state", "province", "region", "state code"),
    "zip": ("zip", "zip code", "zipcode", "postal code", "postcode"),
    "country": ("country", "country code"),
    "phone": ("phone", "phone number", "telephone"),
    "email": ("email", "e mail", "email address"),
}  # fmt: skip

# Field → the template's accepted column names; the first is the documented one.
TEMPLATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "order", "order id", "order number", "order no", "order #", "ref"),
    **{f"to.{part}": names for part, names in _ADDRESS_SYNONYMS.items()},
    **{f"from.{part}": (f"from {part}", f"from address.{part}") for part in ADDRESS_PARTS},
    "to.residential": ("residential", "is residential", "residential address"),
    "weight": ("weight",),
    "weight_unit": ("weight unit", "unit"),
    "parcel": ("parcel", "package", "box", "dimensions"),
    "length": ("length",),
    "width": ("width",),
    "height": ("height",),
    "predefined_package": ("predefined package",),
    "carrier": ("carrier",),
    "service": ("service",),
    "label_format": ("label format",),
    "rate_rule": ("rate rule", "rule"),
    "carriers": ("carriers",),
    "residential_carriers": ("residential carriers",),
    "max_days": ("max days",),
    "max_rate": ("max rate",),
    # Line items: one per row; further rows of the same reference add items.
    "item.name": ("item", "item name", "product"),
    "item.sku": ("sku", "item sku"),
    "item.quantity": ("quantity", "qty", "item quantity"),
    "item.value": ("price", "item price", "value", "item value", "unit price"),
    "item.currency": ("currency", "item currency"),
    "item.weight": ("item weight",),
    "item.hs_tariff_number": ("hs tariff number", "hs code", "hs_tariff_number", "tariff code"),
    "item.origin_country": ("origin country", "country of origin"),
    "itn": ("itn", "aes itn"),
    "insurance": ("insurance", "declared value", "insured value"),
    "signature": ("signature", "delivery confirmation"),
    "saturday_delivery": ("saturday delivery", "saturday"),
    "hazmat": ("hazmat",),
    "carrier_account": ("carrier account", "carrier account id"),
    "return": ("return", "is return", "return label"),
}
USER_FIELDS = frozenset(TEMPLATE_COLUMNS)

EASYPOST_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference",),
    **{f"to.{part}": (f"to_address.{part}",) for part in ADDRESS_PARTS},
    **{f"from.{part}": (f"from_address.{part}",) for part in ADDRESS_PARTS},
    "to.residential": ("to_address.residential",),
    "weight": ("parcel.weight",),
    "length": ("parcel.length",),
    "width": ("parcel.width",),
    "height": ("parcel.height",),
    "predefined_package": ("parcel.predefined_package",),
    "label_format": ("options.label_format",),
    "insurance": ("insurance",),
    "saturday_delivery": ("options.saturday_delivery",),
    "hazmat": ("options.hazmat",),
    "return": ("is_return",),
    "carrier": ("carrier",),
    "service": ("service",),
}

SHOPIFY_COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("Name",),
    "to.name": ("Shipping Name",),
    "to.company": ("Shipping Company",),
    "to.street1": ("Shipping Address1",),
    "street": ("Shipping Street",),
    "to.street2": ("Shipping Address2",),
    "to.city": ("Shipping City",),
    "to.zip": ("Shipping Zip",),
    "to.state": ("Shipping Province",),
    "state_name": ("Shipping Province Name",),
    "to.country": ("Shipping Country",),
    "to.phone": ("Shipping Phone",),
    "phone": ("Phone",),
    "to.email": ("Email",),
    "fulfillment_status": ("Fulfillment Status",),
    "cancelled_at": ("Cancelled at",),
    "quantity": ("Lineitem quantity",),
    "item": ("Lineitem name",),
    "sku": ("Lineitem sku",),
    "requires_shipping": ("Lineitem requires shipping",),
    "item_status": ("Lineitem fulfillment status",),
    "price": ("Lineitem price",),
    "currency": ("Currency",),
    "financial_status": ("Financial Status",),
    "shipping_method": ("Shipping Method",),
}

_ADDRESS_NEEDS = (("reference",), ("to.name", "to.company"), ("to.street1",), ("to.city",),
                  ("to.zip",))  # fmt: skip
_SEPARATORS = re.compile(r"[\s_\-]+")


def normalize(column: str) -> str:
    """The comparable form of a column name: `Ship-To_Name ` → `ship to name`."""
    return _SEPARATORS.sub(" ", column.strip().lower()).strip()


@dataclass(frozen=True)
class ColumnMapping:
    """A named mapping: for each field the column names that may hold it, and what is required."""

    name: str
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[tuple[str, ...], ...]

    def resolve(self, header: Iterable[str]) -> dict[str, str]:
        """Field → the column of `header` (as spelled in the file) that holds it."""
        found: dict[str, str] = {}
        for column in header:
            found.setdefault(normalize(column), column)
        resolved: dict[str, str] = {}
        for field, names in self.columns.items():
            for candidate in names:
                if normalize(candidate) in found:
                    resolved[field] = found[normalize(candidate)]
                    break
        return resolved

    def label(self, field: str) -> str:
        """The column name to show for a field the file does not have."""
        return self.columns[field][0] if field in self.columns else field

    def missing(self, resolved: Mapping[str, str]) -> list[str]:
        """Required columns (or groups of alternatives) the header lacks, as labels."""
        return [
            " or ".join(self.label(f) for f in group)
            for group in self.required
            if not any(f in resolved for f in group)
        ]


def template_mapping(weight_required: bool) -> ColumnMapping:
    """shipctl's own template."""
    weight = (("weight",),) if weight_required else ()
    return ColumnMapping("shipctl", TEMPLATE_COLUMNS, _ADDRESS_NEEDS + weight)


def easypost_mapping(weight_required: bool) -> ColumnMapping:
    """EasyPost's dotted headers (`to_address.zip`, `parcel.weight` in ounces…)."""
    weight = (("weight",),) if weight_required else ()
    return ColumnMapping("easypost", EASYPOST_COLUMNS, _ADDRESS_NEEDS + weight)


SHOPIFY = ColumnMapping(
    "shopify",
    SHOPIFY_COLUMNS,
    (("reference",), ("to.street1", "street"), ("to.city",), ("to.zip",), ("quantity",),
     ("sku",), ("requires_shipping",)),
)  # fmt: skip


def custom_mapping(
    user_map: Mapping[str, str], header: list[str], weight_required: bool
) -> ColumnMapping:
    """The template, with the user's field → column choices taking precedence."""
    unknown = sorted(set(user_map) - USER_FIELDS)
    if unknown:
        raise InputError(
            f"unknown field(s) in the column mapping: {', '.join(unknown)}; "
            f"the fields are {', '.join(sorted(USER_FIELDS))}"
        )
    present = {normalize(c) for c in header}
    absent = [f"{col} (for {field})" for field, col in user_map.items()
              if normalize(col) not in present]  # fmt: skip
    if absent:
        raise InputError(
            f"the column mapping names column(s) the file does not have: {', '.join(absent)}; "
            f"found: {_listing(header)}"
        )
    columns = {**TEMPLATE_COLUMNS, **{field: (col,) for field, col in user_map.items()}}
    weight = (("weight",),) if weight_required else ()
    return ColumnMapping("custom", columns, _ADDRESS_NEEDS + weight)


def detect_mapping(header: Iterable[str]) -> str:
    """`shopify`, `easypost` or `shipctl`, judged from the column names."""
    names = {normalize(column) for column in header}
    if {"name", "lineitem quantity", "shipping address1"} <= names:
        return "shopify"
    if any(name.startswith(("to address.", "parcel.")) for name in names):
        return "easypost"
    return "shipctl"


def choose_mapping(
    forced: str | None, user_map: Mapping[str, str], header: list[str], weight_required: bool
) -> ColumnMapping:
    """The mapping the options ask for, else the one the header looks like."""
    name = "custom" if user_map else forced or detect_mapping(header)
    if name == "custom":
        return custom_mapping(user_map, header, weight_required)
    if name == "easypost":
        return easypost_mapping(weight_required)
    if name == "shopify":
        return SHOPIFY
    if name == "shipctl":
        return template_mapping(weight_required)
    raise InputError(f"unknown mapping {name!r}; use one of {', '.join(MAPPINGS)}")


def _listing(header: list[str], limit: int = 15) -> str:
    shown = [repr(c) for c in header[:limit]]
    more = f" and {len(header) - limit} more" if len(header) > limit else ""
    return (", ".join(shown) + more) if shown else "no columns"


def check_header(mapping: ColumnMapping, resolved: Mapping[str, str], header: list[str],
                 name: str) -> None:  # fmt: skip
    """Refuse a header that lacks a required column, listing what is missing and what is there."""
    missing = mapping.missing(resolved)
    if missing:
        raise InputError(
            f"{name}: no column for {', '.join(missing)} (mapping: {mapping.name}); "
            f"found: {_listing(header)}"
        )


def load_mapping_file(path: Path | str) -> dict[str, str]:
    """The `[mapping]` table of a TOML file: shipctl field = "the file's column name"."""
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as err:
        raise InputError(f"{path}: cannot read it ({err.strerror or err})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid TOML ({err})") from None
    table = document.get("mapping")
    if not isinstance(table, dict) or not table:
        raise InputError(f'{path}: needs a [mapping] table such as reference = "Order #"')
    bad = [key for key, value in table.items() if not isinstance(value, str) or not value.strip()]
    if bad:
        raise InputError(f"{path}: mapping values must be column names (text): {', '.join(bad)}")
    return {key: value.strip() for key, value in table.items()}
