"""What loading yields besides an Order: a row's problem, or an order deliberately skipped."""

from __future__ import annotations

from dataclasses import dataclass

# A RowError keeps at most this much of the offending value, so a 1 MB cell stays readable.
VALUE_PREVIEW = 80


def preview(value: str) -> str:
    """The value as shown in an error: whitespace collapsed, long values cut with an ellipsis."""
    text = " ".join(value.split())
    return text if len(text) <= VALUE_PREVIEW else text[: VALUE_PREVIEW - 1] + "…"


def describe_rows(rows: tuple[int, ...]) -> str:
    """`row 14` or `rows 14, 15, 16`."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    return "rows " + ", ".join(str(r) for r in rows)


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one value of the input, named by row and by the file's own column."""

    rows: tuple[int, ...]
    column: str
    value: str
    message: str
    reference: str | None = None

    def __str__(self) -> str:
        return f'{describe_rows(self.rows)} · {self.column} · "{self.value}" · {self.message}'


@dataclass(frozen=True, slots=True)
class SkippedOrder:
    """An order in the file that needs no label (cancelled, fulfilled, nothing to ship)."""

    reference: str
    rows: tuple[int, ...]
    reason: str

    def __str__(self) -> str:
        return f"{describe_rows(self.rows)} · {self.reference} · skipped: {self.reason}"
