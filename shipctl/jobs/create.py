"""`shipctl create`: quote one order, show the rates, and buy the chosen one.

The buy goes through the same state machine as bulk (`OrderFlow`): the order is recorded
pending, its shipment id is committed before the buy, and the label lands in PostgreSQL
before the file is written. A dry run only quotes and records nothing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipctl.errors import ConfigError, InputError, OutcomeUnknownError, ShipctlError
from shipctl.files import write_atomically
from shipctl.models import (
    Address,
    Order,
    OrderState,
    PurchasedLabel,
    Quote,
    QuotedShipment,
    RateRule,
)

if TYPE_CHECKING:
    from shipctl.carrier.rates import RateVerdict
    from shipctl.carrier.session import CarrierFactory, CarrierSession
    from shipctl.config import Settings
    from shipctl.jobs.orderflow import OrderFlow, Outcome
    from shipctl.store.database import Pool
    from shipctl.store.shipments import StoredOrder


class AlreadyPurchasedError(InputError):
    """This reference already has a label."""


class DeclinedError(ShipctlError):
    """Nothing was bought."""


@dataclass(frozen=True)
class RatesView:
    """What the user sees before deciding to buy."""

    order: Order
    shipment: QuotedShipment
    verdicts: list[RateVerdict]
    chosen: Quote | None
    mode: str


@dataclass(frozen=True)
class CreateResult:
    """The outcome of `create`: the rates, and the label when one was bought."""

    rates: RatesView
    label: PurchasedLabel | None = None
    label_path: Path | None = None
    run_id: int | None = None
    # Set when an earlier `create` of the same order, under this reference, had no known
    # outcome (its answer lost, or the process stopped): this run resumed it.
    resumed: str | None = None


Confirm = Callable[[RatesView], bool]


def default_label_path(reference: str, label_format: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", reference).strip("._") or "label"
    return Path(f"{safe}.{label_format.lower()}")


def resolve_from_address(order: Order, settings: Settings) -> Address:
    address = order.from_address or settings.from_address
    if address is None:
        raise ConfigError(
            "no from-address: give --from-street1 … or set [from_address] in shipctl.toml"
        )
    return address


async def create_label(
    settings: Settings,
    order: Order,
    *,
    rule: RateRule,
    confirm: Confirm,
    label_format: str | None = None,
    label_out: Path | None = None,
    force: bool = False,
    verify: str = "off",
    dry_run: bool = False,
    rebuy: bool = False,
    concurrency: int | None = None,
    carriers: CarrierFactory,
    ship_date: date | None = None,
    reference_given: bool = True,
) -> CreateResult:
    """Quote `order`, let `confirm` see the rates, buy, and write the label file.

    `verify` (`on`, or `strict` for EasyPost's verify_strict) has EasyPost verify the
    destination first and ships to the address as it standardised it; `off` does not.

    Without a reference of the caller's (`reference_given` False), an earlier `create` of the
    same order whose outcome is unknown is resumed rather than bought again: rerunning the
    same command after a lost answer never buys a second label."""
    fmt = (order.label_format or label_format or settings.label_format).upper()
    from_address = resolve_from_address(order, settings)
    order = order.model_copy(update={"from_address": from_address})
    path = label_out or default_label_path(order.reference, fmt)
    if not dry_run and path.exists() and not force:
        raise InputError(f"{path} exists: choose another --label-out or pass --force")
    async with carriers(settings, concurrency=concurrency or 2) as carrier:
        if verify != "off":
            from shipctl.carrier.addresses import verify_address

            verified = await verify_address(carrier.executor, order.to_address,
                                            strict=verify == "strict")
            order = order.model_copy(update={"to_address": verified})
        if dry_run:
            return CreateResult(rates=await _quote_only(carrier, order, rule, fmt, settings,
                                                        ship_date))
        return await _buy(settings, carrier, order, rule, confirm, fmt, path, force, rebuy,
                          ship_date, resume=not reference_given and label_out is None)


async def _quote_only(
    carrier: CarrierSession, order: Order, rule: RateRule, fmt: str, settings: Settings,
    ship_date: date | None = None,
) -> RatesView:
    from shipctl.carrier.options import LabelSetup
    from shipctl.carrier.shipments import create_shipment

    assert order.from_address is not None
    shipment = await create_shipment(carrier.executor, order, order.from_address,
                                     label_format=fmt, label=LabelSetup.of(settings),
                                     label_date=ship_date)
    return rates_view(carrier, order, shipment, rule)


def rates_view(
    carrier: CarrierSession, order: Order, shipment: QuotedShipment, rule: RateRule
) -> RatesView:
    from shipctl.carrier.rates import explain_rates

    verdicts = explain_rates(shipment, order.rate_rule or rule, carrier=order.carrier,
                             service=order.service, residential=order.to_address.residential)
    chosen = next((v.quote for v in verdicts if v.chosen), None)
    return RatesView(order=order, shipment=shipment, verdicts=verdicts, chosen=chosen,
                     mode=carrier.mode)


async def _buy(
    settings: Settings, carrier: CarrierSession, order: Order, rule: RateRule,
    confirm: Confirm, fmt: str, path: Path, force: bool, rebuy: bool,
    ship_date: date | None = None, *, resume: bool = False,
) -> CreateResult:
    from shipctl.jobs.runtime import open_database, recorded_run
    from shipctl.store import shipments as store
    from shipctl.store.claims import order_claim

    scope = store.Scope(mode=carrier.mode, store=settings.store, label_format=fmt)
    async with (
        open_database(settings, pool_size=3) as pool,
        recorded_run(pool, "create", {"rule": rule.describe(), "label_format": fmt},
                     mode=carrier.mode, store=scope.store) as run,
    ):
        earlier = await store.unsettled_create(pool, order, scope=scope) \
            if resume and not rebuy else None
        if earlier is not None:
            order = order.model_copy(update={"reference": earlier.reference})
            path = default_label_path(earlier.reference, fmt)
            if path.exists() and not force:
                raise InputError(f"{path} exists: choose another --label-out or pass --force")
        async with order_claim(pool) as claim:
            # Claimed before it is written: a bulk run buying this reference now keeps it.
            for row in await store.current_orders(pool, [order.reference], scope=scope):
                if not await claim.take(row.id):
                    raise InputError(f"{order.reference}: another shipctl (a bulk run) is "
                                     "working on this order now: wait for it, then run again")
            [stored] = await store.record_orders(pool, run.id, [order], scope=scope,
                                                 rebuy=rebuy)
            if not await claim.take(stored.id):  # a new row a bulk run took meanwhile
                raise InputError(f"{order.reference}: another shipctl is working on this "
                                 "order now: wait for it, then run again")
            result = await _buy_held(settings, carrier, pool, run.id, stored, order, rule,
                                     confirm, fmt, path, force, ship_date)
        if earlier is not None:
            result = replace(result, resumed=earlier.reference)
        return result


async def _buy_held(
    settings: Settings, carrier: CarrierSession, pool: Pool, run_id: int, stored: StoredOrder,
    order: Order, rule: RateRule, confirm: Confirm, fmt: str, path: Path, force: bool,
    ship_date: date | None,
) -> CreateResult:
    """Buy the order `_buy` recorded, once this process holds its claim."""
    from shipctl.carrier.options import LabelSetup
    from shipctl.jobs.orderflow import OrderFailed, OrderFlow
    from shipctl.store.claims import Buyer

    if stored.state is OrderState.PURCHASED:
        raise AlreadyPurchasedError(
            f"{order.reference} already has a label ({stored.tracking_code}); "
            "pass --rebuy to buy a new one"
        )
    if stored.state is OrderState.REFUNDED:
        raise AlreadyPurchasedError(
            f"{order.reference} had a label ({stored.tracking_code}), now refunded; "
            "pass --rebuy to buy a new one"
        )
    if ship_date is not None:
        from shipctl.store.manifests import set_label_date

        await set_label_date(pool, run_id, ship_date)
    flow = OrderFlow(pool, carrier, from_address=order.from_address, rule=rule,
                     label_format=fmt, quiet_seconds=settings.timeout + 5,
                     buyer=Buyer(create_run_id=run_id), label=LabelSetup.of(settings),
                     label_date=ship_date)
    try:
        view, label = await _quote_confirm_purchase(flow, carrier, stored, order, rule,
                                                    confirm)
    except OrderFailed as failed:
        raise failed.cause from None
    finally:
        await flow.writer.drain()
    written = await _save_label(carrier, label, fmt, path, force)
    return CreateResult(rates=view, label=label, label_path=written, run_id=run_id)


async def _quote_confirm_purchase(
    flow: OrderFlow, carrier: CarrierSession, stored: StoredOrder, order: Order,
    rule: RateRule, confirm: Confirm,
) -> tuple[RatesView, PurchasedLabel]:
    """Quote (or, for an order an earlier create left with a shipment, retrieve it first:
    it may have been bought), confirm, then buy."""
    from shipctl.jobs.orderflow import Outcome

    prepared = await flow.prepare(stored)
    if isinstance(prepared, Outcome):
        return _settled(carrier, order, prepared)
    assert prepared.shipment is not None
    view = rates_view(carrier, order, prepared.shipment, rule)
    if not confirm(view):
        raise DeclinedError("nothing was bought")
    return view, _settled(carrier, order, await flow.purchase(prepared))[1]


def _settled(
    carrier: CarrierSession, order: Order, outcome: Outcome
) -> tuple[RatesView, PurchasedLabel]:
    if outcome.label is not None:
        return _bought_view(carrier, order, outcome.label), outcome.label
    raise OutcomeUnknownError(
        f"{order.reference}: {outcome.error_message}; rerun the same command to find out "
        "(it retrieves the shipment; nothing is bought twice)"
    )


def _ask(confirm: Confirm, view: RatesView) -> None:
    if not confirm(view):
        raise DeclinedError("nothing was bought")


def _bought_view(carrier: CarrierSession, order: Order, label: PurchasedLabel) -> RatesView:
    shipment = QuotedShipment(shipment_id=label.shipment_id, reference=label.reference,
                              mode=carrier.mode)
    return RatesView(order=order, shipment=shipment, verdicts=[], chosen=None, mode=carrier.mode)


async def _save_label(
    carrier: CarrierSession, label: PurchasedLabel, fmt: str, path: Path, force: bool
) -> Path:
    from shipctl.carrier.labels import fetch_labels
    from shipctl.carrier.shipments import convert_label

    url = label.label_url
    if (label.label_format or "").upper() != fmt:
        url = await convert_label(carrier.executor, label.shipment_id, fmt)
    [data] = await fetch_labels([url], concurrency=1)
    await asyncio.to_thread(write_atomically, path, data, force=force)
    return path


@dataclass(frozen=True)
class OrderFields:
    """`shipctl create`'s flags, before they are checked."""

    reference: str | None
    to_address: dict[str, str | bool | None]
    from_address: dict[str, str | None]
    weight: str | None
    parcel: str | None
    carrier: str | None = None
    service: str | None = None


def build_order(settings: Settings, fields: OrderFields, clock_stamp: str) -> Order:
    """An Order from the flags (a parcel preset or LxWxH, a weight in any unit).

    Every invalid flag is reported at once, one line each, named as the user typed it."""
    from pydantic import ValidationError

    from shipctl.models import Parcel
    from shipctl.units import parse_dimensions, parse_weight

    problems: list[str] = []
    weight = None
    if fields.weight is None:
        problems.append("--weight is required, e.g. --weight 12oz or 1.5lb")
    else:
        try:
            weight = parse_weight(fields.weight)
        except ValueError as error:
            problems.append(f"--weight: {error}")
    dimensions: dict[str, object] = {}
    name = fields.parcel or settings.default_parcel
    if name:
        preset = settings.parcels.get(name)
        try:
            length, width, height = (
                (preset.length, preset.width, preset.height) if preset
                else parse_dimensions(name)
            )
            dimensions = {"length": length, "width": width, "height": height}
        except ValueError:
            known = ", ".join(sorted(settings.parcels)) or "none configured"
            problems.append(
                f"--parcel {name!r} is neither a preset ({known}) nor LxWxH like 10x8x4")
    given_from = {k: v for k, v in fields.from_address.items() if v}
    to_address = from_address = None
    try:
        to_address = Address.model_validate(fields.to_address)
    except ValidationError as error:
        problems += _flag_errors(error, "--to-")
    try:
        from_address = Address.model_validate(given_from) if given_from else None
    except ValidationError as error:
        problems += _flag_errors(error, "--from-")
    if problems or to_address is None or weight is None:
        raise InputError("\n".join(problems))
    try:
        return Order(
            reference=fields.reference or f"create-{clock_stamp}",
            to_address=_checked(to_address),
            parcel=Parcel(weight_oz=weight, **dimensions),  # type: ignore[arg-type]
            from_address=from_address,
            carrier=fields.carrier, service=fields.service,
        )
    except ValidationError as error:
        raise InputError("\n".join(_flag_errors(error, "--"))) from None


def _checked(address: Address) -> Address:
    """The destination, once the checks that need no API pass (ZIP against state)."""
    from shipctl.orders.address_checks import geography_problems, is_us_territory

    if address.country == "US" or is_us_territory(address.country):
        for part, message in geography_problems(address.model_dump(mode="json")):
            raise InputError(f"--to-{part} {getattr(address, part)}: {message}")
    return address


def _flag_errors(error: Exception, prefix: str) -> list[str]:
    """Pydantic's errors as the flags that caused them: `--to-zip: a US ZIP has 5 or 9…`."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return [str(error)]
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]).replace("_", "-").replace(".", "-")
        message = str(item["msg"]).removeprefix("Value error, ")
        named = re.match(r"([a-z_0-9]+): (.*)", message, re.DOTALL)
        if not where and named:  # a check of the whole address naming its field
            where, message = named.group(1).replace("_", "-"), named.group(2)
        lines.append(f"{prefix}{where}: {message}" if where else message)
    return lines


def order_from_json(path: Path, settings: Settings | None = None) -> Order:
    """An Order from a JSON file: one order in any shape `bulk` reads (shipctl's template,
    EasyPost's nested objects; an object or a one-element array), or shipctl's own `Order`."""
    import json

    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        value = json.loads(data)
    except ValueError as error:
        raise InputError(f"{path}: not JSON ({error})") from None
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise InputError(f"{path}: one order, as a JSON object (bulk reads files of many)")
    parcel = value.get("parcel")
    if isinstance(parcel, dict) and "weight_oz" in parcel:
        return _internal_order(path, value)
    return _loaded_order(path, value, settings)


def _internal_order(path: Path, value: dict[str, Any]) -> Order:
    from pydantic import ValidationError

    try:
        return Order.model_validate(value)
    except ValidationError as error:
        raise InputError(f"{path}: {plain_errors(error)}") from None


def _loaded_order(path: Path, value: dict[str, Any], settings: Settings | None) -> Order:
    """The order read as `bulk` reads a file: every error of it at once."""
    import json
    import tempfile

    from shipctl.jobs.bulk import load_options
    from shipctl.orders import LoadOptions, OrderSource, RowError
    from shipctl.orders.outcomes import describe_rows

    load = load_options(settings) if settings is not None else LoadOptions()
    with tempfile.TemporaryDirectory(prefix="shipctl-create-") as folder:
        single = Path(folder) / "order.json"
        single.write_text(json.dumps([value]), encoding="utf-8")
        items = list(OrderSource(single, load))
    errors = [item for item in items if isinstance(item, RowError)]
    if errors:
        raise InputError("\n".join(
            f"{path}: {e.column}" + (f' "{e.value}"' if e.value else "") + f": {e.message}"
            for e in errors))
    orders = [item for item in items if isinstance(item, Order)]
    if len(orders) != 1:
        reasons = "; ".join(f"{describe_rows(i.rows)}: {i}" for i in items)
        raise InputError(f"{path}: no order to ship ({reasons or 'empty'})")
    return orders[0]


def plain_errors(error: Exception) -> str:
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return str(error)
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
