"""`bulk --verify` on screen: what verification changed, and what it cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from shipctl.cli.context import AppContext
from shipctl.cli.tables import print_table

if TYPE_CHECKING:
    from shipctl.jobs.verify import VerifyReport

MAX_SHOWN = 200


def show_verification(context: AppContext, found: VerifyReport | None) -> None:
    """The corrections table (row, order, field, original → corrected) and the counts."""
    if found is None:
        return
    out = context.stdout
    if found.corrections:
        title = ("Corrected by verification (shipping to the corrected addresses)"
                 if found.accepted else
                 "Verification suggests corrections (originals kept; --accept-corrections "
                 "ships to the corrected ones)")
        table = Table(title=title, title_justify="left", title_style="yellow")
        for column in ("row", "order", "field", "original", "corrected"):
            table.add_column(column, overflow="fold")
        for fix in found.corrections[:MAX_SHOWN]:
            table.add_row(",".join(str(r) for r in fix.rows), escape(fix.reference), fix.field,
                          escape(fix.original), f"→ {escape(fix.corrected)}")
        print_table(out, table)
        shown = min(len(found.corrections), MAX_SHOWN)
        if found.correction_count > shown:
            out.print(f"… and {found.correction_count - shown} more (see --results-out)")
    stored = found.addresses - found.calls
    out.print(f"verified {found.addresses} addresses ({found.calls} asked of EasyPost, "
              f"{stored} already known); {found.undeliverable_count} undeliverable"
              + (f", {found.unverified} without an answer (shipped as written)"
                 if found.unverified else ""))


def show_residential(context: AppContext, by_carrier: dict[str, int]) -> None:
    """Quoted orders to residential addresses (UPS and FedEx charge a surcharge for them)."""
    if by_carrier:
        parts = ", ".join(f"{escape(c)} {n}" for c, n in sorted(by_carrier.items()))
        total = sum(by_carrier.values())
        context.stdout.print(f"{total} to residential addresses ({parts}); UPS and FedEx add "
                             "a residential surcharge")
