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
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$")
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
    try:
        ounces = (Decimal(number) * OUNCES_PER_UNIT[unit]).quantize(Decimal("0.01"))
    except ArithmeticError:  # a number too long for a weight
        raise ValueError("a weight is a positive number with an optional unit") from None
    if ounces <= 0:
        raise ValueError("a weight must be more than zero")
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
