"""Every order of a file accounted for: the invalid ones an order at a time, the skipped ones
by reason, and both as rows of the results file (no run stores them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shipctl.jobs.results import COLUMNS, spreadsheet_safe
from shipctl.orders import RowError, SkippedOrder
from shipctl.orders.outcomes import describe_rows

# How many example orders a reason's summary line names.
EXAMPLES = 3


@dataclass(frozen=True)
class InvalidOrder:
    """One order of the file with everything wrong with it (several errors: one order)."""

    reference: str | None
    rows: tuple[int, ...]
    problems: tuple[str, ...]

    @property
    def name(self) -> str:
        """The order as a user finds it: its reference, else its row."""
        return self.reference or describe_rows(self.rows)

    @property
    def reason(self) -> str:
        return "; ".join(self.problems)

    def __str__(self) -> str:
        where = f" ({describe_rows(self.rows)})" if self.reference else ""
        return f"{self.name}{where}: {self.reason}"


def problem(error: RowError) -> str:
    """One error as a clause: `to.zip "ABC": not a ZIP code`."""
    if error.column == "(shipping address)":
        return error.message
    value = f' "{error.value}"' if error.value else ""
    return f"{error.column}{value}: {error.message}"


# An order missing this many required values at once has no shipping address at all.
NO_ADDRESS = 3


def _missing(error: RowError) -> bool:
    return not error.value and error.message.endswith(("is required",
                                                       "is required (two letters, such as CA)"))


def collapse_missing_addresses(errors: Sequence[RowError]) -> list[RowError]:
    """Errors as a user fixes them: an order with no address at all is one error, not five."""
    missing: dict[object, list[RowError]] = {}
    for error in errors:
        if _missing(error) and error.reference:
            missing.setdefault(error.reference, []).append(error)
    empty = {key for key, found in missing.items() if len(found) >= NO_ADDRESS}
    out: list[RowError] = []
    shown: set[object] = set()
    for error in errors:
        if error.reference in empty and _missing(error):
            if error.reference not in shown:
                shown.add(error.reference)
                out.append(RowError(error.rows, "(shipping address)", "",
                                    "no shipping address", error.reference))
            continue
        out.append(error)
    return out


def invalid_orders(errors: Sequence[RowError]) -> list[InvalidOrder]:
    """The errors grouped by order (its reference; an order without one, by its rows)."""
    grouped: dict[object, tuple[str | None, list[int], list[str]]] = {}
    for error in collapse_missing_addresses(errors):
        key: object = error.reference or error.rows
        _, rows, problems = grouped.setdefault(key, (error.reference, [], []))
        rows.extend(r for r in error.rows if r not in rows)
        text = problem(error)
        if text not in problems:
            problems.append(text)
    return [InvalidOrder(ref, tuple(sorted(rows)), tuple(problems))
            for ref, rows, problems in grouped.values()]


def count_orders(errors: Iterable[RowError]) -> int:
    """How many orders these errors fall in."""
    return len({error.reference or error.rows for error in errors})


def skip_kind(reason: str) -> str:
    """A skip reason in a word or two, for counting: `fulfilled`, `cancelled`…"""
    lowered = reason.lower()
    if lowered.startswith("cancelled"):
        return "cancelled"
    if "fulfilled" in lowered:
        return "fulfilled"
    if "gift card" in lowered:
        return "gift cards only"
    return reason


def skipped_by_kind(skipped: Sequence[SkippedOrder]) -> dict[str, list[SkippedOrder]]:
    """The skipped orders by kind, the most common kind first."""
    kinds: dict[str, list[SkippedOrder]] = {}
    for order in skipped:
        kinds.setdefault(skip_kind(order.reason), []).append(order)
    return dict(sorted(kinds.items(), key=lambda item: -len(item[1])))


def skipped_counts(skipped: Sequence[SkippedOrder]) -> str:
    """`16 fulfilled, 2 gift cards only`."""
    return ", ".join(f"{len(orders):,} {kind}" for kind, orders in skipped_by_kind(skipped).items())


def _row(reference: str, status: str, reason: str) -> list[str]:
    values = {"reference": reference, "status": status, "error": reason}
    return [spreadsheet_safe(values.get(column, "")) for column in COLUMNS]


def unshipped_rows(
    invalid: Iterable[InvalidOrder], skipped: Iterable[SkippedOrder]
) -> list[list[str]]:
    """Results-file rows: `invalid` with every problem, `skipped` with its reason."""
    rows = [_row(order.name, "invalid", order.reason) for order in invalid]
    rows += [_row(order.reference, "skipped", order.reason) for order in skipped]
    return rows
