"""`shipctl db`: the database shipctl keeps its records in."""

from __future__ import annotations

from typing import Annotated

import typer

from shipctl import eventloop
from shipctl.cli.context import AppContext

app = typer.Typer(help="Start, stop and migrate the database.", no_args_is_help=True)


def _url(context: AppContext) -> str | None:
    return context.settings.database_dsn


@app.command("start")
def start(ctx: typer.Context) -> None:
    """Start the embedded PostgreSQL (commands start it by themselves when needed)."""
    context: AppContext = ctx.obj
    if _url(context):
        context.stdout.print("DATABASE_URL is set: shipctl uses that server, nothing to start.")
        return
    from shipctl.store import embedded

    state = embedded.start(context.settings.data_dir)
    context.stdout.print(f"embedded PostgreSQL running (pid {state.pid}), data in {state.pgdata}")


@app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop the embedded PostgreSQL."""
    context: AppContext = ctx.obj
    from shipctl.store import embedded

    if embedded.stop(context.settings.data_dir):
        context.stdout.print("embedded PostgreSQL stopped")
    else:
        context.stdout.print("embedded PostgreSQL was not running")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Where the database is, whether it runs, and its migrations."""
    context: AppContext = ctx.obj
    from shipctl.store import admin

    state = eventloop.run(admin.status(_url(context), context.settings.data_dir))
    out = context.stdout
    out.print(f"database:   {state.target}")
    if state.pgdata:
        out.print(f"data:       {state.pgdata}")
    if state.restarting:
        out.print("running:    restarting after a crash (the next command waits for it, or "
                  "starts it again)")
        return
    if not state.running:
        out.print("running:    no (the next command starts it)")
        return
    if state.pid:
        out.print(f"pid:        {state.pid}")
    out.print(f"server:     PostgreSQL {state.server_version}")
    out.print(f"migrations: {len(state.applied)} applied, {len(state.pending)} pending")


@app.command("url")
def url(
    ctx: typer.Context,
    show_password: Annotated[bool, typer.Option(
        "--show-password", help="Print DATABASE_URL's password instead of ***.")] = False,
) -> None:
    """Print the connection URL for psql and other tools (DATABASE_URL's password masked)."""
    context: AppContext = ctx.obj
    configured = _url(context)
    if configured:
        from shipctl.store.dsn import parse_dsn

        address = parse_dsn(configured)  # settings have checked that it parses
        shown = address.connect_url() if show_password else address.masked()
        context.stdout.print(shown, soft_wrap=True, markup=False, highlight=False)
        return
    from shipctl.store import embedded

    # The embedded server listens on a Unix socket only and has no password to hide.
    context.stdout.print(
        embedded.start(context.settings.data_dir).url(), soft_wrap=True, markup=False,
        highlight=False,
    )


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    sql: Annotated[bool, typer.Option("--sql", help="Print the pending SQL; run nothing.")] = False,
) -> None:
    """Apply pending migrations (every command also does this on first connect)."""
    context: AppContext = ctx.obj
    from shipctl.store import admin

    if sql:
        text = eventloop.run(admin.pending_sql(_url(context), context.settings.data_dir))
        context.stdout.print(text or "-- nothing pending", markup=False, highlight=False)
        return
    applied = eventloop.run(admin.migrate(_url(context), context.settings.data_dir))
    context.stdout.print(
        "applied: " + ", ".join(applied) if applied else "the database is up to date"
    )
