"""The official EasyPost client, with a connection pool sized to the calls in flight."""

from __future__ import annotations

import functools
import os
import threading
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from easypost import EasyPostClient

DEFAULT_API_BASE = "https://api.easypost.com/v2"


class ResponseHeaders(threading.local):
    """The status and Retry-After of the last response seen by this thread.

    The SDK's exceptions carry the body and status but not the headers; its response hook
    does see them, in the thread that made the call, which is the thread the executor reads.
    """

    status: int | None = None
    retry_after: float | None = None

    def clear(self) -> None:
        self.status = None
        self.retry_after = None

    def record(self, *, http_status: int, headers: Any, **_: Any) -> None:
        self.status = http_status
        self.retry_after = parse_retry_after(headers.get("Retry-After") if headers else None)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header in seconds; an HTTP date is read as "soon" (1 s)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return 1.0


def make_client(
    api_key: str, *, api_base: str | None, timeout: float, concurrency: int
) -> EasyPostClient:
    """An `EasyPostClient` whose requests pool holds `concurrency` connections and never retries.

    The SDK mounts `HTTPAdapter(max_retries=3)` with 10 connections: more threads than that
    wait for a connection (or open throwaway ones), and urllib3 would resend a POST whose
    connection broke, which for a buy could mean a second label. Retrying is the executor's
    job, where the safe-buy rules apply.
    """
    import easypost
    from easypost.constant import API_VERSION
    from requests.utils import get_environ_proxies

    base = (api_base or DEFAULT_API_BASE).rstrip("/")
    client = easypost.EasyPostClient(api_key, api_base=base, timeout=timeout)  # type: ignore[arg-type]
    adapter = _adapter_class()(pool_connections=1, pool_maxsize=concurrency, max_retries=0)
    adapter.ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    session = client._requests_session
    session.mount(prefix=base.split(f"/{API_VERSION}")[0], adapter=adapter)
    # requests reads ~/.netrc and the proxy variables on every call (trust_env); read the
    # environment once here instead, so proxies and CA bundles still apply.
    session.proxies.update(get_environ_proxies(base))  # honours NO_PROXY for this base
    session.trust_env = False
    return client


@functools.cache
def _adapter_class() -> type[Any]:
    """The adapter class, defined on first use: importing requests is left to the first call."""
    from requests.adapters import HTTPAdapter

    class CABundleAdapter(HTTPAdapter):
        """Verifies TLS against REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE when one is set.

        The SDK passes `verify=True` on every call, which outranks `session.verify`; with
        trust_env off, requests would no longer swap in the bundle from the environment.
        """

        ca_bundle: str | None = None

        def send(self, request: Any, stream: bool = False, timeout: Any = None,
                 verify: bool | str = True, cert: Any = None, proxies: Any = None) -> Any:
            if verify is True and self.ca_bundle:
                verify = self.ca_bundle
            return super().send(request, stream=stream, timeout=timeout, verify=verify,
                                cert=cert, proxies=proxies)

    return CABundleAdapter


def request_json(
    client: EasyPostClient, method: Literal["GET", "POST"], path: str,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The SDK's own request (headers, hooks, error classes) with the reply as decoded JSON.

    The one way carrier/ calls the SDK, inside `CarrierExecutor.call`. The service methods
    turn every reply into EasyPostObjects, which shipctl turned straight back into dicts: two
    walks over every rate, in a worker thread holding the GIL, for each call. `path` is below
    the API base, as the SDK's services build it (`/shipments/{id}/buy`).
    """
    from easypost.requestor import RequestMethod, Requestor

    return Requestor(client).request(method=RequestMethod[method], url=path, params=params)


def pool_size(client: EasyPostClient) -> int:
    """Connections the client keeps for its API base (for tests and `config` displays)."""
    adapter = client._requests_session.get_adapter(client.api_base)
    return int(getattr(adapter, "_pool_maxsize", 0))
