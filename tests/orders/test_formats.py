"""Reading files: delimiters, BOM, quoting, ragged rows, encodings, JSON, JSON Lines, stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from shipctl.errors import InputError
from shipctl.orders import LoadOptions, OrderSource

from .conftest import GOOD, HEADER, Load, errors, orders

ROW_B = "B-2,Bo Diaz,2 Elm St,Austin,TX,78704,1lb"


def _refuse(load: Load, content: str | bytes, name: str = "orders.csv", **options: object) -> str:
    with pytest.raises(InputError) as caught:
        load(content, name, **options)
    return caught.value.message


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(load: Load, delimiter: str) -> None:
    text = f"{HEADER}\n{GOOD}\n{ROW_B}\n".replace(",", delimiter)
    assert [o.reference for o in orders(load(text))] == ["A-1", "B-2"]


def test_semicolon_file_with_commas_in_values(load: Load) -> None:
    text = ("reference;name;street1;city;state;zip;weight\n"
            "A-1;Lee, Ann;1 Main St;Springfield;IL;62701;0,5lb\n")
    (error,) = errors(load(text))
    assert (error.column, error.value) == ("weight", "0,5lb")


def test_utf8_bom_and_crlf(load: Load) -> None:
    text = f"\ufeff{HEADER}\r\n{GOOD}\r\n".replace("Ann Lee", "Zoë Ærø")
    (order,) = orders(load(text.encode("utf-8")))
    assert order.to_address.name == "Zoë Ærø"


def test_excel_quoting_with_embedded_newlines_counts_records(load: Load) -> None:
    text = (f'{HEADER}\n"A-1","Ann ""Annie"" Lee","1 Main St\nBack door",'
            "Springfield,IL,62701,12oz\nB-2,Bo,2 Elm St,Austin,TX,7870,1lb\n")
    items = load(text)
    (order,) = orders(items)
    assert order.to_address.name == 'Ann "Annie" Lee'
    assert order.to_address.street1 == "1 Main St\nBack door"
    (error,) = errors(items)
    assert error.rows == (3,)  # the third record, although it starts on line 4


def test_blank_lines_count_as_rows_but_yield_nothing(load: Load) -> None:
    items = load(f"{HEADER}\n\n{GOOD}\n,,,,,,\n{ROW_B.replace('78704', '787')}\n")
    assert [o.rows for o in orders(items)] == [(3,)]
    assert [e.rows for e in errors(items)] == [(5,)]


def test_ragged_rows_missing_and_extra_cells(load: Load) -> None:
    text = (f"{HEADER}\nA-1,Ann,1 Main St,Springfield,IL,62701\n"
            f"B-2,Bo,2 Elm St,Austin,TX,78704,1lb,,\n"
            f"C-3,Cy,3 Oak St, Apt 2,Austin,TX,78704,1lb\n")  # fmt: skip
    items = load(text)
    assert [o.reference for o in orders(items)] == ["B-2"]  # trailing empty cells are fine
    assert [(e.rows, e.column, e.value) for e in errors(items)] == [
        ((2,), "weight", ""),
        ((4,), "column H", "1lb"),
        ((4,), "state", "Austin"),  # the unquoted comma shifted every later cell
        ((4,), "zip", "TX"),
        ((4,), "weight", "78704"),
    ]
    assert errors(items)[1].message == (
        "this row has 8 cells but the header has 7; does a value with a comma in it need quotes?"
    )


def test_non_utf8_names_line_and_byte(load: Load) -> None:
    content = f"{HEADER}\n{GOOD}\n".encode() + "B-2,José,2 Elm St,Austin,TX,78704,1lb\n".encode(
        "cp1252"
    )
    message = _refuse(load, content)
    assert message.endswith(
        "orders.csv: line 3, byte offset 100: byte 0xE9 is not UTF-8; "
        "save it as UTF-8 (in Excel: Save As › CSV UTF-8)"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty; it needs a header row and at least one order"),
        (b"\xef\xbb\xbf \n\n", "is empty; it needs a header row and at least one order"),
        (f"{HEADER}\n".encode(), "has a header row but no orders"),
        (f"{HEADER}\n\n,,,\n".encode(), "has a header row but no orders"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file, not CSV or JSON text"),
        (b"PK\x03\x04\x14\x00", "is an Excel workbook or a zip archive, not CSV or JSON text; "
         "in Excel use Save As › CSV UTF-8"),
        (f"{HEADER}\n{GOOD}\n".encode("utf-16"), "is UTF-16 text; save it as UTF-8 (in Excel: "
         "Save As › CSV UTF-8)"),
        (f"{HEADER}\n{GOOD}\n".encode() * 300 + b"A-9,\x00", "line 601, byte offset 27904: a NUL "
         "byte; this is not a text file (save it as UTF-8 (in Excel: Save As › CSV UTF-8))"),
    ],
)
def test_whole_file_problems(load: Load, content: bytes, expected: str) -> None:
    assert _refuse(load, content).endswith(expected)


def test_whole_file_errors_name_the_file(load: Load, tmp_path: Path) -> None:
    assert _refuse(load, b"").startswith(f"{tmp_path / 'orders.csv'}: ")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read it"):
        list(OrderSource(tmp_path / "nope.csv", LoadOptions()))


def test_unclosed_quote_is_an_input_error_not_a_hang(load: Load) -> None:
    text = f'{HEADER}\n{GOOD}\nB-2,"Bo\n' + "more text\n" * 20000
    assert "a cell is larger than 128 KB (a quote that is never closed?)" in _refuse(load, text)


def test_very_long_line_is_refused(load: Load) -> None:
    assert "line 2 is longer than 1 MB" in _refuse(load, f"{HEADER}\n" + "x" * (1 << 21))


def test_stdin_needs_a_format_and_reads_it() -> None:
    data = f"{HEADER}\n{GOOD}\n".encode()
    with pytest.raises(InputError, match="standard input needs a format"):
        list(OrderSource("-", LoadOptions(), stdin=io.BytesIO(data)))
    source = OrderSource("-", LoadOptions(format="csv"), stdin=io.BytesIO(data))
    assert source.mapping == "shipctl"
    assert [o.reference for o in orders(list(source))] == ["A-1"]


def test_stdin_json_lines() -> None:
    line = json.dumps({"reference": "J-1", "name": "Ann", "street1": "1 Main St",
                       "city": "Springfield", "state": "IL", "zip": "62701", "weight": 12})
    source = OrderSource("-", LoadOptions(format="jsonl"), stdin=io.BytesIO(line.encode()))
    (order,) = orders(list(source))
    assert order.parcel.weight_oz == 12


def _json_order(reference: str, **extra: object) -> dict[str, object]:
    return {"reference": reference, "name": "Ann", "street1": "1 Main St", "city": "Springfield",
            "state": "IL", "zip": "62701", "weight": "12oz", **extra}  # fmt: skip


def test_json_array_positions_are_rows(load: Load) -> None:
    data = [_json_order("J-1"), _json_order("J-2", zip="627"), "oops", _json_order("J-4")]
    items = load(json.dumps(data, indent=2), "orders.json")
    assert [o.rows for o in orders(items)] == [(1,), (4,)]
    assert [(e.rows, e.column) for e in errors(items)] == [((2,), "zip"), ((3,), "(order)")]


def test_json_big_array_streams_across_chunks(load: Load) -> None:
    data = [_json_order(f"J-{i}", name="Ann " + "ö" * (i % 50)) for i in range(3000)]
    items = load(json.dumps(data), "orders.json")  # one long line, many 64 KB chunks
    assert len(orders(items)) == 3000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[\n  {"reference": "J-1",\n   "name": "Ann" "x"}\n]',
         "line 3: not valid JSON (Expecting ',' delimiter)"),
        ("[\n{}\n,\n]", "line 4: not valid JSON (a comma before the closing ])"),
        ('[{"reference": "J-1"}', "line 1: not valid JSON (expected , or ] after an order)"),
        ('[{"reference": "J-1"}] x', "line 1: not valid JSON (text after the closing ])"),
        ('{"reference": "J-1"}', "line 1: expected a JSON array of orders ([{...}, {...}]); "
         "for one order per line use JSON Lines (--format jsonl)"),
        ("[]", "has no orders (an empty JSON array)"),
        ("[" * 100000, "not valid JSON (nested too deeply)"),
    ],
)
def test_json_errors_name_the_line(load: Load, text: str, expected: str) -> None:
    assert _refuse(load, text, "orders.json").endswith(expected)


def test_jsonl_bad_line_is_a_row_error(load: Load) -> None:
    lines = [json.dumps(_json_order("L-1")), "", '{"reference": "L-3", oops}', "[1, 2]",
             json.dumps(_json_order("L-5"))]  # fmt: skip
    items = load("\n".join(lines) + "\n", "orders.jsonl")
    assert [o.rows for o in orders(items)] == [(1,), (5,)]
    assert [(e.rows, e.column, e.message) for e in errors(items)] == [
        ((3,), "(line)", "not valid JSON: Expecting property name enclosed in double quotes "
         "(column 22)"),
        ((4,), "(order)", 'an order is a JSON object such as {"reference": "A-1", ...}'),
    ]


def test_format_sniffed_without_extension(load: Load) -> None:
    assert len(orders(load(json.dumps([_json_order("J-1")]), "orders.dat"))) == 1
    assert len(orders(load(json.dumps(_json_order("J-1")), "orders.dat"))) == 1
    assert len(orders(load(f"{HEADER}\n{GOOD}\n", "orders.dat"))) == 1


def test_unknown_format_option() -> None:
    with pytest.raises(InputError, match="unknown format 'xlsx'"):
        OrderSource("x.csv", LoadOptions(format="xlsx"))
