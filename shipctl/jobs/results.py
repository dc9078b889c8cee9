"""The results file of a run: one row per order, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from shipctl.store.shipments import StoredOrder

COLUMNS = (
    "reference", "status", "carrier", "service", "rate", "currency", "delivery_days",
    "tracking_code", "label_url", "shipment_id", "error",
    # Appended (`bulk --verify`), so readers of the columns above keep working.
    "verification", "verified_address", "residential",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading `=`, `+`, `-` or `@` gets a `'`."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def result_row(order: StoredOrder, status: str | None = None) -> list[str]:
    error = f"{order.error_code}: {order.error_message}" if order.error_code else ""
    values = (
        order.reference, status or order.state.value, order.carrier, order.service,
        order.rate, order.currency, order.delivery_days, order.tracking_code, order.label_url,
        order.shipment_id, error, order.verification, order.verified_address,
        "" if order.residential is None else str(order.residential).lower(),
    )
    return [spreadsheet_safe(v) for v in values]


def results_csv(rows: Iterable[list[str]], *, columns: Iterable[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
