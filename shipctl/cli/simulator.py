"""`shipctl simulator`: serve the offline EasyPost API, or clear its state file."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="An offline EasyPost-compatible API for trials, demos and load tests.",
    no_args_is_help=True,
)


def _duration(text: str) -> float:
    from shipctl.simulator.config import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _rate(text: str) -> float | None:
    from shipctl.simulator.config import parse_rate

    try:
        return parse_rate(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _carriers(text: str) -> tuple[str, ...]:
    from shipctl.simulator.config import parse_carriers

    try:
        return parse_carriers(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--carriers") from None


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 8089,
    latency: Annotated[str, typer.Option(help="Mean latency per request: 150ms, 0.2s, 2.")] = "0",
    jitter: Annotated[float, typer.Option(help="Latency spread as a fraction of the mean.")] = 0.0,
    rate_limit: Annotated[
        str, typer.Option(help="Limit on rating and buying, e.g. 50/s; 'none' for no limit.")
    ] = "none",
    fault_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests given a fault (0..1).")
    ] = 0.0,
    seed: Annotated[int | None, typer.Option(help="Seed for latency and faults.")] = None,
    state: Annotated[
        Path | None, typer.Option(help="SQLite state file shared across runs and processes.")
    ] = None,
    days_per_minute: Annotated[
        float | None,
        typer.Option(min=0.001, help="Fast-forward: simulated days per real minute (60 makes a "
                     "3-day delivery take 3 s). Default: real time."),
    ] = None,
    balance: Annotated[
        float | None, typer.Option(help="Account balance in USD; buys beyond it get 402.")
    ] = None,
    api_key: Annotated[
        list[str] | None,
        typer.Option("--api-key", help="Also accept this API key (repeatable); any EZTK… or "
                     "EZAK… key is accepted, every other key gets 401."),
    ] = None,
    refund_reject_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0,
                            help="Share of refunds the carrier rejects (0..1).")
    ] = 0.0,
    carriers: Annotated[
        str, typer.Option(help="The account's carriers, e.g. USPS,UPS,FedEx (a new test "
                               "account has USPS only).")
    ] = "USPS",
    delivery_dates: Annotated[
        str, typer.Option(help="Rates' delivery_date and new trackers' estimate: 'none' "
                               "(null, as the real API) or 'estimated'.")
    ] = "none",
) -> None:
    """Serve the simulated API until Ctrl-C."""
    latency_s = _duration(latency)
    rate = _rate(rate_limit)
    carrier_names = _carriers(carriers)
    if delivery_dates not in ("none", "estimated"):
        raise typer.BadParameter("use 'none' or 'estimated'", param_hint="--delivery-dates")
    from shipctl.simulator import SimulatorConfig, serve
    from shipctl.simulator.server import new_event_loop

    try:
        config = SimulatorConfig(
            latency=latency_s, jitter=jitter, rate_limit=rate, fault_rate=fault_rate, seed=seed,
            state_path=state, days_per_minute=days_per_minute, balance=balance, host=host,
            port=port, api_keys=tuple(api_key or ()), refund_reject_rate=refund_reject_rate,
            carriers=carrier_names, delivery_dates=delivery_dates,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None

    def ready(api_base: str) -> None:
        typer.echo(f"EasyPost simulator listening on {api_base}")
        typer.echo("Point the SDK or shipctl at it with (any EZTK… key will do):")
        typer.echo(f"  export EASYPOST_API_BASE={api_base} EASYPOST_API_KEY=EZTK-simulator")
        typer.echo("Ledger: " + api_base.removesuffix("/v2") + "/_sim/stats   (Ctrl-C to stop)")
        typer.echo(f"Carrier accounts: {', '.join(carrier_names)}; delivery dates: "
                   f"{delivery_dates}")

    async def serve_until_stopped() -> None:
        # Own handlers for Ctrl-C and `kill`: a process started with SIGINT ignored (a
        # background job, some supervisors) still stops cleanly.
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        await serve(config, on_ready=ready)

    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(serve_until_stopped())
    except (KeyboardInterrupt, asyncio.CancelledError):
        typer.echo("Simulator stopped.")
    except OSError as exc:
        typer.echo(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def reset(
    state: Annotated[Path, typer.Option(help="The state file to clear.")],
) -> None:
    """Clear the simulator's state file: shipments, trackers, ledger and clock."""
    from shipctl.simulator.state import Store

    if not state.exists():
        typer.echo(f"Nothing to clear: {state} does not exist.")
        return
    store = Store(state)
    try:
        store.reset()
    finally:
        store.close()
    typer.echo(f"Cleared simulator state in {state}.")
