"""Input messages that point at the fix: where a quote opens, too heavy, one-line references."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shipctl.carrier.rates import exclusion
from shipctl.models import Quote, RateRule
from shipctl.orders import LoadOptions, OrderSource, RowError
from shipctl.units import parse_weight, plural

HEADER = "reference,name,street1,city,state,zip,weight,parcel\n"
GOOD = "A{n},Bo,2 Main St,Austin,TX,78701,12oz,8x6x4\n"


def _errors(tmp_path: Path, text: str) -> list[RowError]:
    path = tmp_path / "orders.csv"
    path.write_text(text)
    return [item for item in OrderSource(path, LoadOptions()) if isinstance(item, RowError)]


def test_an_unclosed_quote_is_reported_where_it_opens(tmp_path: Path) -> None:
    text = (HEADER + GOOD.format(n=1) + 'A2,"Ann Lee,1 Main St,Austin,TX,78701,12oz,8x6x4\n'
            + GOOD.format(n=3) + GOOD.format(n=4))
    [error] = _errors(tmp_path, text)
    assert error.rows == (3,)
    assert error.column == "name"
    assert error.message.startswith("a quote opened here is never closed")
    assert str(error).startswith('row 3 · name · ""Ann Lee,1 Main St')


@pytest.mark.parametrize("text", ["1e5lb", "200lb", "1e999999lb", "100000kg"])
def test_a_huge_weight_is_too_heavy(text: str) -> None:
    with pytest.raises(ValueError, match=r"^too heavy \(max 150 lb, 2,400 oz\)$"):
        parse_weight(text)


def test_a_reference_with_a_line_break_is_invalid(tmp_path: Path) -> None:
    [error] = _errors(tmp_path, HEADER + '"A1\nB",Bo,2 Main St,Austin,TX,78701,12oz,8x6x4\n')
    assert error.column == "reference"
    assert "one line" in error.message


def test_days_are_singular_for_one_and_counts_have_separators() -> None:
    assert plural(1, "day") == "1 day" and plural(2, "day") == "2 days"
    assert plural(10_000, "order") == "10,000 orders"
    quote = Quote(carrier="USPS", service="Priority", rate=Decimal("9.10"), delivery_days=2,
                  rate_id="rate_1")
    rule = RateRule(max_days=1)
    assert exclusion(quote, rule) == "2 days is over the max of 1 day"
