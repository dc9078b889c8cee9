"""The print room's options, shared by `bulk` and `runs show`: sort, layout, resolution,
packing slips, printing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from shipctl.jobs.printroom import LABEL_DPIS, LAYOUTS, SORT_KEYS, Layout, PrintRoom, SortKey

if TYPE_CHECKING:
    from shipctl.config import Settings

PANEL = "Print room"
Sort = Annotated[str | None, typer.Option(
    "--sort", help="Order of labels, slips and results: " + "|".join(SORT_KEYS)
    + " (default input).", rich_help_panel=PANEL, show_default=False)]
LabelsLayout = Annotated[str | None, typer.Option(
    "--labels-layout", help="4x6 (default), letter-2up or a4-2up: two labels per sheet "
    "for laser printers (PDF).", rich_help_panel=PANEL, show_default=False)]
LabelDpi = Annotated[int | None, typer.Option(
    "--label-dpi", help="Label resolution, 203 or 300, where the carrier allows.",
    rich_help_panel=PANEL, show_default=False)]
PackingSlips = Annotated[Path | None, typer.Option(
    "--packing-slips", help="Write one packing slip per order (PDF), in label order.",
    rich_help_panel=PANEL)]
SlipsWithLabels = Annotated[bool, typer.Option(
    "--slips-with-labels", help="Put each order's slip before its label in the labels PDF.",
    rich_help_panel=PANEL)]
Print = Annotated[bool, typer.Option(
    "--print", help="Send the labels (and slips) to a CUPS printer with lp (ZPL/EPL2 raw).",
    rich_help_panel=PANEL)]
Printer = Annotated[str | None, typer.Option(
    "--printer", help="The CUPS printer for --print (setting `printer`; default: the "
    "system's default printer).", rich_help_panel=PANEL, show_default=False)]


def print_room(
    settings: Settings, *, sort: str | None, layout: str | None, dpi: int | None,
    slips: Path | None, slips_with_labels: bool, print_: bool, printer: str | None,
    labels_out: Path | None, defaults: dict[str, Any] | None = None,
) -> PrintRoom:
    """The PrintRoom the options ask for (a past run's `defaults` fill what is not given),
    or a BadParameter naming the option."""
    from shipctl.jobs.exports import label_file_format

    defaults = defaults or {}
    sort = sort or defaults.get("sort") or "input"
    if sort not in SORT_KEYS:
        raise typer.BadParameter(f"{sort!r}: use {', '.join(SORT_KEYS)}", param_hint="--sort")
    layout = layout or defaults.get("labels_layout") or "4x6"
    if layout not in LAYOUTS:
        raise typer.BadParameter(f"{layout!r}: use {', '.join(LAYOUTS)}",
                                 param_hint="--labels-layout")
    if dpi is not None and dpi not in LABEL_DPIS:
        raise typer.BadParameter(f"{dpi}: use 203 or 300", param_hint="--label-dpi")
    pdf_labels = labels_out is not None and label_file_format(labels_out) == "PDF"
    if layout != "4x6" and labels_out is not None and not pdf_labels:
        raise typer.BadParameter(f"{layout} lays out PDF labels: write --labels-out as .pdf",
                                 param_hint="--labels-layout")
    if slips_with_labels and not pdf_labels:
        raise typer.BadParameter("needs a PDF --labels-out to put the slips in",
                                 param_hint="--slips-with-labels")
    if print_ and labels_out is None and slips is None:
        raise typer.BadParameter("give --labels-out (and/or --packing-slips) to print",
                                 param_hint="--print")
    return PrintRoom(
        sort=cast(SortKey, sort), layout=cast(Layout, layout), dpi=dpi,
        slips_out=slips.expanduser() if slips is not None else None,
        slips_with_labels=slips_with_labels, print_labels=print_,
        printer=printer or settings.printer,
    )
