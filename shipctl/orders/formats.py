"""Detect the file format and read CSV, JSON or JSON Lines as records: a row number and its values.

Row numbers are what a person finds in the file:
- CSV: the spreadsheet row. The header is row 1 (or the row it sits on after leading blank
  lines) and each record is one row, even when a quoted cell holds line breaks; blank lines
  count as rows (a spreadsheet shows them) but yield nothing.
- JSON: the 1-based position of the order in the top-level array.
- JSON Lines: the line number.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from shipctl.errors import InputError
from shipctl.orders.decoding import text_chunks, text_lines
from shipctl.orders.outcomes import RowError, preview

FORMATS = ("csv", "json", "jsonl")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# An order in a JSON array is a few hundred bytes; anything this big is not an order.
MAX_JSON_ORDER_CHARS = 1 << 20
# Nested JSON deeper than this is not an order field (EasyPost nests two levels).
MAX_JSON_DEPTH = 3


@dataclass(frozen=True, slots=True)
class Record:
    """One order-shaped record: its row number, values keyed by the file's own column names."""

    row: int
    values: dict[str, str]
    errors: tuple[RowError, ...] = ()


Records = Iterator[Record | RowError]


def detect_format(source: Path | str, head: bytes, name: str) -> str:
    """The format from the file extension, else from the first character of the content."""
    if str(source) == "-":
        raise InputError("reading orders from standard input needs a format: csv, json or jsonl")
    by_extension = EXTENSIONS.get(Path(source).suffix.lower())
    if by_extension:
        return by_extension
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return {b"[": "json", b"{": "jsonl"}.get(start, "csv")


def read_table(stream: BinaryIO, fmt: str, name: str) -> tuple[list[str], Records]:
    """The column names (the CSV header, or the first JSON order's keys) and the records."""
    if fmt == "csv":
        return read_csv(stream, name)
    records = read_json(stream, name) if fmt == "json" else read_jsonl(stream, name)
    first = next(records, None)
    if first is None:
        raise InputError(f"{name}: has no orders")
    header = list(first.values) if isinstance(first, Record) else []
    return header, chain([first], records)


def sniff_delimiter(line: str) -> str:
    """The delimiter among , ; tab | that occurs most often outside quotes in the header line."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _column_letter(index: int) -> str:
    """Spreadsheet letters for a 1-based column index: 1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_csv(stream: BinaryIO, name: str) -> tuple[list[str], Records]:
    """The header and a stream of records of a delimited text file."""
    lines = (text for _, text in text_lines(stream, name))
    header_row = 0
    for text in lines:
        header_row += 1
        if text.strip():
            break
    else:
        raise InputError(f"{name}: is empty; it needs a header row and at least one order")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(chain([text], lines), delimiter=delimiter)
    header = [cell.strip() for cell in _next_record(reader, name, header_row) or []]
    return header, _csv_records(reader, header, header_row, delimiter, name)


def _next_record(reader: Iterator[list[str]], name: str, row: int) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            raise InputError(
                f"{name}: row {row}: a cell is larger than {csv.field_size_limit() // 1024} KB "
                "(a quote that is never closed?)"
            ) from None
        raise InputError(f"{name}: row {row}: not valid CSV ({err})") from None


def _csv_records(
    reader: Iterator[list[str]], header: list[str], row: int, delimiter: str, name: str
) -> Records:
    width = len(header)
    seen_order = False
    while (cells := _next_record(reader, name, row + 1)) is not None:
        row += 1
        if not any(cell.strip() for cell in cells):
            continue
        seen_order = True
        unclosed = _unclosed_quote(cells, width, delimiter)
        if unclosed is not None:
            column = header[unclosed] if unclosed < width and header[unclosed] else (
                f"column {_column_letter(unclosed + 1)}")
            opening = cells[unclosed].split("\n", 1)[0]
            yield RowError((row,), column, preview(f'"{opening}'),
                           "a quote opened here is never closed (it takes in the rows after "
                           "it): close it, or remove it")
            continue
        values = {col: cell for col, cell in zip(header, cells, strict=False) if col}
        yield Record(row, values, _extra_cells(cells, width, row, delimiter))
    if not seen_order:
        raise InputError(f"{name}: has a header row but no orders")


def _unclosed_quote(cells: list[str], width: int, delimiter: str) -> int | None:
    """The cell whose opening quote swallowed the rows after it, if one did: a record short of
    cells whose cell holds whole lines of the file (line breaks and delimiters)."""
    if len(cells) >= width:
        return None
    for index, cell in enumerate(cells):
        if "\n" in cell and delimiter in cell.split("\n", 1)[1]:
            return index
    return None


def _extra_cells(cells: list[str], width: int, row: int, delimiter: str) -> tuple[RowError, ...]:
    """Cells past the header are ignored when blank and reported when not: likely a lost quote."""
    for index, cell in enumerate(cells[width:], start=width + 1):
        if cell.strip():
            message = (
                f"this row has {len(cells)} cells but the header has {width}; "
                f"does a value with a {DELIMITERS[delimiter]} in it need quotes?"
            )
            return (RowError((row,), f"column {_column_letter(index)}", preview(cell), message),)
    return ()


def _text(value: object) -> str:
    """A JSON value as the text a CSV cell would hold (numbers were kept as written)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_text(v) for v in value if not isinstance(v, dict | list))
    if isinstance(value, dict):
        return "(nested object)"
    return str(value)


def flatten(obj: dict[str, object], prefix: str = "", depth: int = 0) -> dict[str, str]:
    """Nested objects as dotted keys: {"to_address": {"zip": "1"}} → {"to_address.zip": "1"}."""
    flat: dict[str, str] = {}
    for key, value in obj.items():
        if isinstance(value, dict) and depth < MAX_JSON_DEPTH:
            flat.update(flatten(value, f"{prefix}{key}.", depth + 1))
        elif (isinstance(value, list) and value and depth < MAX_JSON_DEPTH
              and all(isinstance(v, dict) for v in value)):  # line items: items.0.sku
            for i, entry in enumerate(value):
                flat.update(flatten(entry, f"{prefix}{key}.{i}.", depth + 1))
        else:
            flat[f"{prefix}{key}"] = _text(value)
    return flat


def _record(row: int, value: object) -> Record | RowError:
    if isinstance(value, dict):
        return Record(row, flatten(value))
    message = 'an order is a JSON object such as {"reference": "A-1", ...}'
    return RowError((row,), "(order)", preview(_text(value)), message)


def read_jsonl(stream: BinaryIO, name: str) -> Records:
    """One order per line; a line that is not JSON is a row error, blank lines are skipped."""
    decoder = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)
    for number, text in text_lines(stream, name):
        if not text.strip():
            continue
        try:
            value = decoder.decode(text)
        except json.JSONDecodeError as err:
            message = f"not valid JSON: {err.msg} (column {err.colno})"
            yield RowError((number,), "(line)", preview(text), message)
            continue
        except RecursionError:
            yield RowError((number,), "(line)", preview(text), "JSON nested too deeply")
            continue
        yield _record(number, value)


class _JsonCursor:
    """A window over streamed JSON text that knows the line number of its position."""

    def __init__(self, chunks: Iterator[str], name: str) -> None:
        self.chunks, self.name = chunks, name
        self.buffer, self.pos, self.line_base, self.eof = "", 0, 1, False

    def more(self) -> bool:
        """Read another chunk; False at end of file."""
        if self.eof:
            return False
        self.line_base += self.buffer.count("\n", 0, self.pos)
        self.buffer = self.buffer[self.pos :]
        self.pos = 0
        chunk = next(self.chunks, None)
        if chunk is None:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at end of file), without consuming it."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buffer) or not self.more():
                return self.buffer[self.pos : self.pos + 1]

    def line_at(self, pos: int) -> int:
        return self.line_base + self.buffer.count("\n", 0, pos)

    def fail(self, pos: int, what: str) -> InputError:
        return InputError(f"{self.name}: line {self.line_at(pos)}: not valid JSON ({what})")


def _decode_value(cursor: _JsonCursor, decoder: json.JSONDecoder) -> object:
    """The JSON value at the cursor, reading more text until it is complete."""
    while True:
        try:
            value, end = decoder.raw_decode(cursor.buffer, cursor.pos)
        except json.JSONDecodeError as err:
            if len(cursor.buffer) - cursor.pos > MAX_JSON_ORDER_CHARS or not cursor.more():
                raise cursor.fail(err.pos, err.msg) from None
            continue
        except RecursionError:
            raise cursor.fail(cursor.pos, "nested too deeply") from None
        # A number can end exactly at the buffer's end and continue in the next chunk.
        if end == len(cursor.buffer) and cursor.more():
            continue
        cursor.pos = end
        return value


def read_json(stream: BinaryIO, name: str) -> Records:
    """The orders of a top-level JSON array, one at a time, never the whole array in memory."""
    cursor = _JsonCursor(text_chunks(stream, name), name)
    decoder = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)
    if cursor.peek() != "[":
        raise InputError(
            f"{name}: line {cursor.line_at(cursor.pos)}: expected a JSON array of orders "
            "([{...}, {...}]); for one order per line use JSON Lines (--format jsonl)"
        )
    cursor.pos += 1
    index = 0
    if cursor.peek() == "]":
        cursor.pos += 1
    else:
        while True:
            index += 1
            yield _record(index, _decode_value(cursor, decoder))
            separator = cursor.peek()
            cursor.pos += 1
            if separator == "]":
                break
            if separator != ",":
                raise cursor.fail(cursor.pos - 1, "expected , or ] after an order")
            if cursor.peek() == "]":
                raise cursor.fail(cursor.pos, "a comma before the closing ]")
    if cursor.peek():
        raise cursor.fail(cursor.pos, "text after the closing ]")
    if not index:
        raise InputError(f"{name}: has no orders (an empty JSON array)")
