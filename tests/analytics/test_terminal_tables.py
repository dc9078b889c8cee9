"""`shipctl analytics` on an 80-column terminal: every table fits, no figure or header word is
split, the weekly and carrier sections have bars; a file or a pipe gets every column."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from rich.cells import cell_len

from tests.analytics.conftest import _shipment

pytestmark = pytest.mark.db

MARCH = ("--since", "2026-03-01", "--until", "2026-03-31")
ALL = "overview,carrier,service,day,week,month,route,status,failures"
TERMINAL = {"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "80"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MONEY = re.compile(r"\$[0-9][0-9,.]*")
WHOLE_MONEY = re.compile(r"\$\d{1,3}(,\d{3})*\.\d\d")


async def _add_big_labels(url: str) -> None:
    """Wide figures: a service with a long name and prices in the thousands."""
    conn = await asyncpg.connect(url)
    try:
        rows = [
            _shipment(f"BIG{i}", "purchased", "FedEx", "FEDEX_INTERNATIONAL_PRIORITY",
                      "123456.78", purchased=f"2026-03-{10 + i} 10:00", code=f"TB{i}")
            for i in range(3)
        ]  # fmt: skip
        columns = list(rows[0])
        await conn.executemany(
            f"INSERT INTO shipments ({', '.join(columns)}) "
            f"VALUES ({', '.join(f'${i}' for i in range(1, len(columns) + 1))})",
            [tuple(row.values()) for row in rows],
        )
    finally:
        await conn.close()


@pytest.fixture
def wide_history(history: str) -> str:
    asyncio.run(_add_big_labels(history))
    return history


def _money_values(document: dict[str, Any], sections: list[str]) -> set[str]:
    from shipctl.analytics.sections import SECTIONS

    found: set[str] = set()
    for name in sections:
        money = [f.name for f in SECTIONS[name].fields if f.kind == "money"]
        for row in document["sections"][name]:
            found.update(f"${float(row[m]):,.2f}" for m in money if row[m] is not None)
    return found


def test_80_columns_split_no_figure(wide_history: str, shipctl: Callable[..., Any]) -> None:
    result = shipctl("analytics", *MARCH, "--by", ALL, "--mode", "all", env=TERMINAL)
    assert result.exit_code == 0, result.stderr
    out = ANSI.sub("", result.stdout)
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    # every money value on screen is whole: "$370,410.34", never "$370,41" / "0.34"
    shown = MONEY.findall(out)
    assert shown and all(WHOLE_MONEY.fullmatch(v) for v in shown), shown
    document = json.loads(shipctl("analytics", *MARCH, "--format", "json", "--by", ALL).stdout)
    # the sections with a few columns show every money figure of the JSON report
    assert _money_values(document, ["overview", "day", "week", "month", "route"]) <= set(shown)
    # header words are never cut: each appears whole
    for word in ("labels", "bought", "purchase", "failures", "transit", "median", "period",
                 "category", "service", "carrier"):
        assert re.search(rf"\b{word}\b", out), word
    # the week section has a bar per week and a spend sparkline; the carrier section bars
    week = out[out.index("Labels per week"):out.index("Labels per month")]
    assert week.count("█") > 5 and "spend " in week
    carrier = out[out.index("By carrier"):out.index("By service")]
    assert "█" in carrier and "bars: spend" in carrier
    assert "left out to fit 80 columns" in out  # and it says which columns it left out
    assert "modes: live, test, simulated, demo" in " ".join(out.split())


def test_a_pipe_gets_every_column(wide_history: str, shipctl: Callable[..., Any]) -> None:
    result = shipctl("analytics", *MARCH, "--by", ALL, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "left out" not in out
    assert "FEDEX_INTERNATIONAL_PRIORITY" in out  # names whole, too
    line = next(text for text in out.splitlines() if "FEDEX_INTERNATIONAL_PRIORITY" in text)
    assert "$370,370.34" in line and "$123,456.78" in line  # spend and average on one line
    assert max(len(text) for text in out.splitlines()) > 80
