"""EasyPost's exceptions as shipctl errors: the class is the classification.

`classify` is the one map from what the SDK raised (and the HTTP status its response hook
saw) to a shipctl error. The executor's retry rules and counters, the safe buy and refunds
read the class: no kind strings, no status checks after this module. The carrier part of the
tree (`shipctl.errors` holds its top):

    CarrierError                      EasyPost gave a definite "no" (any other status)
    ├── CarrierAuthError              401: the API key was rejected (shipctl.errors)
    ├── NoMatchingRateError           no offered rate fits the rate rule (shipctl.errors)
    ├── OutcomeUnknownError           a buy's answer was lost (shipctl.errors)
    ├── CarrierInputError             400 or 422: fix the input, do not retry
    │   └── AddressVerificationError  ADDRESS.VERIFY.FAILURE
    └── CarrierTransientError         no definite answer: retryable
        ├── RateLimited               429: refused before anything happened
        ├── CarrierServerError        500, 502, 503, 504
        │   └── UnreadableAnswer      a 2xx whose body is not JSON (cut short on the way)
        ├── CarrierTimeout            no answer in time (the SDK's timeout, or 408)
        └── CarrierConnectionError    the connection failed before any HTTP status

A transient error other than `RateLimited` may hide a request that took effect
(`may_have_taken_effect`): a buy is then looked up, never blindly sent again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from shipctl.errors import CarrierAuthError, CarrierError, ExitCode

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class CarrierTransientError(CarrierError):
    """EasyPost did not give a definite answer (server error, timeout or dropped connection)."""

    # Whether the refused or unanswered request may still have been carried out.
    may_have_taken_effect: ClassVar[bool] = True

    def __init__(
        self, message: str | None = None, *, code: str | None = None,
        http_status: int | None = None, retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.http_status = http_status
        self.retry_after = retry_after  # seconds, from the response's Retry-After header


class RateLimited(CarrierTransientError):
    """EasyPost refused the request with 429 (rate limited); nothing was done."""

    may_have_taken_effect = False


class CarrierServerError(CarrierTransientError):
    """EasyPost answered with a server error (5xx)."""


class UnreadableAnswer(CarrierServerError):
    """EasyPost answered 2xx but the body could not be read (cut short, or not JSON): the
    request took effect, its answer is lost."""


class CarrierTimeout(CarrierTransientError):
    """EasyPost did not answer in time."""


class CarrierConnectionError(CarrierTransientError):
    """EasyPost unreachable: the connection failed (network, DNS, proxy or EASYPOST_API_BASE)."""

    exit_code = ExitCode.CARRIER_UNREACHABLE


class CarrierInputError(CarrierError):
    """EasyPost refused the request's contents (422): the input needs fixing, not a retry."""

    exit_code = ExitCode.BAD_INPUT


class AddressVerificationError(CarrierInputError):
    """EasyPost could not verify the address."""


def classify(
    error: BaseException, status: int | None, retry_after: float | None, *, name: str = "call"
) -> CarrierError:
    """The shipctl error for an SDK exception raised by the call `name`.

    `status` and `retry_after` are what the response hook saw, if anything (the SDK's
    exceptions carry no headers). The message never quotes the API key.
    """
    from easypost.errors import ApiError, HttpError, JsonError
    from easypost.errors import TimeoutError as EasyPostTimeout

    code = getattr(error, "code", None) if isinstance(error, ApiError) else None
    http_status = getattr(error, "http_status", None) or status
    if isinstance(error, EasyPostTimeout) and http_status in (None, 408):
        return CarrierTimeout(f"{name}: EasyPost did not answer in time", code="TIMEOUT")
    if isinstance(error, HttpError) and http_status is None:
        return CarrierConnectionError(
            f"{name}: EasyPost unreachable (the connection failed): check the network, "
            "or EASYPOST_API_BASE", code="CONNECTION_ERROR")
    if isinstance(error, JsonError) and (http_status is None or 200 <= http_status < 300):
        return UnreadableAnswer(
            f"{name}: EasyPost's answer could not be read (cut short, or not JSON)",
            code="UNREADABLE_ANSWER", http_status=http_status)
    if http_status == 401:
        return CarrierAuthError("EasyPost rejected the API key (401): check EASYPOST_API_KEY")
    text = describe(error)
    if http_status == 429:
        return RateLimited(f"{name}: EasyPost kept refusing with 429 (rate limited): {text}",
                           code=code or "RATE_LIMITED", http_status=429, retry_after=retry_after)
    if http_status in RETRYABLE_STATUSES:
        return CarrierServerError(f"{name}: EasyPost answered {http_status}: {text}",
                                  code=code or f"HTTP_{http_status}", http_status=http_status,
                                  retry_after=retry_after)
    if code == "ADDRESS.VERIFY.FAILURE":
        return AddressVerificationError(f"address verification failed: {text}", code=code)
    code = code or _status_code(http_status)
    if http_status in (400, 422):
        return CarrierInputError(text, code=code)
    return CarrierError(text, code=code)


def _status_code(status: int | None) -> str | None:
    return None if status is None else f"HTTP_{status}"


def describe(error: BaseException) -> str:
    """EasyPost's message followed by its field errors: `Invalid parameter: parcel.weight …`."""
    message = str(getattr(error, "message", "") or error).strip() or type(error).__name__
    details = field_messages(getattr(error, "errors", None))
    if not details:
        return message
    return f"{message.rstrip('.')}: {'; '.join(details)}"


def field_messages(errors: Any, *, suggestions: bool = True) -> list[str]:
    """`field: message` for each of EasyPost's field errors (objects or plain strings), each
    followed by its suggestion unless the caller shows those itself."""
    if not isinstance(errors, list):
        return []
    out: list[str] = []
    for item in errors:
        if isinstance(item, dict):
            field = item.get("field")
            message = str(item.get("message") or item.get("code") or "").strip()
            suggestion = item.get("suggestion")
            text = f"{field}: {message}" if field else message
            if suggestion and suggestions:
                text += f" (did you mean {suggestion}?)"
            if text:
                out.append(text)
        elif item:
            out.append(str(item))
    return out
