"""Shipments: create with rates, retrieve, list, buy, convert label (refunds: refunds.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from shipctl.simulator import (
    addresses,
    carrier_accounts,
    customs,
    labels,
    parcels,
    rates,
    state,
    trackers,
)
from shipctl.simulator.clock import iso
from shipctl.simulator.errors import ApiError, field_error, invalid, not_found, required
from shipctl.simulator.ids import new_id, new_tracking_code, rate_id_for
from shipctl.simulator.paging import page_size
from shipctl.simulator.simulation import Simulation

Json = dict[str, Any]
DAY = 86400.0
CENT = Decimal("0.01")
# EasyPost's shipping insurance: 1% of the insured value (at buy, or later with /insure).
INSURANCE_SHARE = Decimal("0.01")
LABEL_FORMATS = {"PNG": "image/png", "PDF": "application/pdf", "ZPL": "application/zpl",
                 "EPL2": "application/epl2"}
# Kept with a shipment for the simulator's own use, never shown.
PRIVATE = ("_tracker_id", "_refund_at", "_refund_outcome", "_refund_answer_at")

def create(sim: Simulation, payload: Json) -> Json:
    """POST /shipments: a shipment with its rates, bought at once when a service is named."""
    shipment, _ = _create(sim, payload)
    return render(sim, shipment)


def create_json(sim: Simulation, payload: Json) -> tuple[str, bytes]:
    """`create`, as the new shipment's id and the JSON of the answer."""
    shipment, stored = _create(sim, payload)
    if stored is not None:
        # Not bought: nothing in it moves with time, so the answer is what was stored.
        return shipment["id"], stored
    return shipment["id"], encode(render(sim, shipment))


def _create(sim: Simulation, payload: Json) -> tuple[Json, bytes | None]:
    """The stored shipment, and its JSON when the answer is that (it was not bought)."""
    params = payload.get("shipment")
    if not isinstance(params, dict) or not params:
        raise required("shipment")
    now = sim.now()
    # New addresses and the parcel are written with the shipment in one statement.
    rows: list[state.NewObject] = []
    with sim.store.transaction():
        to_address = _address(sim, params.get("to_address"), "to_address", now, rows)
        from_address = _address(sim, params.get("from_address"), "from_address", now, rows)
        if to_address["country"] == "US" and not to_address.get("zip"):
            raise ApiError(422, "PARAMETER.REQUIRED", "Missing required parameter.",
                           [field_error("to_address.zip", "cannot be blank")])
        parcel = _parcel(sim, params.get("parcel"), now, rows)
        customs_info = _customs(sim, params, now, rows)
        shipment_id = new_id("shp")
        shipment = _shipment(sim, params, shipment_id, to_address, from_address, parcel, now,
                             customs_info)
        text = encode(shipment)
        rows.append(("shipment", shipment, shipment["reference"], None, text.decode()))
        stored: bytes | None = text
        sim.store.insert_many(rows)
        service = params.get("service")
        if service and (params.get("carrier_accounts") or params.get("carrier")):
            rate = _rate_for_service(shipment, str(service), params.get("carrier"))
            _purchase(sim, shipment, rate, params.get("insurance"), now)
            stored = None
    return shipment, stored


def _address(
    sim: Simulation, value: Any, name: str, now: float, rows: list[state.NewObject]
) -> Json:
    if not isinstance(value, dict) or not value:
        raise required(name)
    if "id" in value:
        stored = sim.store.get("address", str(value["id"]))
        if stored is None:
            raise not_found(f"Address {value['id']} not found.")
        return stored
    address = addresses.build_address(value, now, field_prefix=f"{name}.")
    rows.append(("address", address, None, None, state.encode(address)))
    return address


def _parcel(sim: Simulation, value: Any, now: float, rows: list[state.NewObject]) -> Json:
    if not isinstance(value, dict) or not value:
        raise required("parcel")
    if "id" in value:
        stored = sim.store.get("parcel", str(value["id"]))
        if stored is None:
            raise not_found(f"Parcel {value['id']} not found.")
        return stored
    parcel = parcels.build(value, now)
    rows.append(("parcel", parcel, None, None, state.encode(parcel)))
    return parcel


def _customs(sim: Simulation, params: Json, now: float, rows: list[state.NewObject]) -> Json | None:
    """The shipment's customs_info: inline, by id, or made of inline `customs_items`."""
    value = params.get("customs_info")
    if not value and params.get("customs_items"):
        value = {"customs_items": params["customs_items"]}
    new: list[tuple[str, Json]] = []
    info = customs.resolve(sim, value, now, new)
    rows.extend((kind, body, None, None, state.encode(body)) for kind, body in new)
    return info


def _accounts(sim: Simulation, params: Json) -> tuple[carrier_accounts.Account, ...]:
    """The carrier accounts that rate this shipment: those of its `carrier_accounts` (else
    all the account's), narrowed to `carrier`'s when it names one."""
    chosen = carrier_accounts.chosen(sim, params.get("carrier_accounts"))
    if isinstance(params.get("carrier"), str):
        carrier = rates.canonical_carrier(params["carrier"])
        chosen = tuple(a for a in chosen if a.carrier == carrier)
    return chosen


def _shipment(
    sim: Simulation, params: Json, shipment_id: str, to_address: Json, from_address: Json,
    parcel: Json, now: float, customs_info: Json | None,
) -> Json:
    options = dict(params.get("options") or {})
    options.setdefault("currency", "USD")
    options.setdefault("payment", {"type": "SENDER"})
    options.setdefault("date_advance", 0)
    accounts = _accounts(sim, params)
    destination: str | None = None
    if customs.crosses_border(from_address["country"], to_address["country"]):
        destination = to_address["country"]
        zone = rates.international_zone(destination)
    else:
        domestic = to_address["country"] in customs.DOMESTIC_US
        zone = rates.zone(from_address.get("zip"), to_address.get("zip"), domestic)
    customs_messages: list[Json] = []
    if destination is not None and customs_info is None:
        # UPS and FedEx rate a cross-border parcel on its declared contents; USPS rates it
        # without (the buy asks for customs).
        for acct in accounts:
            if acct.carrier != "USPS":
                customs_messages.append(_message(acct, customs.CUSTOMS_REQUIRED))
        accounts = tuple(a for a in accounts if a.carrier == "USPS")
    shipment_rates, messages = _rates(sim, shipment_id, parcel, zone, accounts, now, destination,
                                      addresses.wants(to_address.get("residential")))
    messages += customs_messages
    reference = params.get("reference")
    shipment = {
        "id": shipment_id, "created_at": iso(now), "is_return": bool(params.get("is_return")),
        "messages": messages, "mode": "test", "options": options,
        "reference": None if reference in (None, "") else str(reference), "status": "unknown",
        "tracking_code": None, "updated_at": iso(now), "batch_id": None, "batch_status": None,
        "batch_message": None, "customs_info": customs_info,
        "from_address": from_address, "insurance": None, "order_id": None, "parcel": parcel,
        "postage_label": None, "rates": shipment_rates, "refund_status": None, "scan_form": None,
        "selected_rate": None, "tracker": None, "to_address": to_address, "usps_zone": zone,
        "return_address": from_address, "buyer_address": to_address, "forms": [], "fees": [],
        "object": "Shipment",
    }
    tax_identifiers = _tax_identifiers(params.get("tax_identifiers"))
    if tax_identifiers:
        # Only when given, last, and with the number hidden, as the real API answers.
        shipment["tax_identifiers"] = tax_identifiers
    return shipment


def _tax_identifiers(value: Any) -> list[Json]:
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise invalid("tax_identifiers", "must be a list of objects")
    found = []
    for n, given in enumerate(value):
        for name in ("entity", "tax_id", "tax_id_type", "issuing_country"):
            if not given.get(name):
                raise required(f"tax_identifiers.{n}.{name}")
        found.append({"entity": str(given["entity"]).upper(), "tax_id": "HIDDEN",
                      "tax_id_type": str(given["tax_id_type"]).upper(),
                      "issuing_country": str(given["issuing_country"]).upper()})
    return found


def _message(acct: carrier_accounts.Account, text: str) -> Json:
    """A carrier account's answer in `messages[]` when it cannot rate the shipment."""
    return {"carrier": acct.carrier, "carrier_account_id": acct.id, "type": "rate_error",
            "message": text}


def _rates(
    sim: Simulation, shipment_id: str, parcel: Json, zone: int,
    accounts: tuple[carrier_accounts.Account, ...], now: float, destination: str | None = None,
    residential: bool = False,
) -> tuple[list[Json], list[Json]]:
    """Each account's rates for its carrier's services (two accounts of one carrier: the
    same services twice, each with its own account id), and the accounts that cannot rate."""
    dims = None
    if all(parcel.get(n) for n in ("length", "width", "height")):
        dims = (float(parcel["length"]), float(parcel["width"]), float(parcel["height"]))
    carriers = frozenset(a.carrier for a in accounts)
    quote = rates.quote(float(parcel["weight"]), dims, zone, carriers, destination, residential)
    messages: list[Json] = []
    for acct in accounts:
        if acct.carrier in quote.too_heavy:
            limit = rates.MAX_WEIGHT_OZ[acct.carrier] // 16
            messages.append(_message(
                acct, f"{acct.carrier}: parcel weight exceeds {limit} lb maximum."))
    # The real API's rates carry no delivery_date (null) unless the simulator is asked for one.
    dated = sim.config.delivery_dates == "estimated"
    stamp = iso(now)
    found = [
        _rate(priced, acct.id, rate_id_for(shipment_id), stamp, stamp,
              iso(now + priced.delivery_days * DAY) if dated else None, shipment_id)
        for acct in accounts
        for priced in quote.priced if priced.service.carrier == acct.carrier
    ]
    return found, messages


def _rate(priced: rates.Priced, account_id: str, rate_id: str, created_at: str,
          updated_at: str, delivery_date: str | None, shipment_id: str) -> Json:
    service = priced.service
    days = priced.delivery_days
    return {
        "id": rate_id, "object": "Rate", "created_at": created_at,
        "updated_at": updated_at, "mode": "test", "service": service.service,
        "carrier": service.carrier, "rate": priced.rate, "currency": "USD",
        "retail_rate": priced.retail_rate, "retail_currency": "USD",
        "list_rate": priced.list_rate, "list_currency": "USD",
        "billing_type": "easypost", "delivery_days": days,
        "delivery_date": delivery_date,
        "delivery_date_guaranteed": service.guaranteed, "est_delivery_days": days,
        "shipment_id": shipment_id, "carrier_account_id": account_id,
    }


def _rate_for_service(shipment: Json, service: str, carrier: Any) -> Json:
    for rate in shipment["rates"]:
        same_carrier = not isinstance(carrier, str) or rate["carrier"].lower() == carrier.lower()
        if rate["service"].lower() == service.lower() and same_carrier:
            return rate
    raise ApiError(422, "SHIPMENT.POSTAGE.FAILURE",
                   f"No rate found for service {service!r}.",
                   [field_error("service", "no such service among the shipment's rates")])


def find(sim: Simulation, id_or_reference: str) -> Json:
    """A stored shipment by id or, like the real API, by its reference."""
    shipment = sim.store.get("shipment", id_or_reference)
    if shipment is None:
        shipment = sim.store.by_reference("shipment", id_or_reference)
    if shipment is None:
        raise not_found()
    return shipment


def buy(sim: Simulation, id_or_reference: str, payload: Json) -> Json:
    """POST /shipments/:id/buy with {"rate": {"id"}}; a bought shipment cannot be bought again."""
    rate_ref = payload.get("rate")
    rate_id = rate_ref.get("id") if isinstance(rate_ref, dict) else rate_ref
    if not rate_id:
        raise required("rate")
    now = sim.now()
    # Inside one IMMEDIATE transaction, so two processes cannot both buy one shipment.
    with sim.store.transaction():
        shipment = find(sim, id_or_reference)
        rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
        if rate is None:
            raise invalid("rate.id", f"{rate_id} is not a rate of shipment {shipment['id']}")
        _purchase(sim, shipment, rate, payload.get("insurance"), now)
    return render(sim, shipment, now)


def _purchase(sim: Simulation, shipment: Json, rate: Json, insurance: Any, now: float) -> None:
    if shipment.get("postage_label"):
        raise ApiError(422, "SHIPMENT.POSTAGE.EXISTS",
                       "Postage already exists for this shipment.")
    customs.require_customs(shipment)
    amount = Decimal(rate["rate"])
    sim.debit(amount)
    label_id = new_id("pl")
    options = shipment["options"]
    label_format = str(options.get("label_format") or "PNG").upper()
    if label_format not in LABEL_FORMATS:
        label_format = "PNG"
    stamp = iso(now)
    advance, label_date = _label_date(options, now)
    url = f"/_sim/labels/{label_id}.{label_format.lower()}"
    label = {
        "object": "PostageLabel", "id": label_id, "created_at": stamp, "updated_at": stamp,
        "date_advance": advance, "integrated_form": "none", "label_date": iso(label_date),
        "label_resolution": labels.resolution_of(label_format), "label_size": "4x6",
        "label_type": "default", "label_file_type": LABEL_FORMATS[label_format],
        "label_url": url,
        "label_pdf_url": url if label_format == "PDF" else None,
        "label_zpl_url": url if label_format == "ZPL" else None,
        "label_epl2_url": url if label_format == "EPL2" else None, "label_file": None,
    }
    code = new_tracking_code(rate["carrier"])
    tracker = trackers.new_tracker(
        code, rate["carrier"], now, shipment_id=shipment["id"], days=rate["delivery_days"],
        origin=shipment["from_address"], destination=shipment["to_address"],
        service=rate["service"], weight=shipment["parcel"]["weight"],
    )
    if sim.config.delivery_dates == "none":
        tracker["undated"] = True  # no est_delivery_date before the carrier's first scan
    sim.store.insert("tracker", tracker, lookup=code.upper())
    fees = [_fee("LabelFee", Decimal(0)), _fee("PostageFee", amount)]
    if insurance not in (None, "", 0, "0"):
        try:
            insured = Decimal(str(insurance))
        except InvalidOperation:
            raise invalid("insurance", "must be a number") from None
        if not insured.is_finite() or insured < 0:
            raise invalid("insurance", "must be a number, 0 or more")
        fee = (insured * INSURANCE_SHARE).quantize(CENT, rounding=ROUND_HALF_UP)
        sim.debit(fee)
        shipment["insurance"] = f"{insured:.2f}"
        fees.append(_fee("InsuranceFee", fee))
        sim.store.record_insurance(shipment["id"], insured, fee)
    verified = addresses.apply_verification(shipment["to_address"], now)
    shipment.update({
        "postage_label": label, "tracking_code": code, "selected_rate": rate, "fees": fees,
        "to_address": verified, "buyer_address": verified, "updated_at": stamp,
        "_tracker_id": tracker["id"],
        "forms": customs.new_forms(sim, shipment, rate["carrier"], now),
    })
    sim.store.update(shipment, purchased=True, lookup=label_id, text=encode(shipment).decode())
    sim.store.record_purchase(shipment["id"], shipment.get("reference"), amount)


def _label_date(options: Json, now: float) -> tuple[int, float]:
    """`date_advance` (days) and the date printed on the label: `options.label_date` when
    given (an ISO 8601 date or date-time), else now advanced by `date_advance` days."""
    try:
        advance = int(options.get("date_advance") or 0)
    except (TypeError, ValueError):
        raise invalid("options.date_advance", "must be a whole number of days") from None
    given = options.get("label_date")
    if given in (None, ""):
        return advance, now + advance * DAY
    try:
        parsed = datetime.fromisoformat(str(given).strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid("options.label_date", "must be an ISO 8601 date or date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return advance, parsed.timestamp()


def _fee(kind: str, amount: Decimal) -> Json:
    return {"object": "Fee", "type": kind, "amount": f"{amount:.5f}", "charged": True,
            "refunded": False}


def convert_label(sim: Simulation, id_or_reference: str, file_format: str | None) -> Json:
    """GET /shipments/:id/label?file_format=PDF|ZPL|EPL2|PNG: adds the URL of that format."""
    fmt = (file_format or "").upper()
    if fmt not in LABEL_FORMATS:
        raise invalid("file_format", "must be one of PDF, ZPL, EPL2, PNG")
    now = sim.now()
    with sim.store.transaction():
        shipment = find(sim, id_or_reference)
        label = shipment.get("postage_label")
        if not label:
            raise ApiError(422, "SHIPMENT.POSTAGE.REQUIRED",
                           "The shipment has no postage label to convert.")
        path = f"/_sim/labels/{label['id']}.{fmt.lower()}"
        label = shipment["postage_label"] = dict(label)
        if fmt == "PDF":
            label["label_pdf_url"] = path
        elif fmt == "ZPL":
            label["label_zpl_url"] = path
        elif fmt == "EPL2":
            label["label_epl2_url"] = path
        label["updated_at"] = iso(now)
        sim.store.update(shipment, text=encode(shipment).decode())
    return render(sim, shipment)


def page(sim: Simulation, query: dict[str, str]) -> Json:
    """GET /shipments: newest first, `page_size` ≤ 100, `before_id`, `purchased`."""
    size = page_size(query)
    purchased = query.get("purchased")
    flag = None if purchased in (None, "") else purchased.lower() in {"true", "1", "yes"}
    rows, more = sim.store.page("shipment", limit=size, before_id=query.get("before_id"),
                                purchased=flag)
    return {"shipments": [render(sim, row) for row in rows], "has_more": more}


def render(sim: Simulation, shipment: Json, now: float | None = None) -> Json:
    """The Shipment object as the API returns it now (tracker and refund move with time), or
    at `now`: a buy answers as at the moment of purchase."""
    out = dict(shipment)
    for key in PRIVATE:
        out.pop(key, None)
    now = sim.now() if now is None else now
    tracker_id = shipment.get("_tracker_id")
    if tracker_id:
        plan = sim.store.get("tracker", tracker_id)
        if plan is not None:
            out["tracker"] = trackers.render(plan, now)
            out["status"] = out["tracker"]["status"]
    if shipment.get("_refund_at") is not None:
        from shipctl.simulator import refunds  # refunds builds on this module

        out["refund_status"], refunded = refunds.shipment_refund_status(shipment, now)
        if refunded:
            out["fees"] = [{**fee, "refunded": True} for fee in out["fees"]]
    label = out.get("postage_label")
    if label:
        out["postage_label"] = _label(label, sim.base_url)
    form = out.get("scan_form")
    if form and str(form.get("form_url")).startswith("/_sim/"):
        out["scan_form"] = {**form, "form_url": sim.base_url + form["form_url"]}
    if out.get("forms"):
        out["forms"] = customs.with_absolute_urls(out["forms"], sim.base_url)
    return out


def _label(label: Json, base_url: str) -> Json:
    """The label with its URLs absolute."""
    return {
        key: (base_url + value if isinstance(value, str) and value.startswith("/_sim/")
              else value)
        for key, value in label.items()
    }


def encode(shipment: Json) -> bytes:
    """The JSON of a shipment (stored or rendered)."""
    return state.dumps(shipment)
