"""Options several commands share: rate rules, concurrency, output files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shipctl.choices import LabelFormat, RateStrategy
from shipctl.errors import InputError

if TYPE_CHECKING:
    from shipctl.cli.context import AppContext
    from shipctl.models import RateRule

Rule = Annotated[
    RateStrategy | None,
    typer.Option("--rule", case_sensitive=False, metavar=RateStrategy.metavar(),
                 show_default=False, rich_help_panel="Rates",
                 help="How to choose among the allowed rates (default: setting "
                 "default_rate_rule, else cheapest)."),
]
Carriers = Annotated[
    list[str] | None,
    typer.Option(
        "--carriers", "-C",
        help="Allow a carrier or CARRIER:SERVICE (repeat); prefix ! to exclude, e.g. '!UPS'.",
        rich_help_panel="Rates",
    ),
]
ResidentialCarriers = Annotated[
    list[str] | None,
    typer.Option(
        "--residential-carriers",
        help="To residential addresses (as the order says, or as --verify finds): allow a "
        "carrier or CARRIER:SERVICE instead of --carriers' list (repeat); ! excludes one "
        "(default: setting residential_carriers).",
        rich_help_panel="Rates",
    ),
]
MaxDays = Annotated[
    int | None,
    typer.Option("--max-days", min=0, help="Only rates delivering within N days.",
                 rich_help_panel="Rates"),
]
MaxRate = Annotated[
    str | None,
    typer.Option("--max-rate", help="Only rates up to this price, e.g. 12.50.",
                 rich_help_panel="Rates"),
]
Concurrency = Annotated[
    int | None,
    typer.Option("--concurrency", "-j", min=1, max=512,
                 help="EasyPost calls in flight (default: 8 per CPU core, SHIPCTL_CONCURRENCY)."),
]
LabelFormatOption = Annotated[
    LabelFormat | None,
    typer.Option("--label-format", case_sensitive=False, metavar=LabelFormat.metavar(),
                 show_default=False,
                 help="Label file format (default: setting label_format, else PDF)."),
]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing output files.")]
Store = Annotated[str | None, typer.Option(
    "--store", help="Store namespace: the same reference in two stores is two orders "
    "(setting `store`; default: default).", show_default=False)]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Buy without asking.")]


def rate_rule(rule: RateStrategy | None, carriers: list[str] | None, max_days: int | None,
              max_rate: str | None, default: str, residential: list[str] | None = None,
              default_residential: tuple[str, ...] = ()) -> RateRule:
    """A RateRule from the options, or a BadParameter naming the option; `residential`
    (`--residential-carriers`) falls back on `default_residential` (the setting)."""
    from pydantic import ValidationError

    from shipctl.models import CarrierService, RateRule

    if max_rate is not None:
        try:
            Decimal(max_rate)
        except InvalidOperation:
            raise typer.BadParameter(
                f"{max_rate!r} is not a price", param_hint="--max-rate"
            ) from None
    homes = list(residential) if residential else list(default_residential)
    homes_hint = ("--residential-carriers" if residential
                  else "setting residential_carriers")
    for word in homes:
        try:
            CarrierService.parse(word.removeprefix("!"))
        except (ValidationError, ValueError) as error:
            raise typer.BadParameter(str(error).splitlines()[0], param_hint=homes_hint) from None
    try:
        parsed = RateRule.parse(rule or default, carriers or [], max_days, max_rate, homes)
    except (ValidationError, ValueError) as error:
        raise typer.BadParameter(str(error).splitlines()[0], param_hint="--carriers") from None
    known_carriers([(c.carrier, c.service) for c in (*parsed.allow, *parsed.deny)], "--carriers")
    known_carriers([(c.carrier, c.service)
                    for c in (*parsed.residential_allow, *parsed.residential_deny)], homes_hint)
    return parsed


def known_carriers(names: list[tuple[str, str | None]], hint: str) -> None:
    """A BadParameter listing the valid names when a carrier or service is unknown."""
    from shipctl.orders.carrier_names import carrier_problems

    problems = carrier_problems(names)
    if problems:
        raise typer.BadParameter(problems[0], param_hint=hint)


def require_confirmation_or_yes(context: AppContext, *, yes: bool, dry_run: bool) -> None:
    """Buying needs a person to confirm at a terminal, or --yes; refuse before any work."""
    if not dry_run and not yes and not context.interactive:
        raise InputError(
            "no terminal to confirm the purchase on: pass --yes to buy, or --dry-run to quote"
        )


def output_path(value: Path | None) -> Path | None:
    return value.expanduser() if value is not None else None


ShipDate = Annotated[str | None, typer.Option(
    "--ship-date", help="Date the labels for this day (EasyPost label_date): today, tomorrow "
    "or YYYY-MM-DD (UTC); a scan form takes labels dated on or after its own day.",
    show_default=False)]


def ship_date(context: AppContext, text: str | None) -> date | None:
    """`--ship-date` as a date (a bad one is one clear line, exit 2); a weekend is warned of."""
    if text is None:
        return None
    from shipctl.shipdates import parse_ship_date, weekend_warning

    day = parse_ship_date(text)
    warning = weekend_warning(day)
    if warning:
        context.notice(f"warning: {warning}")
    return day
