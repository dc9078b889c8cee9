"""Helpers for the order-loading tests: write a file, load it, sort what comes out."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shipctl.models import Order
from shipctl.orders import LoadOptions, OrderSource, RowError, SkippedOrder

PRESETS = {
    "small": (Decimal(8), Decimal(6), Decimal(4)),
    "medium": (Decimal(12), Decimal(10), Decimal(6)),
    "large": (Decimal(18), Decimal(14), Decimal(8)),
}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HEADER = "reference,name,street1,city,state,zip,weight"
GOOD = "A-1,Ann Lee,1 Main St,Springfield,IL,62701,12oz"

Item = Order | RowError | SkippedOrder
Load = Callable[..., list[Item]]


def orders(items: list[Item]) -> list[Order]:
    return [i for i in items if isinstance(i, Order)]


def errors(items: list[Item]) -> list[RowError]:
    return [i for i in items if isinstance(i, RowError)]


@pytest.fixture
def load(tmp_path: Path) -> Load:
    """Write `content` (str or bytes) to a file named `name` and load all of it."""

    def _load(content: str | bytes, name: str = "orders.csv", **options: Any) -> list[Item]:
        path = tmp_path / name
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)
        options.setdefault("parcel_presets", PRESETS)
        return list(OrderSource(path, LoadOptions(**options)))

    return _load
