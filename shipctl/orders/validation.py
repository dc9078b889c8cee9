"""Turn one mapped row into an `Order`, or into every `RowError` it has, in plain words."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from shipctl.choices import LabelFormat, RateStrategy
from shipctl.models import Address, CarrierService, Order, Parcel, RateRule
from shipctl.orders import international
from shipctl.orders.address_checks import check_us_geography, is_us_territory
from shipctl.orders.carrier_names import carrier_problems
from shipctl.orders.geography import country_code, us_state_code
from shipctl.orders.outcomes import RowError, preview
from shipctl.orders.shipment_options import options_of
from shipctl.units import OUNCES_PER_UNIT, parse_dimensions, parse_weight

# Field → (column as the file spells it, stripped value).
Cells = dict[str, tuple[str, str]]
Dimensions = tuple[Decimal, Decimal, Decimal]

MAX_CELL_CHARS = 1000
MAX_REFERENCE_CHARS = 100
MAX_WEIGHT_OZ = Decimal(2400)
_US_ZIP = re.compile(r"^\d{5}(-?\d{4})?$")
_NUMBER = re.compile(r"^\$?\s*([0-9]*\.?[0-9]+)$")
_CARRIER_WORD = re.compile(r"^!?[A-Za-z0-9][\w.&-]*(:[\w .&-]+)?$")
_CARRIER_SPLIT = re.compile(r"[;,\s]+")
_LABELS = {"street1": "street address", "zip": "ZIP or postal code"}


def cells_for(values: Mapping[str, str], resolved: Mapping[str, str]) -> Cells:
    """The row's cells for each mapped field, stripped (formula-looking text is just text)."""
    return {field: (col, values.get(col, "").strip()) for field, col in resolved.items()}


class RowReport:
    """The errors found so far in one row (or one grouped order)."""

    def __init__(self, cells: Cells, rows: tuple[int, ...], reference: str | None) -> None:
        self.cells, self.rows, self.reference = cells, rows, reference
        self.errors: list[RowError] = []

    def value(self, field: str) -> str:
        return self.cells.get(field, ("", ""))[1]

    def column(self, field: str) -> str:
        """The file's column for a field; the field's short name when the file has none."""
        return self.cells[field][0] if field in self.cells else field.partition(".")[2] or field

    def add(self, field: str, message: str, value: str | None = None) -> None:
        shown = preview(self.value(field) if value is None else value)
        self.errors.append(RowError(self.rows, self.column(field), shown, message, self.reference))


def order_from_cells(
    cells: Cells,
    options: Any,
    rows: tuple[int, ...],
    *,
    error_rows: tuple[int, ...] | None = None,
    weight_oz: Decimal | None = None,
    items: Sequence[tuple[int, Cells]] = (),
) -> Order | list[RowError]:
    """An Order from a row's cells (`options` is a LoadOptions), or all the row's errors;
    `items` are the cells of its line items, each with its row."""
    reference = cells.get("reference", ("", ""))[1] or None
    report = RowReport(cells, error_rows or rows, reference)
    _check_lengths(report)
    if report.errors:
        return report.errors
    _check_reference(report)
    to_address = address(report, "to", required=True)
    from_address = address(report, "from", required=False) or options.default_from
    parcel = _parcel(report, options, weight_oz)
    choices = _shipping_choices(report)
    choices["options"] = options_of(report, getattr(options, "shipment_options", None))
    if report.errors or to_address is None or parcel is None:
        return report.errors
    order = _assemble(report, to_address, from_address, parcel, choices, rows)
    return international.complete(report, order, options, items)


def _check_lengths(report: RowReport) -> None:
    for field, (_, value) in report.cells.items():
        if len(value) > MAX_CELL_CHARS:
            report.add(field, f"is {len(value):,} characters long; a cell holds at most "
                              f"{MAX_CELL_CHARS:,}")  # fmt: skip


def _check_reference(report: RowReport) -> None:
    reference = report.value("reference")
    if not reference:
        report.add("reference", "an order reference is required")
    elif any(char in reference for char in "\r\n\t\x00"):
        report.add("reference", "a reference is one line of text: this one has a line break "
                                "or tab (a quote left open in the file?)")  # fmt: skip
    elif len(reference) > MAX_REFERENCE_CHARS:
        report.add("reference", f"a reference has at most {MAX_REFERENCE_CHARS} characters "
                                f"(this one has {len(reference)})")  # fmt: skip


def address(report: RowReport, prefix: str, *, required: bool) -> Address | None:
    """The `to` or `from` address of the row; None (with errors added) when it is invalid."""
    parts = {p: report.value(f"{prefix}.{p}") for p in
             ("name", "company", "street1", "street2", "city", "state", "zip", "country",
              "phone", "email")}  # fmt: skip
    if not required and not any(parts.values()):
        return None
    before = len(report.errors)
    parts["country"] = _country(report, prefix, parts["country"])
    parts["zip"] = parts["zip"].removeprefix("'").strip()  # Excel's text marker: '02134
    if not (parts["name"] or parts["company"]):
        field = f"{prefix}.name" if f"{prefix}.name" in report.cells else f"{prefix}.company"
        report.add(field, "a name or a company is required")
    for part in ("street1", "city", "zip"):
        if not parts[part] and (part != "zip" or parts["country"] in ("US", "")):
            report.add(f"{prefix}.{part}", f"a {_LABELS.get(part, part)} is required")
    if parts["country"] == "US":
        parts["state"] = _us_state(report, prefix, parts["state"])
        if parts["zip"] and not _US_ZIP.match(parts["zip"]):
            report.add(f"{prefix}.zip", "a US ZIP has 5 or 9 digits")
    elif parts["country"]:
        international.foreign_address(report, prefix, parts)
    if len(report.errors) == before and (parts["country"] == "US"
                                         or is_us_territory(parts["country"])):
        check_us_geography(report, prefix, parts)
    residential = _residential(report, prefix)
    if len(report.errors) > before:
        return None
    try:
        return Address.model_validate({**{k: v for k, v in parts.items() if v or k == "zip"},
                                       "residential": residential})
    except ValidationError as err:
        _model_errors(report, err, prefix)
        return None


RESIDENTIAL = {"yes": True, "y": True, "true": True, "1": True, "x": True, "residential": True,
               "home": True, "no": False, "n": False, "false": False, "0": False,
               "commercial": False, "business": False}


def _residential(report: RowReport, prefix: str) -> bool | None:
    """The `residential` cell: a home (yes), a business (no), or not known (blank)."""
    text = report.value(f"{prefix}.residential").lower()
    if not text:
        return None
    if text not in RESIDENTIAL:
        report.add(f"{prefix}.residential", "residential is yes (a home), no (a business) or "
                                            "blank (not known)")  # fmt: skip
    return RESIDENTIAL.get(text)


def _country(report: RowReport, prefix: str, text: str) -> str:
    if not text:
        return "US"
    code = country_code(text)
    if code is None:
        report.add(f"{prefix}.country", "unknown country; use a two-letter code such as US or CA")
        return ""
    return code


def _us_state(report: RowReport, prefix: str, text: str) -> str:
    if not text:
        report.add(f"{prefix}.state", "a US state is required (two letters, such as CA)")
        return ""
    code = us_state_code(text)
    if code is None:
        report.add(f"{prefix}.state", "not a US state; use the two-letter code, such as CA")
        return ""
    return code


def _parcel(report: RowReport, options: Any, weight_oz: Decimal | None) -> Parcel | None:
    weight = weight_oz if weight_oz is not None else _weight(report, options.default_weight)
    before = len(report.errors)
    dimensions = _dimensions(report, options)
    if weight is None or len(report.errors) > before:
        return None
    length, width, height = dimensions or (None, None, None)
    package = report.value("predefined_package") or None
    try:
        return Parcel(weight_oz=weight, length=length, width=width, height=height,
                      predefined_package=package)  # fmt: skip
    except ValidationError as err:
        _model_errors(report, err, "")
        return None


def _weight(report: RowReport, default: Decimal | None) -> Decimal | None:
    text = report.value("weight")
    if not text:
        if default is not None:
            return default
        report.add("weight", "a weight is required, such as 12oz or 1.5lb")
        return None
    unit = report.value("weight_unit").lower() or "oz"
    if unit not in OUNCES_PER_UNIT:
        report.add("weight_unit", "a weight unit is oz, lb, g or kg")
        return None
    try:
        ounces = parse_weight(text, default_unit=unit)
    except ValueError as err:
        report.add("weight", str(err))
        return None
    except ArithmeticError:
        report.add("weight", "this weight is not a usable number")
        return None
    if ounces > MAX_WEIGHT_OZ:
        report.add("weight", "a parcel weighs at most 2400 oz (150 lb)")
        return None
    return ounces


def _dimensions(report: RowReport, options: Any) -> Dimensions | None:
    """The parcel's dimensions in inches; None when not given or invalid (errors added)."""
    text = report.value("parcel")
    if text:
        return _parcel_cell(report, options.parcel_presets, text)
    separate = [report.value(f) for f in ("length", "width", "height")]
    if any(separate):
        return _separate_dimensions(report, separate)
    if options.default_parcel:
        return _preset(options.parcel_presets[options.default_parcel])
    return None


def _preset(dimensions: Dimensions) -> Dimensions:
    length, width, height = dimensions
    return Decimal(length), Decimal(width), Decimal(height)


def _parcel_cell(
    report: RowReport, presets: Mapping[str, Dimensions], text: str
) -> Dimensions | None:
    by_name = {name.lower(): dims for name, dims in presets.items()}
    if text.lower() in by_name:
        return _preset(by_name[text.lower()])
    if not any(ch.isdigit() for ch in text):
        known = ", ".join(sorted(presets)) or "none are configured"
        report.add("parcel", f"unknown parcel preset (known presets: {known}); "
                             "or give dimensions such as 10x8x4")  # fmt: skip
        return None
    try:
        return parse_dimensions(text)
    except (ValueError, ArithmeticError) as err:
        message = str(err) if isinstance(err, ValueError) else "these dimensions are not usable"
        report.add("parcel", message)
        return None


def _separate_dimensions(report: RowReport, texts: list[str]) -> Dimensions | None:
    numbers: list[Decimal] = []
    for field, text in zip(("length", "width", "height"), texts, strict=True):
        if not text:
            report.add(field, "give length, width and height together, or none of them")
            continue
        match = _NUMBER.match(text.removesuffix("in").strip())
        if not match or Decimal(match.group(1)) <= 0:
            report.add(field, f"a {field} is a number of inches more than zero")
            continue
        numbers.append(Decimal(match.group(1)))
    if len(numbers) != 3:
        return None
    return numbers[0], numbers[1], numbers[2]


def _shipping_choices(report: RowReport) -> dict[str, Any]:
    """Carrier, service, label format and rate rule of the row, checked."""
    choices: dict[str, Any] = {
        "carrier": report.value("carrier") or None,
        "service": report.value("service") or None,
    }
    label_format = report.value("label_format")
    choices["label_format"] = LabelFormat.parse(label_format) if label_format else None
    if label_format and choices["label_format"] is None:
        report.add("label_format", f"a label format is {LabelFormat.spoken()}")
    if choices["carrier"]:
        for problem in carrier_problems([(choices["carrier"], choices["service"])]):
            report.add("service" if "service" in problem else "carrier", problem)
    choices["rate_rule"] = _rate_rule(report)
    return choices


def _rate_rule(report: RowReport) -> RateRule | None:
    strategy = report.value("rate_rule").lower()
    days, rate = report.value("max_days"), report.value("max_rate")
    if not (strategy or days or rate or report.value("carriers")
            or report.value("residential_carriers")):
        return None
    before = len(report.errors)
    if strategy and RateStrategy.parse(strategy) is None:
        report.add("rate_rule", f"a rate rule is {RateStrategy.spoken()}")
    words = _carrier_cell(report, "carriers")
    homes = _carrier_cell(report, "residential_carriers")
    if days and not (days.isdigit() and len(days) < 4):
        report.add("max_days", "max_days is a whole number of days, such as 3")
    match = _NUMBER.match(rate)
    if rate and not (match and _positive(match.group(1))):
        report.add("max_rate", "max_rate is an amount in dollars more than zero, such as 12.50")
    if len(report.errors) > before or words is None or homes is None:
        return None
    try:
        return RateRule.parse(strategy or "cheapest", words, int(days) if days else None,
                              match.group(1) if match else None, homes)  # fmt: skip
    except (ValidationError, ValueError):
        report.add("rate_rule", "this rate rule is not valid")
        return None


def _carrier_cell(report: RowReport, field: str) -> list[str] | None:
    """The carrier words of a `carriers` cell (`USPS;UPS:Ground;!FedEx`); None (with errors
    added) when one is malformed or names no carrier EasyPost knows."""
    words = [w for w in _CARRIER_SPLIT.split(report.value(field)) if w]
    if any(not _CARRIER_WORD.match(w) for w in words):
        report.add(field, f"{field.replace('_', ' ')} look like USPS;UPS:Ground;!FedEx "
                          "(! excludes one)")  # fmt: skip
        return None
    named = [CarrierService.parse(w.removeprefix("!")) for w in words]
    problems = carrier_problems((c.carrier, c.service) for c in named)
    for problem in problems:
        report.add(field, problem)
    return None if problems else words


def _positive(text: str) -> bool:
    try:
        return Decimal(text) > 0
    except InvalidOperation:
        return False


def _assemble(
    report: RowReport,
    to_address: Address,
    from_address: Address | None,
    parcel: Parcel,
    choices: dict[str, Any],
    rows: tuple[int, ...],
) -> Order | list[RowError]:
    try:
        return Order(reference=report.value("reference"), to_address=to_address,
                     from_address=from_address, parcel=parcel, rows=rows, **choices)  # fmt: skip
    except ValidationError as err:
        _model_errors(report, err, "")
        return report.errors


_PLAIN = {
    "missing": "is required",
    "string_too_short": "is required",
    "string_too_long": "is too long (at most {max_length} characters)",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "greater_than_equal": "must be at least {ge}",
    "literal_error": "must be one of {expected}",
}


def _model_errors(report: RowReport, err: ValidationError, prefix: str) -> None:
    """The model's complaints, on the right column and in plain words (never pydantic's text)."""
    for problem in err.errors(include_url=False):
        message = _plain_message(problem)
        field = _field_of(problem["loc"], prefix, message)
        if ":" in message and field.endswith(message.split(":", 1)[0]):
            message = message.split(":", 1)[1].strip()
        report.add(field, message)


def _plain_message(problem: Any) -> str:
    kind = problem["type"]
    if kind == "value_error":
        return str(problem["msg"]).removeprefix("Value error, ")
    template = _PLAIN.get(kind)
    if template is None:
        return "is not valid"
    try:
        return template.format(**problem.get("ctx", {}))
    except (KeyError, IndexError):
        return "is not valid"


def _field_of(loc: tuple[Any, ...], prefix: str, message: str) -> str:
    """The cells field a pydantic location points at (`to_address.zip` → `to.zip`)."""
    names = [str(part) for part in loc]
    aliases = {"to_address": "to", "from_address": "from", "weight_oz": "weight"}
    names = [aliases.get(n, n) for n in names]
    if not names and ":" in message:
        names = [message.split(":", 1)[0].strip()]
    field = ".".join(names) if names else "name"
    if prefix and not field.startswith(prefix):
        field = f"{prefix}.{field}"
    return field
