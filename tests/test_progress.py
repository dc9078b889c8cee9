"""The one progress display, as the bulk job and the tracking sweep drive it."""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console

from shipctl.carrier.executor import ExecutorStats
from shipctl.cli.progress import OrderProgress, TrackingProgress
from shipctl.jobs.orderflow import Outcome
from shipctl.models import Address, Order, OrderState, Parcel, PurchasedLabel
from shipctl.store.shipments import StoredOrder


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _outcome(reference: str, state: OrderState, rate: str | None = None) -> Outcome:
    order = Order(reference=reference, parcel=Parcel(weight_oz=Decimal(8)),
                  to_address=Address(name="Ada", street1="1 Main St", city="Austin", state="TX",
                                     zip="78701"))
    stored = StoredOrder(id=1, reference=reference, run_id=1, state=state, mode="test",
                         position=0, order=order)
    label = None if rate is None else PurchasedLabel(
        shipment_id="shp_1", tracking_code="EZ1", carrier="USPS", service="Priority",
        rate=Decimal(rate), label_url="https://labels.invalid/1.pdf")
    return Outcome(stored=stored, state=state, label=label)


def test_tracking_lines_off_a_terminal() -> None:
    out, clock = io.StringIO(), FakeClock()
    with TrackingProgress(Console(file=out, width=200), live=False, clock=clock) as progress:
        progress.begin(200)
        clock.now += 10
        progress.advance(100, 0)
        progress.advance(98, 2)  # within LOG_EVERY of the last line: not logged
        clock.now += 10
    assert out.getvalue().splitlines() == [
        "track: 100/200 checked=100 failed=0 rate=10.0/s",
        "track: 200/200 checked=198 failed=2 rate=10.0/s done",
    ]


def test_tracking_quiet_prints_nothing() -> None:
    out = io.StringIO()
    with TrackingProgress(Console(file=out), live=True, quiet=True, log_every=0.0) as progress:
        progress.begin(10)
        progress.advance(10, 0)
    assert out.getvalue() == ""


def test_tracking_bar_on_a_terminal() -> None:
    out = io.StringIO()
    with TrackingProgress(Console(file=out, force_terminal=True, width=120),
                          live=True) as progress:
        progress.begin(100)
        progress.advance(99, 1)
    shown = out.getvalue()
    assert "100/100" in shown and "1 failed" in shown
    assert "track:" not in shown  # a bar, not log lines


def test_order_phases_off_a_terminal() -> None:
    out, clock = io.StringIO(), FakeClock()
    stats = ExecutorStats(window=6)
    with OrderProgress(Console(file=out, width=200), live=False, log_every=0.0,
                       clock=clock) as progress:
        progress.phase("quoting", 2, None)
        clock.now += 1
        progress.advance(None)
        progress.advance(_outcome("R2", OrderState.FAILED))
        progress.phase("buying", 1, lambda: stats)
        clock.now += 2
        progress.advance(_outcome("R1", OrderState.PURCHASED, "7.25"))
    assert out.getvalue().splitlines() == [
        "quoting: 1/2 purchased=0 failed=0 spend=$0.00 rate=1.0/s",
        "quoting: 2/2 purchased=0 failed=1 spend=$0.00 rate=2.0/s",
        "quoting: 2/2 purchased=0 failed=1 spend=$0.00 rate=2.0/s done",
        "buying: 1/1 purchased=1 failed=1 spend=$7.25 rate=0.5/s window=6",
        "buying: 1/1 purchased=1 failed=1 spend=$7.25 rate=0.5/s window=6 done",
    ]
    assert (progress.purchased, progress.failed, progress.spend) == (1, 1, Decimal("7.25"))


def test_order_bar_pauses_for_a_question() -> None:
    out = io.StringIO()
    progress = OrderProgress(Console(file=out, force_terminal=True, width=160), live=True)
    progress.phase("quoting", 1, None)
    progress.advance(_outcome("R1", OrderState.PURCHASED, "5.00"))
    progress.pause()
    drawn = out.getvalue()
    assert "1/1" in drawn and "1 bought" in drawn and "$5.00" in drawn
    progress.close()
    assert out.getvalue() == drawn  # stopped: nothing more drawn, no log line
