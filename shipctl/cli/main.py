"""The `shipctl` command: global options, sub-commands, and the one place errors are shown."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from typer.core import TyperGroup

from shipctl import __version__
from shipctl.cli import (
    analytics_cmd,
    bulk_cmd,
    config_cmd,
    create_cmd,
    db_cmd,
    demo_cmd,
    manifest_cmd,
    pickup_cmd,
    refund_cmd,
    runs_cmd,
    simulator,
    track_cmd,
)
from shipctl.cli.context import AppContext
from shipctl.cli.verify_flag import VerifyCommand
from shipctl.errors import ExitCode, ShipctlError

HELP = """Bulk shipping labels from the command line, on EasyPost.

Environment: EASYPOST_API_KEY, EASYPOST_API_BASE, DATABASE_URL, and SHIPCTL_<SETTING>
(e.g. SHIPCTL_CONCURRENCY, SHIPCTL_SIMULATE=1). Settings files: ./shipctl.toml, then
$XDG_CONFIG_HOME/shipctl/config.toml.
"""

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich help costs ~0.2 s of imports on every --help
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(db_cmd.app, name="db")
app.command("bulk", rich_help_panel="Shipping", cls=VerifyCommand)(bulk_cmd.bulk)
app.command("create", rich_help_panel="Shipping", cls=VerifyCommand)(create_cmd.create)
app.command("refund", rich_help_panel="Shipping")(refund_cmd.refund)
app.command("track", rich_help_panel="Shipping")(track_cmd.track)
app.add_typer(manifest_cmd.app, name="manifest", rich_help_panel="Shipping")
app.add_typer(pickup_cmd.app, name="pickup", rich_help_panel="Shipping")
app.add_typer(runs_cmd.app, name="runs", rich_help_panel="Shipping")
app.add_typer(analytics_cmd.app, name="analytics", rich_help_panel="Reports")
app.add_typer(demo_cmd.app, name="demo", rich_help_panel="Reports")
app.add_typer(simulator.app, name="simulator")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shipctl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    simulate: Annotated[
        bool | None,
        typer.Option(
            "--simulate/--no-simulate",
            help="Use the built-in EasyPost simulator: labels are not valid postage.",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Settings file to use instead of ./shipctl.toml "
                     "(also SHIPCTL_CONFIG).", show_default=False),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    ctx.obj = AppContext(flags={"simulate": simulate}, config_file=config, debug=debug)


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("SHIPCTL_DEBUG", "") not in ("", "0")


# The shell's code for a process whose reader went away (128 + SIGPIPE), as `yes | head` has.
BROKEN_PIPE = 141


def _quiet_broken_pipe() -> None:
    """`shipctl … | head`: the reader has all it wanted; end without a word."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the final flush at exit must not fail again
    sys.exit(BROKEN_PIPE)


def _from_the_database(error: BaseException) -> bool:
    """An error PostgreSQL raised mid-command (disk full, out of connections, a restart)."""
    return type(error).__module__.startswith("asyncpg")


@functools.cache
def _command() -> TyperGroup:
    """The click command Typer builds from `app`, once a process (a notebook or a test may
    call `run` many times)."""
    from shipctl.cli.helptext import tidy

    command: TyperGroup = tidy(typer.main.get_command(app))
    return command


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app and turn errors into one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    command = _command()
    stderr = AppContext().stderr
    try:
        code = command.main(args=args, prog_name="shipctl", standalone_mode=False)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        _quiet_broken_pipe()
    except ShipctlError as error:
        if _debug_requested(args):
            raise
        for line in error.message.splitlines() or [""]:  # several problems: one line each
            stderr.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
        sys.exit(int(error.exit_code))
    except KeyboardInterrupt:
        stderr.print("[red]interrupted[/]")
        sys.exit(int(ExitCode.INTERRUPTED))
    except typer.Abort:
        stderr.print("[red]aborted[/]")
        sys.exit(int(ExitCode.INTERRUPTED))
    except typer.Exit as done:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_broken_pipe()
        sys.exit(done.exit_code)
    except Exception as error:  # the last line of defence: one line, unless --debug
        if _debug_requested(args) or isinstance(error, SystemExit):
            raise
        if isinstance(error, typer.TyperException):
            show = getattr(error, "show", None)
            if show is not None:
                show()
            else:
                stderr.print(f"[bold red]error:[/] {escape(error.format_message())}")
            sys.exit(error.exit_code)
        if _from_the_database(error):
            stderr.print(
                f"[bold red]error:[/] the database failed: {escape(str(error))}. Every buy "
                "sent is kept by its shipment id: once the database is fixed, rerun the same "
                "command (it finds out what was bought; nothing is bought twice)",
                soft_wrap=True,
            )
            sys.exit(int(ExitCode.DATABASE))
        stderr.print(
            f"[bold red]error:[/] unexpected {type(error).__name__}: {escape(str(error))} "
            "(run with --debug for the traceback)",
            soft_wrap=True,
        )
        sys.exit(int(ExitCode.PARTIAL_FAILURE))
    sys.exit(int(code or 0))
