"""The aiohttp application: routes, auth, latency, rate limits, faults and the ledger."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from shipctl.simulator import (
    addresses,
    batches,
    carrier_accounts,
    customs,
    labels,
    parcels,
    pickups,
    refunds,
    scan_forms,
    shipment_rates,
    shipments,
    trackers,
)
from shipctl.simulator.config import SimulatorConfig
from shipctl.simulator.errors import ApiError, not_found
from shipctl.simulator.faults import FaultPlan
from shipctl.simulator.ledger import Ledger
from shipctl.simulator.limits import TokenBucket, retry_after
from shipctl.simulator.simulation import Simulation
from shipctl.simulator.state import Store, dumps

log = logging.getLogger("shipctl.simulator")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Endpoints the account rate limit applies to: rating (create) and buying.
LIMITED = frozenset({("POST", "/v2/shipments"), ("POST", "/v2/shipments/{id}/buy")})
INDEXES = frozenset({("GET", "/v2/trackers"), ("GET", "/v2/shipments"),
                     ("GET", "/v2/addresses")})
# Purchases: their answer can be lost after they are committed (a `lost_response` fault).
BUYS = frozenset({("POST", "/v2/shipments/{id}/buy"), ("POST", "/v2/batches/{id}/buy"),
                  ("POST", "/v2/pickups/{id}/buy")})


class Runtime:
    """Everything a request needs, kept on the application."""

    def __init__(self, config: SimulatorConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.sim = Simulation(config, store)
        self.ledger = Ledger(store)
        self.faults = FaultPlan(latency=config.latency, jitter=config.jitter,
                                fault_rate=config.fault_rate, kinds=config.fault_kinds,
                                seed=config.seed)
        self.limiter = TokenBucket(config.rate_limit) if config.rate_limit else None
        self.index_limiter = (TokenBucket(config.index_rate_limit, burst=config.index_rate_limit)
                              if config.index_rate_limit else None)
        self._committed: asyncio.Future[None] | None = None

    def share_commits(self) -> None:
        """From now on, requests handled in one turn of the running loop share a COMMIT."""
        self.store.defer_commits(self._schedule_commit)

    def _schedule_commit(self, commit: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        committed = loop.create_future()
        self._committed = committed
        loop.call_soon(self._commit, commit, committed)

    def _commit(self, commit: Callable[[], None], committed: asyncio.Future[None]) -> None:
        if self._committed is committed:
            self._committed = None
        try:
            commit()
        except Exception as exc:
            log.exception("simulator state commit failed")
            committed.set_exception(exc)
            committed.exception()  # reported above, even when no request is waiting
        else:
            committed.set_result(None)

    async def settle(self) -> None:
        """Wait until what this request wrote, or read before it was committed, is committed."""
        committed = self._committed
        if committed is not None:
            # Shielded: a request cancelled here must not cancel the others' commit.
            await asyncio.shield(committed)

    def stats(self) -> dict[str, Any]:
        return self.ledger.stats(self.sim.balance())

    def reset(self) -> None:
        self.ledger.flush()
        self.sim.reset()


RUNTIME = web.AppKey("runtime", Runtime)


class ConnectionDropped(Exception):
    """The simulator closed the connection on purpose; there is no response to send."""


def _endpoint(request: web.Request) -> tuple[str, str]:
    resource = request.match_info.route.resource
    return request.method, resource.canonical if resource is not None else "<unmatched>"


def _error(error: ApiError, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=headers)


@web.middleware
async def ledger_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: turns every failure into EasyPost's JSON error shape and counts it."""
    runtime = request.app[RUNTIME]
    endpoint = _endpoint(request)
    method, path = endpoint
    # Label URLs must point back at whatever address the client reached us on.
    runtime.sim.base_url = f"{request.scheme}://{request.host}"
    response: web.StreamResponse
    try:
        if request.path.startswith("/v2/"):
            response = await _api(request, handler, runtime, endpoint)
        else:
            response = await handler(request)
        await runtime.settle()
    except ApiError as error:
        response = _error(error, {"Retry-After": error.retry_after} if error.retry_after else None)
    except ConnectionDropped:
        runtime.ledger.request(f"{method} {path}", "dropped")
        # The transport is already aborted: aiohttp discards whatever is returned here.
        return web.Response(status=204)
    except web.HTTPNotFound:
        response = _error(not_found())
    except web.HTTPMethodNotAllowed:
        response = _error(ApiError(405, "METHOD_NOT_ALLOWED", "Method not allowed."))
    except web.HTTPException as exc:
        response = _error(ApiError(exc.status, "BAD_REQUEST", exc.reason))
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("simulator error on %s %s", method, request.path)
        response = _error(ApiError(500, "INTERNAL_SERVER_ERROR", "Internal server error."))
    if runtime.store.pending:
        # A failed request may still have read state other requests have not committed yet.
        try:
            await runtime.settle()
        except Exception:
            response = _error(ApiError(500, "INTERNAL_SERVER_ERROR", "Internal server error."))
    runtime.ledger.request(f"{method} {path}", response.status)
    return response


def _key_of(header: str) -> str:
    """The API key in an Authorization header (Bearer, or Basic with the key as user)."""
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return ""


def authorise(request: web.Request, config: SimulatorConfig) -> None:
    """Let in only keys the simulator knows, answering others as EasyPost does (401)."""
    key = _key_of(request.headers.get("Authorization", ""))
    if not key:
        raise ApiError(401, "APIKEY.REQUIRED", "Missing or invalid API key.")
    if not config.accepts(key):
        raise ApiError(401, "APIKEY.INACTIVE",
                       "This api key is no longer active. Please use a different api key "
                       "or reactivate this key.")


async def _api(request: web.Request, handler: Handler, runtime: Runtime,
               endpoint: tuple[str, str]) -> web.StreamResponse:
    """For /v2 only: auth, latency, rate limits, then faults.

    Called by the ledger middleware rather than being a middleware of its own: one layer
    less on every request."""
    authorise(request, runtime.config)
    delay = runtime.faults.delay()
    if delay:
        await asyncio.sleep(delay)
    bucket = (runtime.limiter if endpoint in LIMITED
              else runtime.index_limiter if endpoint in INDEXES else None)
    if bucket is not None:
        wait = bucket.take()
        if wait:
            runtime.ledger.rate_limited(" ".join(endpoint))
            raise ApiError(429, "RATE_LIMITED", "Rate limit exceeded. Please retry later.",
                           retry_after=retry_after(wait))
    kind = runtime.faults.fault(endpoint in BUYS)
    if kind is not None:
        runtime.ledger.fault(kind)
    if kind == "500":
        raise ApiError(500, "INTERNAL_SERVER_ERROR", "Internal server error (simulated).")
    if kind == "503":
        raise ApiError(503, "SERVICE_UNAVAILABLE", "Service unavailable (simulated).")
    if kind == "timeout":
        await asyncio.sleep(runtime.config.timeout_delay)
    if kind == "drop":
        _drop(request)
    response = await handler(request)
    if kind == "lost_response":
        # The purchase is committed; only its answer is lost.
        await runtime.settle()
        _drop(request)
    return response


def _drop(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()
    raise ConnectionDropped


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    body = await request.read()
    raw: bytes | str = body
    charset = request.charset
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        try:
            raw = body.decode(charset)  # orjson reads UTF-8 bytes, or any str
        except LookupError:
            raise ApiError(400, "BAD_REQUEST",
                           f"Unsupported request charset {charset!r}.") from None
        except UnicodeDecodeError:
            raise ApiError(400, "BAD_REQUEST",
                           f"The request body is not valid {charset}.") from None
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except ValueError:
        raise ApiError(400, "BAD_REQUEST", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "BAD_REQUEST", "The request body must be a JSON object.")
    return data


def _json(body: dict[str, Any], status: int = 200, location: str | None = None) -> web.Response:
    return _json_body(dumps(body), status, location)


def _json_body(body: bytes, status: int = 200, location: str | None = None) -> web.Response:
    headers = {"Location": location} if location else None
    return web.Response(body=body, status=status, headers=headers,
                        content_type="application/json", charset="utf-8")


def _shipment_json(shipment: dict[str, Any], status: int = 200,
                   location: str | None = None) -> web.Response:
    return _json_body(shipments.encode(shipment), status, location)


def _sim(request: web.Request) -> Simulation:
    return request.app[RUNTIME].sim


async def create_address(request: web.Request) -> web.Response:
    address = addresses.create(_sim(request), await _body(request))
    return _json(address, 201, f"/api/v2/addresses/{address['id']}")


async def create_and_verify_address(request: web.Request) -> web.Response:
    address = addresses.create_and_verify(_sim(request), await _body(request))
    return _json({"address": address}, 200)


async def retrieve_address(request: web.Request) -> web.Response:
    return _json(addresses.retrieve(_sim(request), request.match_info["id"]))


async def list_addresses(request: web.Request) -> web.Response:
    return _json(addresses.page(_sim(request), dict(request.query)))


async def verify_address(request: web.Request) -> web.Response:
    return _json({"address": addresses.verify(_sim(request), request.match_info["id"])})


async def create_shipment(request: web.Request) -> web.Response:
    shipment_id, body = shipments.create_json(_sim(request), await _body(request))
    return _json_body(body, 201, f"/api/v2/shipments/{shipment_id}")


async def list_shipments(request: web.Request) -> web.Response:
    return _json(shipments.page(_sim(request), dict(request.query)))


async def retrieve_shipment(request: web.Request) -> web.Response:
    sim = _sim(request)
    return _shipment_json(shipments.render(sim, shipments.find(sim, request.match_info["id"])))


async def buy_shipment(request: web.Request) -> web.Response:
    return _shipment_json(
        shipments.buy(_sim(request), request.match_info["id"], await _body(request)))


async def convert_label(request: web.Request) -> web.Response:
    shipment = shipments.convert_label(_sim(request), request.match_info["id"],
                                       request.query.get("file_format"))
    return _shipment_json(shipment)


async def refund_shipment(request: web.Request) -> web.Response:
    return _shipment_json(refunds.refund_shipment(_sim(request), request.match_info["id"]))


async def create_refunds(request: web.Request) -> web.Response:
    return web.Response(body=dumps(refunds.create(_sim(request), await _body(request))),
                        status=201, content_type="application/json", charset="utf-8")


async def list_refunds(request: web.Request) -> web.Response:
    return _json(refunds.page(_sim(request), dict(request.query)))


async def retrieve_refund(request: web.Request) -> web.Response:
    return _json(refunds.retrieve(_sim(request), request.match_info["id"]))


async def create_tracker(request: web.Request) -> web.Response:
    tracker = trackers.create(_sim(request), await _body(request))
    return _json_body(trackers.encode(tracker), 200, f"/api/v2/trackers/{tracker['id']}")


async def delete_tracker(request: web.Request) -> web.Response:
    return _json(trackers.delete(_sim(request), request.match_info["id"]))


async def list_trackers(request: web.Request) -> web.Response:
    return _json(trackers.page(_sim(request), request.query))


async def retrieve_tracker(request: web.Request) -> web.Response:
    return _json_body(trackers.encode(trackers.retrieve(_sim(request), request.match_info["id"])))


# -- batches, scan forms, pickups, rerating, insurance, rates, tracker batches ------------

async def create_batch(request: web.Request) -> web.Response:
    return _json(batches.create(_sim(request), await _body(request)))


async def list_batches(request: web.Request) -> web.Response:
    return _json(batches.page(_sim(request), dict(request.query)))


async def retrieve_batch(request: web.Request) -> web.Response:
    return _json(batches.retrieve(_sim(request), request.match_info["id"]))


async def add_batch_shipments(request: web.Request) -> web.Response:
    return _json(batches.add_shipments(_sim(request), request.match_info["id"],
                                       await _body(request)))


async def remove_batch_shipments(request: web.Request) -> web.Response:
    return _json(batches.remove_shipments(_sim(request), request.match_info["id"],
                                          await _body(request)))


async def buy_batch(request: web.Request) -> web.Response:
    return _json(batches.buy(_sim(request), request.match_info["id"]))


async def label_batch(request: web.Request) -> web.Response:
    return _json(batches.label(_sim(request), request.match_info["id"], await _body(request)))


async def create_batch_scan_form(request: web.Request) -> web.Response:
    return _json(batches.create_scan_form(_sim(request), request.match_info["id"]))


async def create_scan_form(request: web.Request) -> web.Response:
    return _json(scan_forms.create(_sim(request), await _body(request)))


async def list_scan_forms(request: web.Request) -> web.Response:
    return _json(scan_forms.page(_sim(request), dict(request.query)))


async def retrieve_scan_form(request: web.Request) -> web.Response:
    return _json(scan_forms.retrieve(_sim(request), request.match_info["id"]))


async def create_pickup(request: web.Request) -> web.Response:
    return _json(pickups.create(_sim(request), await _body(request)))


async def list_pickups(request: web.Request) -> web.Response:
    return _json(pickups.page(_sim(request), dict(request.query)))


async def retrieve_pickup(request: web.Request) -> web.Response:
    return _json(pickups.retrieve(_sim(request), request.match_info["id"]))


async def buy_pickup(request: web.Request) -> web.Response:
    return _json(pickups.buy(_sim(request), request.match_info["id"], await _body(request)))


async def cancel_pickup(request: web.Request) -> web.Response:
    return _json(pickups.cancel(_sim(request), request.match_info["id"]))


async def rerate_shipment(request: web.Request) -> web.Response:
    return _json(shipment_rates.regenerate_rates(_sim(request), request.match_info["id"]))


async def insure_shipment(request: web.Request) -> web.Response:
    shipment = shipment_rates.insure(_sim(request), request.match_info["id"],
                                     await _body(request))
    return _shipment_json(shipment)


async def retrieve_rate(request: web.Request) -> web.Response:
    return _json(shipment_rates.retrieve_rate(_sim(request), request.match_info["id"]))


async def retrieve_tracker_batch(request: web.Request) -> web.Response:
    return _json(trackers.retrieve_batch(_sim(request), await _body(request)))


async def batch_label_file(request: web.Request) -> web.Response:
    """A batch's merged label file; no auth, like label files. State is read here, on the
    loop's thread; only the rendering runs in a worker thread."""
    contents, ext = batches.label_contents(_sim(request), request.match_info["name"])
    data = await asyncio.get_running_loop().run_in_executor(
        None, batches.merged_label, contents, ext)
    return web.Response(body=data, content_type=labels.CONTENT_TYPES[ext])


async def scan_form_file(request: web.Request) -> web.Response:
    """A scan form's PDF; no auth, like label files."""
    form = scan_forms.form_of_file(_sim(request), request.match_info["name"])
    data = await asyncio.get_running_loop().run_in_executor(None, scan_forms.pdf, form)
    return web.Response(body=data, content_type=scan_forms.CONTENT_TYPE)


def _add_warehouse_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/v2/batches", list_batches)
    router.add_post("/v2/batches/{id}/add_shipments", add_batch_shipments)
    router.add_post("/v2/batches/{id}/remove_shipments", remove_batch_shipments)
    router.add_post("/v2/batches/{id}/buy", buy_batch)
    router.add_post("/v2/batches/{id}/label", label_batch)
    router.add_post("/v2/batches/{id}/scan_form", create_batch_scan_form)
    router.add_post("/v2/scan_forms", create_scan_form)
    router.add_get("/v2/scan_forms", list_scan_forms)
    router.add_get("/v2/scan_forms/{id}", retrieve_scan_form)
    router.add_post("/v2/pickups", create_pickup)
    router.add_get("/v2/pickups", list_pickups)
    router.add_get("/v2/pickups/{id}", retrieve_pickup)
    router.add_post("/v2/pickups/{id}/buy", buy_pickup)
    router.add_post("/v2/pickups/{id}/cancel", cancel_pickup)
    router.add_post("/v2/shipments/{id}/rerate", rerate_shipment)
    router.add_post("/v2/shipments/{id}/insure", insure_shipment)
    router.add_get("/v2/rates/{id}", retrieve_rate)
    router.add_post("/v2/trackers/batch", retrieve_tracker_batch)
    router.add_get("/_sim/batch_labels/{name}", batch_label_file)
    router.add_get("/_sim/scan_forms/{name}", scan_form_file)

# -- end of batches, scan forms, pickups... -----------------------------------------------


async def create_claim(request: web.Request) -> web.Response:
    return _json(batches.create_claim(await _body(request)))


async def stats(request: web.Request) -> web.Response:
    return _json(request.app[RUNTIME].stats())


async def reset(request: web.Request) -> web.Response:
    """Clear the state: only with a key the simulator accepts, like every API call."""
    authorise(request, request.app[RUNTIME].config)
    request.app[RUNTIME].reset()
    return _json({"reset": True})


async def label_file(request: web.Request) -> web.Response:
    """A label file; no auth, like the real API's pre-signed S3 URLs."""
    label_id, _, ext = request.match_info["name"].rpartition(".")
    if ext not in labels.CONTENT_TYPES:
        raise not_found()
    found = _sim(request).store.by_lookup("shipment", label_id)
    if not found:
        raise not_found()
    content = labels.content_of(found[0])
    data = await asyncio.get_running_loop().run_in_executor(None, labels.render, content, ext)
    return web.Response(body=data, content_type=labels.CONTENT_TYPES[ext])


# Carrier accounts, customs and parcels.
async def list_carrier_accounts(request: web.Request) -> web.Response:
    return web.Response(body=dumps(carrier_accounts.all_accounts(_sim(request))),
                        content_type="application/json", charset="utf-8")


async def retrieve_carrier_account(request: web.Request) -> web.Response:
    return _json(carrier_accounts.retrieve(_sim(request), request.match_info["id"]))


async def create_customs_item(request: web.Request) -> web.Response:
    return _json(customs.create_item(_sim(request), await _body(request)), 201)


async def retrieve_customs_item(request: web.Request) -> web.Response:
    return _json(customs.retrieve(_sim(request), "customs_item", request.match_info["id"]))


async def create_customs_info(request: web.Request) -> web.Response:
    return _json(customs.create_info(_sim(request), await _body(request)), 201)


async def retrieve_customs_info(request: web.Request) -> web.Response:
    return _json(customs.retrieve(_sim(request), "customs_info", request.match_info["id"]))


async def create_parcel(request: web.Request) -> web.Response:
    return _json(parcels.create(_sim(request), await _body(request)), 201)


async def retrieve_parcel(request: web.Request) -> web.Response:
    return _json(parcels.retrieve(_sim(request), request.match_info["id"]))


async def form_file(request: web.Request) -> web.Response:
    """A customs form's PDF; no auth, like the label files."""
    form_id, _, ext = request.match_info["name"].rpartition(".")
    if ext != "pdf":
        raise not_found()
    data = await asyncio.get_running_loop().run_in_executor(
        None, customs.form_pdf, _sim(request), form_id)
    return web.Response(body=data, content_type="application/pdf")


def _add_account_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/v2/carrier_accounts", list_carrier_accounts)
    router.add_get("/v2/carrier_accounts/{id}", retrieve_carrier_account)
    router.add_post("/v2/customs_items", create_customs_item)
    router.add_get("/v2/customs_items/{id}", retrieve_customs_item)
    router.add_post("/v2/customs_infos", create_customs_info)
    router.add_get("/v2/customs_infos/{id}", retrieve_customs_info)
    router.add_post("/v2/parcels", create_parcel)
    router.add_get("/v2/parcels/{id}", retrieve_parcel)
    router.add_get("/_sim/forms/{name}", form_file)


async def _flush_ledger(app: web.Application) -> Any:
    """Flush request counters every second, and once more on shutdown."""
    runtime = app[RUNTIME]

    async def loop() -> None:
        while True:
            await asyncio.sleep(1.0)
            runtime.ledger.flush()

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    runtime.ledger.flush()


def build_app(config: SimulatorConfig, store: Store) -> web.Application:
    app = web.Application(middlewares=[ledger_middleware],
                          client_max_size=8 * 1024 * 1024)
    app[RUNTIME] = Runtime(config, store)
    app.cleanup_ctx.append(_flush_ledger)
    app.router.add_post("/v2/addresses", create_address)
    app.router.add_post("/v2/addresses/create_and_verify", create_and_verify_address)
    app.router.add_get("/v2/addresses", list_addresses)
    app.router.add_get("/v2/addresses/{id}", retrieve_address)
    app.router.add_get("/v2/addresses/{id}/verify", verify_address)
    app.router.add_post("/v2/shipments", create_shipment)
    app.router.add_get("/v2/shipments", list_shipments)
    app.router.add_get("/v2/shipments/{id}", retrieve_shipment)
    app.router.add_post("/v2/shipments/{id}/buy", buy_shipment)
    app.router.add_get("/v2/shipments/{id}/label", convert_label)
    app.router.add_post("/v2/shipments/{id}/refund", refund_shipment)
    app.router.add_post("/v2/refunds", create_refunds)
    app.router.add_get("/v2/refunds", list_refunds)
    app.router.add_get("/v2/refunds/{id}", retrieve_refund)
    app.router.add_post("/v2/trackers", create_tracker)
    app.router.add_get("/v2/trackers", list_trackers)
    app.router.add_get("/v2/trackers/{id}", retrieve_tracker)
    app.router.add_delete("/v2/trackers/{id}", delete_tracker)
    app.router.add_post("/v2/batches", create_batch)
    app.router.add_get("/v2/batches/{id}", retrieve_batch)
    _add_warehouse_routes(app.router)
    app.router.add_post("/v2/claims", create_claim)
    app.router.add_get("/_sim/stats", stats)
    app.router.add_post("/_sim/reset", reset)
    app.router.add_get("/_sim/labels/{name}", label_file)
    _add_account_routes(app.router)
    return app
