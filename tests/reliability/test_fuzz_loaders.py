"""Bad input, fuzzed: the loaders raise nothing but InputError, and name every bad cell."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipctl.errors import InputError
from shipctl.orders import LoadOptions, OrderSource, RowError

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HEADER = ["reference", "name", "street1", "city", "state", "zip", "weight"]
GOOD_ROW = ["SO-1", "Ann Lee", "1 Main St", "Springfield", "IL", "62701", "12oz"]
FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", '=HYPERLINK("http://x")', "\t=1"]
cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from([*FORMULAS, "", " ", '"', "\n", "12oz", "62701"]),
    st.text(min_size=1001, max_size=1500),  # over the 1,000-character mapped-cell limit
)


def load(path: Path, options: LoadOptions | None = None) -> list[object]:
    """Every outcome of the file; InputError is the only exception allowed out."""
    try:
        items: list[object] = list(OrderSource(path, options or LoadOptions()))
    except InputError:
        return []
    for item in items:
        if isinstance(item, RowError):
            assert item.rows and all(row >= 1 for row in item.rows), item
            assert item.column, item
    return items


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(data: bytes, tmp_path: Path) -> None:
    for name in ("orders.csv", "orders.json", "orders.jsonl"):
        path = tmp_path / name
        path.write_bytes(data)
        load(path)


@FUZZ
@given(
    header=st.lists(st.sampled_from([*HEADER, "", "extra", "Reference"]), max_size=9),
    rows=st.lists(st.lists(cells, max_size=9), max_size=6),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_random_csv_shapes(
    header: list[str], rows: list[list[str]], delimiter: str, tmp_path: Path
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "orders.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    load(path)


@FUZZ
@given(
    row=st.fixed_dictionaries({c: cells for c in HEADER}),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252"]),
)
def test_valid_shape_any_cell_any_encoding(
    row: dict[str, str], encoding: str, tmp_path: Path
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerow(GOOD_ROW)
    writer.writerow([row[c] for c in HEADER])
    path = tmp_path / "orders.csv"
    path.write_bytes(out.getvalue().encode(encoding, errors="replace"))
    load(path)


@FUZZ
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_random_json(value: object, tmp_path: Path) -> None:
    import json

    path = tmp_path / "orders.json"
    path.write_text(json.dumps(value))
    load(path)
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps(value) + "\n" + json.dumps({"reference": "x"}) + "\n")
    load(path)


def test_huge_cell_and_line(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(",".join(HEADER) + "\n" + "SO-1," + "x" * 2_000_000 + ",a,b,IL,62701,1\n")
    load(path)


INVALID_FILES: dict[str, Callable[[Path], int]] = {
    "bad-zip": lambda p: p.write_text(
        ",".join(HEADER)
        + "\n"
        + ",".join(GOOD_ROW)
        + "\n"
        + "SO-2,Bo,2 Elm St,Austin,TX,ABCDE,1lb\n"
    ),
    "utf16": lambda p: p.write_bytes(
        (",".join(HEADER) + "\n" + ",".join(GOOD_ROW) + "\n").encode("utf-16")
    ),
    "binary": lambda p: p.write_bytes(bytes(range(256)) * 8),
    "formula-weight": lambda p: p.write_text(
        ",".join(HEADER) + "\n" + "=1+1,Ann,1 Main St,Springfield,IL,62701,=2*8\n"
    ),
}


@pytest.mark.db
@pytest.mark.parametrize("kind", sorted(INVALID_FILES))
def test_invalid_file_buys_nothing_through_the_cli(
    kind: str, shipctl: Callable[..., object], isolated_env: Path
) -> None:
    path = isolated_env / "orders.csv"
    INVALID_FILES[kind](path)
    # A warehouse is configured: bulk refuses to start without one (exit 3), before the file.
    (isolated_env / "shipctl.toml").write_text(
        '[from_address]\nname = "Dock"\nstreet1 = "1 Main St"\ncity = "Ogden"\n'
        'state = "UT"\nzip = "84403"\n'
    )
    result = shipctl("--simulate", "bulk", str(path), "--yes")

    assert result.exit_code == 2, result  # type: ignore[attr-defined]
    assert "Traceback" not in result.stdout + result.stderr  # type: ignore[attr-defined]
    state = isolated_env / "data" / "simulator.sqlite3"
    if state.exists():  # the simulator may never have started: then nothing was bought
        conn = sqlite3.connect(state)
        try:
            assert conn.execute("SELECT count(*) FROM purchases").fetchone() == (0,)
        finally:
            conn.close()
