"""A fault-injecting reverse proxy between shipctl and a simulator, for money-safety tests.

    with running_simulator() as sim, fault_proxy(sim.api_base) as proxy:
        proxy.lose_buy_answer(nth=1)          # the buy happens, its answer never arrives,
                                              # and every request after it is dropped
        ... run shipctl with EASYPOST_API_BASE=proxy.api_base ...
        proxy.up()                            # the outage ends

Everything the proxy does is at the HTTP level: shipctl talks to it through the real SDK and
sees what it would see from a failing network or a failing EasyPost. It forwards
`/_sim/stats` too, so shipctl still recognises a loopback simulator (mode `simulated`) unless
`hide_simulator()` is called. Label URLs in the answers keep pointing at the simulator itself.

Rules (all scriptable while shipctl runs, from any thread):
- `lose_buy_answer(nth, down_for)`: forward the nth buy so the purchase happens, then drop
  the client's connection without an answer; then be down for `down_for` seconds
  (`math.inf`: until `up()`); `mode="503"` answers 503 during the outage instead.
- `refuse_buy(nth, down_for)`: drop the nth buy before it reaches the simulator; then down.
- `down(seconds, mode)`: every /v2 request is dropped (`"drop"`) or answered 503 (`"503"`).
- `hang_buys(seconds)`: hold each buy that long before forwarding it (past the client
  timeout, the buy lands after the client gave up).
- `reject_all(status)`: answer every request, /_sim/stats included, with an EasyPost error.
- `lose_answer(key, nth, down_for)`: forward the nth request of `key` from now on (a template
  such as `POST /v2/scan_forms` or `POST /v2/pickups/{id}/buy`), then drop the client's
  connection without its answer; then be down for `down_for` seconds (default: not at all).
- `on_buy(callback)`: call `callback(n, shipment_id)` before forwarding buy number n.
- `at_request(key, nth, when, callback)`: at the nth request of `key` from now, call
  `callback()` (say, `kill -9` the client) `"before"` forwarding it (it never reaches the
  simulator) or `"after"` the simulator answered it (it took effect); the client's
  connection is then dropped without an answer. `clear_at()` forgets rules not reached.
- `counts`: requests seen, by "METHOD /path/{id}/template"; `forwarded`: those sent on;
  `in_flight`: requests being forwarded right now (wait for 0 before reading the ledger
  after killing a client: a buy it sent may still land).
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

BUY = re.compile(r"^/v2/shipments/([^/]+)/buy$")
# An object id (shp_1a2b…) has a digit; a path word with an underscore (scan_forms) has none.
_ID = re.compile(r"^[a-z]+_(?=[0-9A-Za-z]*[0-9])[0-9A-Za-z]+$")
# Hop-by-hop headers and those aiohttp sets itself.
_SKIP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive",
         "content-encoding"}


def template(method: str, path: str) -> str:
    """`POST /v2/shipments/shp_1a2b/buy` → `POST /v2/shipments/{id}/buy`."""
    parts = ["{id}" if _ID.match(p) else p for p in path.split("/")]
    return f"{method} {'/'.join(parts)}"


@dataclass
class BuyRule:
    nth: int
    # "lose" (forward, drop the answer), "refuse" (drop, never forward) or "garble"
    # (forward, then answer with the status but half of the body: a reply cut short)
    action: str
    down_for: float
    mode: str  # the outage that follows: "drop" or "503"


class FaultProxy:
    """The proxy's rules and counters; the server runs on a thread of its own."""

    def __init__(self, target_api_base: str) -> None:
        self.target = target_api_base.removesuffix("/").removesuffix("/v2")
        self.api_base = ""  # set once listening
        self.counts: Counter[str] = Counter()
        self.forwarded: Counter[str] = Counter()
        self.buys = 0
        self.lost: list[str] = []  # shipment ids whose buy answer was lost
        self.refused: list[str] = []  # shipment ids whose buy never reached the simulator
        self._lock = threading.Lock()
        self._rules: dict[int, BuyRule] = {}
        self._down_until = 0.0
        self._down_mode = "drop"
        self._hang = 0.0
        self._reject: int | None = None
        self._hide_stats = False
        self._on_buy: Callable[[int, str], None] | None = None
        # template → the count at which its answer is lost, and the outage that follows
        self._lose: dict[str, tuple[int, BuyRule]] = {}
        self.lost_answers: list[str] = []
        # template → (the count at which to call, "before" or "after", the callback)
        self._at: dict[str, tuple[int, str, Callable[[], None]]] = {}
        self.called_at: list[str] = []  # "when key" of each `at_request` callback called
        self.in_flight = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session: aiohttp.ClientSession | None = None

    # --- rules --------------------------------------------------------------------------

    def lose_buy_answer(self, nth: int = 1, down_for: float = math.inf,
                        mode: str = "drop") -> None:
        with self._lock:
            self._rules[nth] = BuyRule(nth, "lose", down_for, mode)

    def lose_answer(self, key: str, nth: int = 1, down_for: float = 0.0,
                    mode: str = "drop") -> None:
        with self._lock:
            self._lose[key] = (self.counts[key] + nth, BuyRule(nth, "lose", down_for, mode))

    def garble_buy_answer(self, nth: int = 1) -> None:
        """The nth buy lands, and its answer arrives cut in half (not JSON)."""
        with self._lock:
            self._rules[nth] = BuyRule(nth, "garble", 0.0, "drop")

    def at_request(self, key: str, nth: int, when: str, callback: Callable[[], None]) -> None:
        assert when in ("before", "after")
        with self._lock:
            self._at[key] = (self.counts[key] + nth, when, callback)

    def clear_at(self) -> None:
        """Forget the `at_request` rules not reached."""
        with self._lock:
            self._at.clear()

    def refuse_buy(self, nth: int = 1, down_for: float = math.inf, mode: str = "drop") -> None:
        with self._lock:
            self._rules[nth] = BuyRule(nth, "refuse", down_for, mode)

    def down(self, seconds: float = math.inf, mode: str = "drop") -> None:
        assert mode in ("drop", "503")
        with self._lock:
            self._down_until = time.monotonic() + seconds
            self._down_mode = mode

    def up(self) -> None:
        with self._lock:
            self._down_until = 0.0

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def hang_buys(self, seconds: float) -> None:
        self._hang = seconds

    def reject_all(self, status: int | None = 401) -> None:
        self._reject = status

    def hide_simulator(self, hidden: bool = True) -> None:
        """Answer /_sim/stats with 404: shipctl then takes the key's mode (EZTK… → test)."""
        self._hide_stats = hidden

    def on_buy(self, callback: Callable[[int, str], None] | None) -> None:
        self._on_buy = callback

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until no request is being forwarded (a killed client's buy may still land)."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)

    def count(self, key: str) -> int:
        """Requests seen for one template, e.g. `POST /v2/shipments/{id}/buy`."""
        return self.counts[key]

    # --- serving ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        key = template(request.method, request.path)
        with self._lock:
            self.counts[key] += 1
            lose = self._lose[key][1] if self._lose.get(key, (0,))[0] == self.counts[key] \
                else None
            if lose is not None:
                del self._lose[key]
            hook = self._at[key] if self._at.get(key, (0,))[0] == self.counts[key] else None
            if hook is not None:
                del self._at[key]
        if hook is not None and hook[1] == "before":
            self.called_at.append(f"before {key}")
            await asyncio.to_thread(hook[2])
            return _drop(request)
        if self._reject is not None:
            return _error(self._reject)
        if request.path == "/_sim/stats" and self._hide_stats:
            return _error(404)
        api = request.path.startswith("/v2/")
        buy = BUY.match(request.path) if request.method == "POST" else None
        rule: BuyRule | None = None
        if buy and not (api and self.is_down):
            with self._lock:
                self.buys += 1
                number = self.buys
                rule = self._rules.pop(number, None)
            if self._on_buy is not None:
                await asyncio.to_thread(self._on_buy, number, buy.group(1))
            if rule is not None and rule.action == "refuse":
                self.refused.append(buy.group(1))
                self._start_outage(rule)
                return _drop(request)
        if api and self.is_down and rule is None:
            if self._down_mode == "503":
                return _error(503)
            return _drop(request)
        # Once sent, a request lands even if its client gives up or dies (as on a real
        # network): the forwarding runs in a task of its own that the client cannot cancel.
        data = await request.read()
        task = asyncio.create_task(self._forward(request, data, self._hang if buy else 0.0))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            status, headers, body = await asyncio.shield(task)
        except (TimeoutError, aiohttp.ClientError):
            return _drop(request)  # the simulator dropped it (a `drop` fault): pass it on
        if hook is not None:
            self.called_at.append(f"after {key}")
            await asyncio.to_thread(hook[2])
            return _drop(request)
        if lose is not None:
            self.lost_answers.append(key)
            self._start_outage(lose)
            return _drop(request)
        if rule is not None and rule.action == "garble":
            assert buy is not None
            self.lost.append(buy.group(1))
            return web.Response(status=status, body=body[: len(body) // 2],
                                content_type="application/json")
        if rule is not None and rule.action == "lose":
            assert buy is not None
            self.lost.append(buy.group(1))
            self._start_outage(rule)
            return _drop(request)
        return web.Response(status=status, headers=headers, body=body)

    def _start_outage(self, rule: BuyRule) -> None:
        if rule.down_for > 0:
            self.down(rule.down_for, rule.mode)

    async def _forward(self, request: web.Request, data: bytes,
                       hang: float) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.in_flight += 1
        try:
            if hang:
                await asyncio.sleep(hang)
            return await self._send(request, data)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _send(self, request: web.Request, data: bytes) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _SKIP}
        async with self._session.request(
            request.method, self.target + request.path_qs, headers=headers, data=data,
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _SKIP}
            with self._lock:
                self.forwarded[template(request.method, request.path)] += 1
            return answer.status, kept, body


def _drop(request: web.Request) -> web.Response:
    """Close the client's connection without an answer (aiohttp discards the response)."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=599)


_MESSAGES = {
    401: ("APIKEY.INACTIVE", "This api key is no longer active."),
    404: ("NOT_FOUND", "The requested resource could not be found."),
    503: ("SERVICE_UNAVAILABLE", "Service unavailable (proxy)."),
}


def _error(status: int) -> web.Response:
    code, message = _MESSAGES.get(status, ("PROXY.ERROR", "Error (proxy)."))
    return web.json_response({"error": {"code": code, "message": message, "errors": []}},
                             status=status)


@contextmanager
def fault_proxy(target_api_base: str) -> Iterator[FaultProxy]:
    """Serve a FaultProxy on 127.0.0.1, a free port, on a background thread, for the block."""
    proxy = FaultProxy(target_api_base)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> web.AppRunner:
        proxy._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=120), auto_decompress=False)
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", proxy.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2,
                               handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        proxy.api_base = f"http://{host}:{port}/v2"
        return runner

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            state["runner"] = loop.run_until_complete(start())
        except BaseException as error:  # surfaced to the caller below
            state["error"] = error
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
    thread.start()
    started.wait()
    if "error" in state:
        raise state["error"]

    async def stop() -> None:
        await state["runner"].cleanup()
        if proxy._session is not None:
            await proxy._session.close()

    try:
        yield proxy
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()
