"""Shipments on EasyPost: create with rates, safe buy, retrieve, convert the label.

Everything goes through `CarrierExecutor.call`, with the SDK's requestor: the replies stay
decoded JSON (no EasyPostObjects) and become shipctl models here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shipctl.carrier.client import request_json
from shipctl.carrier.customs import add_customs
from shipctl.carrier.errors import CarrierTransientError, RateLimited
from shipctl.carrier.executor import CarrierExecutor
from shipctl.carrier.options import LabelSetup, shipment_options, shipment_params
from shipctl.carrier.retry import backoff_delay
from shipctl.errors import CarrierAuthError, CarrierError, OutcomeUnknownError
from shipctl.models import (
    Address,
    CarrierMessage,
    CustomsSettings,
    Mode,
    Order,
    Parcel,
    PurchasedLabel,
    Quote,
    QuotedShipment,
)

Json = dict[str, Any]

LABEL_URL_FIELDS = {"PDF": "label_pdf_url", "ZPL": "label_zpl_url", "EPL2": "label_epl2_url",
                    "PNG": "label_url"}


def address_params(address: Address) -> Json:
    return address.model_dump(exclude_none=True)


def parcel_params(parcel: Parcel) -> Json:
    # JSON has no Decimal; ounces and inches to two places are exact enough as floats.
    params: Json = {"weight": float(parcel.weight_oz)}
    for name in ("length", "width", "height"):
        value = getattr(parcel, name)
        if value is not None:
            params[name] = float(value)
    if parcel.predefined_package:
        params["predefined_package"] = parcel.predefined_package
    return params


async def create_shipment(
    executor: CarrierExecutor, order: Order, from_address: Address, *,
    label_format: str | None = None, customs: CustomsSettings | None = None,
    label: LabelSetup | None = None, label_date: date | None = None,
) -> QuotedShipment:
    """Create the shipment and its rates (nothing is bought, so retrying is harmless); one
    that crosses a border carries the order's customs declaration (`customs` settings)."""
    params: Json = {
        "to_address": address_params(order.to_address),
        "from_address": address_params(order.from_address or from_address),
        "parcel": parcel_params(order.parcel),
        "reference": order.reference,
    }
    params.update(shipment_params(order))
    params["options"] = label_options(order, label_format, label, label_date)
    add_customs(params, order, order.from_address or from_address, customs)
    data = await executor.call(
        lambda client: request_json(client, "POST", "/shipments", {"shipment": params}),
        name="create shipment",
    )
    return quoted_shipment(data, executor.mode)


def label_options(
    order: Order, label_format: str | None, label: LabelSetup | None, label_date: date | None,
) -> Json:
    """The shipment's `options` for `order`, its label among them: format, resolution, the
    text printed on it and its date (`--ship-date`)."""
    options = shipment_options(order, order.label_format or label_format, label or LabelSetup())
    if label_date is not None:  # the ship date printed on the label
        options["label_date"] = f"{label_date.isoformat()}T12:00:00Z"
    return options


# What a shipment's options say about its label that the order's digest does not cover.
LABEL_MARKS = ("label_date", "label_resolution", "print_custom_1")


def label_marks(options: object) -> tuple[tuple[str, str], ...]:
    """The options of LABEL_MARKS a shipment has, as text (a label_date by its day): a
    shipment quoted for other marks (a dry run before `--ship-date`) is quoted again."""
    if not isinstance(options, dict):
        return ()
    marks = []
    for key in LABEL_MARKS:
        value = options.get(key)
        if value not in (None, ""):
            text = str(value)
            marks.append((key, text[:10] if key == "label_date" else text))
    return tuple(marks)


async def buy(
    executor: CarrierExecutor, shipment_id: str, rate: Quote, *,
    insurance: Decimal | None = None,
) -> PurchasedLabel:
    """Buy `rate`, never blindly twice: after an unclear failure, look before buying again.

    A timeout, 5xx or dropped connection may hide a buy that went through, and
    SHIPMENT.POSTAGE.EXISTS says one did: the shipment is retrieved, and its label is used
    when it has one. A 429 is retried by the executor, since nothing was bought. When the
    retrieve cannot answer either, the outcome is unknown (`OutcomeUnknownError`): the caller
    keeps the shipment id and resolves it later, by retrieving it, never by buying again.
    """
    # Each further buy follows a retrieve showing the previous one did not take effect, so
    # the executor's attempt budget bounds the work here, not the labels bought.
    unclear: CarrierError | None = None
    for attempt in range(1, executor.max_attempts + 1):
        try:
            data = await executor.call(
                lambda client: request_json(client, "POST", f"/shipments/{shipment_id}/buy",
                                            buy_params(rate, insurance)),
                name="buy", idempotent=False,
            )
            return purchased_label(data, executor.mode)
        except (CarrierAuthError, RateLimited):
            raise
        except CarrierTransientError as error:
            unclear = error
        except CarrierError as error:
            if error.code != "SHIPMENT.POSTAGE.EXISTS":
                raise
            unclear = error
        await executor.sleep(
            backoff_delay(attempt, base=executor.base_delay, cap=executor.max_delay)
        )
        try:
            current = await retrieve(executor, shipment_id)
        except CarrierAuthError:
            raise
        except CarrierError as error:
            raise OutcomeUnknownError(
                f"the buy of {shipment_id} may have gone through ({unclear.message}) and "
                f"the shipment could not be retrieved to find out ({error.message})"
            ) from error
        if isinstance(current, PurchasedLabel):
            return current
    assert unclear is not None
    raise unclear


def buy_params(rate: Quote, insurance: Decimal | None) -> Json:
    """The buy's body: the rate, and the declared value to insure (bought with the label)."""
    params: Json = {"rate": {"id": rate.rate_id}}
    if insurance is not None:
        params["insurance"] = f"{insurance:.2f}"
    return params


async def retrieve(executor: CarrierExecutor, shipment_id: str) -> QuotedShipment | PurchasedLabel:
    """The shipment as EasyPost has it now: a PurchasedLabel iff it has a postage label."""
    data = await executor.call(
        lambda client: request_json(client, "GET", f"/shipments/{shipment_id}"),
        name="retrieve shipment",
    )
    if data.get("postage_label"):
        return purchased_label(data, executor.mode)
    return quoted_shipment(data, executor.mode)


async def convert_label(executor: CarrierExecutor, shipment_id: str, file_format: str) -> str:
    """The URL of the shipment's label in PDF, ZPL, EPL2 or PNG (EasyPost converts on
    request)."""
    fmt = file_format.upper()
    if fmt not in LABEL_URL_FIELDS:
        raise ValueError(f"label format {file_format!r} is not PDF, ZPL, EPL2 or PNG")
    data = await executor.call(
        lambda client: request_json(client, "GET", f"/shipments/{shipment_id}/label",
                                    {"file_format": fmt}),
        name="convert label",
    )
    label = data.get("postage_label") or {}
    url = label.get(LABEL_URL_FIELDS[fmt])
    if not url:
        raise CarrierError(f"EasyPost returned no {fmt} label for {shipment_id}",
                           code="LABEL.MISSING")
    return str(url)


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def quote(rate: Json) -> Quote:
    return Quote(
        rate_id=rate["id"], carrier=rate["carrier"], service=rate["service"],
        rate=_decimal(rate["rate"]), currency=rate.get("currency") or "USD",
        delivery_days=_int(rate.get("delivery_days")),
        delivery_date=_time(rate.get("delivery_date")),
        carrier_account_id=rate.get("carrier_account_id"),
    )


def quoted_shipment(data: Json, mode: Mode) -> QuotedShipment:
    messages = tuple(
        CarrierMessage(carrier=m.get("carrier"), message=str(m.get("message") or ""),
                       type=m.get("type"))
        for m in data.get("messages") or ()
        if isinstance(m, dict) and m.get("message")
    )
    options = data.get("options") or {}
    fmt = options.get("label_format") if isinstance(options, dict) else None
    return QuotedShipment(
        shipment_id=data["id"], reference=data.get("reference"),
        rates=tuple(quote(r) for r in data.get("rates") or ()), messages=messages, mode=mode,
        label_format=str(fmt).upper() if fmt else None, label_marks=label_marks(options),
    )


def label_format_of(label: Json) -> str | None:
    file_type = str(label.get("label_file_type") or "").lower()
    for fmt in ("pdf", "zpl", "epl2", "png"):
        if fmt in file_type:
            return fmt.upper()
    return None


def promised_date(purchased_at: datetime | None, delivery_days: int | None) -> datetime | None:
    """The delivery date a rate promises when EasyPost gives none (its rates' delivery_date
    and a new tracker's est_delivery_date are usually null): `delivery_days` business days
    (Monday to Friday) after the purchase."""
    if purchased_at is None or delivery_days is None:
        return None
    day, left = purchased_at, max(delivery_days, 0)
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def purchased_label(data: Json, mode: Mode) -> PurchasedLabel:
    rate = data.get("selected_rate") or {}
    label = data.get("postage_label") or {}
    tracker = data.get("tracker") or {}
    estimated = (_time(tracker.get("est_delivery_date")) or _time(rate.get("delivery_date"))
                 or promised_date(_time(label.get("created_at") or data.get("updated_at")),
                                  _int(rate.get("delivery_days"))))
    return PurchasedLabel(
        shipment_id=data["id"], reference=data.get("reference"),
        tracking_code=data["tracking_code"], carrier=rate["carrier"], service=rate["service"],
        rate=_decimal(rate["rate"]), currency=rate.get("currency") or "USD",
        delivery_days=_int(rate.get("delivery_days")), est_delivery_date=estimated,
        label_url=label["label_url"], label_format=label_format_of(label),
        tracker_id=tracker.get("id"), mode=mode,
        carrier_account_id=rate.get("carrier_account_id"),
    )
