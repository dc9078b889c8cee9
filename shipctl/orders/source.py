"""OrderSource: stream the orders of one file (or stdin) as Order, RowError or SkippedOrder."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from shipctl.errors import InputError
from shipctl.models import Address, Order, ShipmentOptions
from shipctl.orders.catalog import Catalog
from shipctl.orders.decoding import open_input
from shipctl.orders.formats import FORMATS, Record, Records, detect_format, read_table
from shipctl.orders.lineitems import item_groups
from shipctl.orders.mappings import MAPPINGS, ColumnMapping, check_header, choose_mapping
from shipctl.orders.outcomes import RowError, SkippedOrder, describe_rows
from shipctl.orders.shopify import ShopifyOrder, group_orders, shopify_outcomes
from shipctl.orders.validation import cells_for, order_from_cells

Outcome = Order | RowError | SkippedOrder
# JSON orders may differ in keys; a file with more distinct key sets than this is not cached.
MAX_CACHED_KEY_SETS = 256


@dataclass(frozen=True)
class LoadOptions:
    """How to read an orders file; every field has a sensible default."""

    format: str | None = None
    mapping: str | None = None
    user_map: Mapping[str, str] = field(default_factory=dict)
    sku_weights: dict[str, Decimal] | None = None
    default_weight: Decimal | None = None
    parcel_presets: Mapping[str, tuple[Decimal, Decimal, Decimal]] = field(default_factory=dict)
    default_parcel: str | None = None
    default_from: Address | None = None
    # Per SKU (or product name): weight, HS code, origin, customs description.
    catalog: Catalog | None = None
    # The phone of international recipients whose order gives none.
    default_phone: str | None = None
    shipment_options: ShipmentOptions | None = None  # the run's flags; columns override

    def check(self) -> None:
        """Refuse options that cannot work, before any byte is read."""
        if self.format is not None and self.format not in FORMATS:
            raise InputError(f"unknown format {self.format!r}; use csv, json or jsonl")
        if self.mapping is not None and self.mapping not in MAPPINGS:
            raise InputError(f"unknown mapping {self.mapping!r}; use {', '.join(MAPPINGS)}")
        if self.default_parcel and self.default_parcel not in self.parcel_presets:
            known = ", ".join(sorted(self.parcel_presets)) or "none are configured"
            raise InputError(f"unknown default parcel {self.default_parcel!r} (known: {known})")


class _References:
    """References seen so far, to refuse a second order with the same one."""

    def __init__(self) -> None:
        self._first_rows: dict[str, tuple[int, ...]] = {}

    def claim(self, reference: str, rows: tuple[int, ...], column: str) -> RowError | None:
        if not reference:
            return None
        first = self._first_rows.setdefault(reference, rows)
        if first is rows:
            return None
        message = f"the reference is already used on {describe_rows(first)}"
        return RowError(rows, column, reference, message, reference)


class OrderSource:
    """The orders of a file or of stdin (`-`), streamed; iterate once.

    The header is read on first use of `mapping` or on iteration; the file is closed when
    iteration ends (or by `close()`).
    """

    def __init__(
        self, source: Path | str, options: LoadOptions, stdin: BinaryIO | None = None
    ) -> None:
        options.check()
        self.source, self.options, self._stdin = source, options, stdin
        self.name = "standard input" if str(source) == "-" else str(source)
        self._stream: BinaryIO | None = None
        self._opened: tuple[ColumnMapping, dict[str, str], Records] | None = None
        self._key_sets: dict[frozenset[str], dict[str, str]] = {}
        self._format = options.format

    @property
    def mapping(self) -> str:
        """The name of the mapping in use: shipctl, easypost, shopify or custom."""
        return self._open()[0].name

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()

    def __enter__(self) -> OrderSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> tuple[ColumnMapping, dict[str, str], Records]:
        if self._opened is None:
            if str(self.source) == "-" and self.options.format is None:
                raise InputError("reading orders from standard input needs a format: "
                                 "csv, json or jsonl")  # fmt: skip
            head, self._stream = open_input(self.source, self._stdin, self.name)
            try:
                self._opened = self._read_header(head, self._stream)
            except BaseException:
                self.close()
                raise
        return self._opened

    def _read_header(
        self, head: bytes, stream: BinaryIO
    ) -> tuple[ColumnMapping, dict[str, str], Records]:
        fmt = self.options.format or detect_format(self.source, head, self.name)
        self._format = fmt
        header, records = read_table(stream, fmt, self.name)
        weight_required = self.options.default_weight is None
        mapping = choose_mapping(self.options.mapping, self.options.user_map, header,
                                 weight_required)  # fmt: skip
        resolved = mapping.resolve(header)
        if fmt == "csv":  # JSON orders may leave keys out; their gaps are row errors
            check_header(mapping, resolved, header, self.name)
        return mapping, resolved, records

    def __iter__(self) -> Iterator[Outcome]:
        try:
            mapping, resolved, records = self._open()
            references = _References()
            if mapping.name == "shopify":
                yield from self._shopify(records, resolved, references)
            else:
                yield from self._plain(records, mapping, resolved, references)
        finally:
            self.close()

    def _fields(self, record: Record, mapping: ColumnMapping,
                resolved: dict[str, str]) -> dict[str, str]:  # fmt: skip
        """CSV rows share the header's columns; each JSON order may have its own keys."""
        if self._format == "csv":
            return resolved
        keys = frozenset(record.values)
        found = self._key_sets.get(keys)
        if found is None:
            found = mapping.resolve(record.values)
            if len(self._key_sets) < MAX_CACHED_KEY_SETS:
                self._key_sets[keys] = found
        return found

    def _plain(self, records: Records, mapping: ColumnMapping, resolved: dict[str, str],
               references: _References) -> Iterator[Outcome]:  # fmt: skip
        cells_of = (lambda r: cells_for(r.values, self._fields(r, mapping, resolved)))  # noqa: E731
        for group in item_groups(records, cells_of):
            if isinstance(group, RowError):
                yield group
                continue
            yield from group.errors
            cells, rows = group.cells, group.rows
            column, reference = cells.get("reference", ("reference", ""))
            duplicate = references.claim(reference, rows, column)
            if duplicate:
                yield duplicate
                continue
            result = order_from_cells(cells, self.options, rows, items=group.items)
            yield from result if isinstance(result, list) else (result,)

    def _shopify(self, records: Records, resolved: dict[str, str],
                 references: _References) -> Iterator[Outcome]:  # fmt: skip
        for group in group_orders(records, resolved):
            if isinstance(group, ShopifyOrder):
                column = group.cells.get("reference", ("Name", ""))[0]
                duplicate = references.claim(group.reference, group.rows, column)
                if duplicate:
                    yield duplicate
                    continue
                yield from shopify_outcomes(group, self.options)
            else:
                yield group
