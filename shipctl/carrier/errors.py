"""EasyPost's exceptions as shipctl errors: EasyPost's code, field errors in plain words.

The SDK's exceptions are classified once here (rate limited, server error, timeout, dropped
connection, or a definite answer) so the executor's retry rules and the safe buy read one
`Failure` instead of a dozen exception classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shipctl.errors import CarrierAuthError, CarrierError, ExitCode

FailureKind = Literal["rate_limited", "server_error", "timeout", "connection", "answer"]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class CarrierTransientError(CarrierError):
    """EasyPost did not give a definite answer (server error, timeout or dropped connection)."""

    def __init__(
        self, message: str | None = None, *, code: str | None = None, kind: FailureKind,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.kind = kind
        self.http_status = http_status


class CarrierInputError(CarrierError):
    """EasyPost refused the request's contents (422): the input needs fixing, not a retry."""

    exit_code = ExitCode.BAD_INPUT


class AddressVerificationError(CarrierInputError):
    """EasyPost could not verify the address."""


@dataclass(frozen=True)
class Failure:
    """What one failed SDK call amounts to, for the retry rules."""

    kind: FailureKind
    http_status: int | None
    code: str | None
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind != "answer"

    @property
    def request_may_have_taken_effect(self) -> bool:
        """A 429 was refused before anything happened; the other transient kinds are unknown."""
        return self.kind in ("server_error", "timeout", "connection")


def classify(error: BaseException, status: int | None, retry_after: float | None) -> Failure:
    """Classify an SDK exception; `status` is the HTTP status the response hook saw, if any."""
    from easypost.errors import ApiError, HttpError
    from easypost.errors import TimeoutError as EasyPostTimeout

    code = getattr(error, "code", None) if isinstance(error, ApiError) else None
    http_status = getattr(error, "http_status", None) or status
    if isinstance(error, EasyPostTimeout) and http_status in (None, 408):
        return Failure("timeout", http_status, code or "TIMEOUT")
    if isinstance(error, HttpError) and http_status is None:
        return Failure("connection", None, code or "CONNECTION_ERROR")
    if http_status == 429:
        return Failure("rate_limited", 429, code or "RATE_LIMITED", retry_after)
    if http_status in RETRYABLE_STATUSES:
        return Failure("server_error", http_status, code, retry_after)
    return Failure("answer", http_status, code)


def to_carrier_error(error: BaseException, failure: Failure, *, name: str) -> CarrierError:
    """The shipctl error for a final failure of the call `name`; never quotes the API key."""
    if failure.http_status == 401:
        return CarrierAuthError("EasyPost rejected the API key (401): check EASYPOST_API_KEY")
    if failure.kind == "timeout":
        return CarrierTransientError(
            f"{name}: EasyPost did not answer in time", code="TIMEOUT", kind="timeout"
        )
    if failure.kind == "connection":
        return CarrierTransientError(
            f"{name}: the connection to EasyPost failed", code="CONNECTION_ERROR",
            kind="connection",
        )
    text = describe(error)
    if failure.kind == "rate_limited":
        return CarrierTransientError(
            f"{name}: EasyPost kept refusing with 429 (rate limited): {text}",
            code=failure.code or "RATE_LIMITED", kind="rate_limited", http_status=429,
        )
    if failure.kind == "server_error":
        return CarrierTransientError(
            f"{name}: EasyPost answered {failure.http_status}: {text}",
            code=failure.code or f"HTTP_{failure.http_status}", kind="server_error",
            http_status=failure.http_status,
        )
    if failure.code == "ADDRESS.VERIFY.FAILURE":
        return AddressVerificationError(f"address verification failed: {text}", code=failure.code)
    code = failure.code or _status_code(failure.http_status)
    if failure.http_status in (400, 422):
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


def field_messages(errors: Any) -> list[str]:
    """`field: message` for each of EasyPost's field errors (objects or plain strings)."""
    if not isinstance(errors, list):
        return []
    out: list[str] = []
    for item in errors:
        if isinstance(item, dict):
            field = item.get("field")
            message = str(item.get("message") or item.get("code") or "").strip()
            suggestion = item.get("suggestion")
            text = f"{field}: {message}" if field else message
            if suggestion:
                text += f" (did you mean {suggestion}?)"
            if text:
                out.append(text)
        elif item:
            out.append(str(item))
    return out
