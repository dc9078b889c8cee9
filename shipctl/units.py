"""Weights and dimensions as people write them: `12oz`, `1.5 lb`, `0.7kg`, `10x8x4 in`."""

from __future__ import annotations

import re
from decimal import Decimal

OUNCES_PER_UNIT: dict[str, Decimal] = {
    "oz": Decimal(1),
    "lb": Decimal(16),
    "lbs": Decimal(16),
    "g": Decimal("0.03527396195"),
    "kg": Decimal("35.27396195"),
}
INCHES_PER_UNIT: dict[str, Decimal] = {
    "in": Decimal(1),
    "cm": Decimal("0.3937007874"),
    "mm": Decimal("0.03937007874"),
}
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")
# The heaviest parcel any carrier takes: 150 lb.
MAX_WEIGHT_OZ = Decimal(2400)


def plural(count: int, noun: str) -> str:
    """`1 day`, `3 days`, `1,200 orders`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
_DIMENSIONS = re.compile(
    r"^\s*([0-9]*\.?[0-9]+)\s*[xX×]\s*([0-9]*\.?[0-9]+)\s*[xX×]\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$"
)


def parse_weight(text: str, default_unit: str = "oz") -> Decimal:
    """Ounces in `text` (`12oz`, `1.5 lb`, `0.7kg`, `500g`; a bare number is `default_unit`)."""
    match = _QUANTITY.match(str(text))
    if not match:
        raise ValueError("a weight is a positive number with an optional unit (oz, lb, g, kg)")
    number, unit = match.groups()
    unit = (unit or default_unit).lower()
    if unit not in OUNCES_PER_UNIT:
        raise ValueError(f"unknown weight unit {unit!r} (use oz, lb, g or kg)")
    value = Decimal(number)
    too_heavy = f"too heavy (max {MAX_WEIGHT_OZ / 16:.0f} lb, {MAX_WEIGHT_OZ:,.0f} oz)"
    if value > MAX_WEIGHT_OZ * 100:  # checked before any arithmetic: 1e999999lb is too heavy
        raise ValueError(too_heavy)
    try:
        ounces = (value * OUNCES_PER_UNIT[unit]).quantize(Decimal("0.01"))
    except ArithmeticError:  # a number too long for a weight
        raise ValueError("a weight is a positive number with an optional unit") from None
    if ounces <= 0:
        raise ValueError("a weight must be more than zero")
    if ounces > MAX_WEIGHT_OZ:
        raise ValueError(too_heavy)
    return ounces


def parse_dimensions(text: str) -> tuple[Decimal, Decimal, Decimal]:
    """Length, width and height in inches from `10x8x4`, `10 x 8 x 4 in` or `25x20x10cm`."""
    match = _DIMENSIONS.match(str(text))
    if not match:
        raise ValueError("dimensions are LxWxH with an optional unit (in, cm, mm), e.g. 10x8x4")
    *numbers, unit = match.groups()
    unit = (unit or "in").lower()
    if unit not in INCHES_PER_UNIT:
        raise ValueError(f"unknown length unit {unit!r} (use in, cm or mm)")
    try:
        length, width, height = (
            (Decimal(n) * INCHES_PER_UNIT[unit]).quantize(Decimal("0.01")) for n in numbers
        )
    except ArithmeticError:  # a number too long for a box
        raise ValueError("dimensions are LxWxH in inches, cm or mm, e.g. 10x8x4") from None
    if min(length, width, height) <= 0:
        raise ValueError("every dimension must be more than zero")
    return length, width, height
