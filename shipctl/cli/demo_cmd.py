"""`shipctl demo`: simulated data to try shipctl on."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from shipctl import eventloop
from shipctl.cli.context import AppContext

app = typer.Typer(help="Simulated data to try shipctl on.", no_args_is_help=True)


@app.command("seed")
def seed(
    ctx: typer.Context,
    shipments: Annotated[int, typer.Option(help="How many shipments to create.")],
    days: Annotated[int, typer.Option(help="Spread over this many days before now.")] = 90,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same history.")] = 2026,
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete a previous demo history first.")
    ] = False,
) -> None:
    """Store a simulated shipping history (mode simulated, references DEMO-0000001…)."""
    from shipctl.analytics.demo import seed_demo

    context: AppContext = ctx.obj
    started = time.monotonic()
    counts = eventloop.run(
        seed_demo(
            context.settings.database_dsn,
            context.settings.data_dir,
            shipments=shipments,
            days=days,
            seed=seed,
            now=context.clock(),
            replace=replace,
        )
    )
    context.stdout.print(
        f"seeded {counts.shipments:,} simulated shipments (run {counts.run_id}): "
        f"{counts.trackers:,} trackers, {counts.events:,} tracking events, "
        f"{counts.refunds:,} refunds in {time.monotonic() - started:.1f} s"
    )
