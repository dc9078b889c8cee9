"""Orders in: CSV, JSON and JSON Lines files, column mappings and row-level validation.

    source = OrderSource(Path("orders.csv"), LoadOptions())
    for item in source:          # Order | RowError | SkippedOrder, streamed
        ...

Whole-file problems raise `shipctl.errors.InputError`. See docs/order-template.md.
"""

from shipctl.orders.mappings import MAPPINGS, USER_FIELDS, load_mapping_file
from shipctl.orders.outcomes import RowError, SkippedOrder
from shipctl.orders.skus import load_sku_weights
from shipctl.orders.source import LoadOptions, OrderSource

__all__ = [
    "MAPPINGS",
    "USER_FIELDS",
    "LoadOptions",
    "OrderSource",
    "RowError",
    "SkippedOrder",
    "load_mapping_file",
    "load_sku_weights",
]
