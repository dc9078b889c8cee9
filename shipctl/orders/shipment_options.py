"""Shipment options of an order: from its columns, else the run's flags, checked like every
field (an unknown value is a RowError naming the row, the column and the value)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from shipctl.models import HAZMAT_CLASSES, ShipmentOptions

if TYPE_CHECKING:
    from shipctl.orders.validation import RowReport

FIELDS = ("insurance", "signature", "saturday_delivery", "hazmat", "carrier_account", "return")
SIGNATURES = ("none", "signature", "adult")
TRUE = ("true", "yes", "y", "1", "x")
FALSE = ("false", "no", "n", "0", "")
MAX_INSURANCE = Decimal(100_000)
_AMOUNT = re.compile(r"^\$?\s*([0-9]*\.?[0-9]+)$")
_ACCOUNT = re.compile(r"^ca_[A-Za-z0-9]{1,64}$")


def parse_insurance(text: str) -> Decimal:
    match = _AMOUNT.match(text.replace(",", "").strip())
    try:
        value = Decimal(match.group(1)) if match else None
    except InvalidOperation:
        value = None
    if value is None or not 0 < value <= MAX_INSURANCE:
        raise ValueError("insurance is the declared value in dollars, more than 0 and at "
                         f"most {MAX_INSURANCE:,}, such as 150.00")
    return value.quantize(Decimal("0.01"))


def parse_signature(text: str) -> str:
    value = text.strip().lower()
    if value not in SIGNATURES:
        raise ValueError("a signature is none, signature or adult")
    return value


def parse_hazmat(text: str) -> str:
    value = text.strip().upper().replace(" ", "_").replace("-", "_")
    if value not in HAZMAT_CLASSES:
        raise ValueError(f"hazmat is one of {', '.join(HAZMAT_CLASSES)}")
    return value


def parse_account(text: str) -> str:
    value = text.strip()
    if not _ACCOUNT.match(value):
        raise ValueError("a carrier account is an EasyPost id such as ca_1a2b3c")
    return value


def parse_flag(text: str, name: str) -> bool:
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"{name} is yes or no (true/false, 1/0)")


PARSERS: dict[str, Any] = {
    "insurance": parse_insurance, "signature": parse_signature, "hazmat": parse_hazmat,
    "carrier_account": parse_account,
    "saturday_delivery": lambda text: parse_flag(text, "saturday_delivery"),
    "return": lambda text: parse_flag(text, "return"),
}
MODEL_NAMES = {"return": "is_return"}


def options_of(report: RowReport, defaults: ShipmentOptions | None) -> ShipmentOptions | None:
    """The order's options: each column given overrides the run's flag (`defaults`)."""
    chosen: dict[str, Any] = defaults.model_dump(exclude_defaults=True) if defaults else {}
    for name in FIELDS:
        text = report.value(name)
        if not text:
            continue
        try:
            chosen[MODEL_NAMES.get(name, name)] = PARSERS[name](text)
        except ValueError as error:
            report.add(name, str(error))
    if not chosen:
        return None
    return ShipmentOptions(**chosen)
