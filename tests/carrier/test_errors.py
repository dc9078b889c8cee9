"""`classify`: the one map from what the SDK raised (and the status the hook saw) to a class."""

from __future__ import annotations

import json

import easypost
import pytest
from easypost.errors import EasyPostError, HttpError, JsonError
from easypost.errors import TimeoutError as EasyPostTimeout
from easypost.requestor import Requestor

from shipctl.carrier.errors import (
    AddressVerificationError,
    CarrierConnectionError,
    CarrierInputError,
    CarrierServerError,
    CarrierTimeout,
    CarrierTransientError,
    RateLimited,
    UnreadableAnswer,
    classify,
)
from shipctl.errors import CarrierAuthError, CarrierError, ExitCode, ShipctlError


def sdk_error(status: int, code: str = "SOME.CODE", message: str = "it went wrong",
              errors: list[object] | None = None) -> EasyPostError:
    """The exception the SDK itself raises for an error reply with `status`."""
    body = json.dumps({"error": {"code": code, "message": message, "errors": errors or []}})
    requestor = Requestor(easypost.EasyPostClient("EZTK-test"))
    try:
        requestor.handle_api_error(status, body, json.loads(body))
    except EasyPostError as error:
        return error
    raise AssertionError(f"the SDK raised nothing for {status}")


@pytest.mark.parametrize(("status", "expected"), [
    (429, RateLimited),
    (500, CarrierServerError),
    (502, CarrierServerError),
    (503, CarrierServerError),
    (504, CarrierServerError),
    (408, CarrierTimeout),
    (401, CarrierAuthError),
    (400, CarrierInputError),
    (422, CarrierInputError),
    (402, CarrierError),
    (404, CarrierError),
    (409, CarrierError),
])
def test_each_status_is_one_class(status: int, expected: type[CarrierError]) -> None:
    error = classify(sdk_error(status), None, None, name="buy")
    assert type(error) is expected
    assert error.exit_code == expected.exit_code


def test_the_sdks_timeout_and_dropped_connection_have_no_status() -> None:
    timeout = classify(EasyPostTimeout("Request timed out."), None, None, name="buy")
    assert type(timeout) is CarrierTimeout
    assert (timeout.code, timeout.message) == ("TIMEOUT", "buy: EasyPost did not answer in time")
    dropped = classify(HttpError("Connection aborted."), None, None, name="buy")
    assert type(dropped) is CarrierConnectionError
    assert dropped.code == "CONNECTION_ERROR"
    assert dropped.message == ("buy: EasyPost unreachable (the connection failed): check the "
                               "network, or EASYPOST_API_BASE")
    assert dropped.exit_code == 8


def test_a_status_only_the_hook_saw_classifies_the_error() -> None:
    # A proxy's HTML 502 page: the SDK raises JsonError without a status.
    html = JsonError("Invalid response body from API: <html>bad gateway</html>")
    server = classify(html, 502, 3.0, name="create shipment")
    assert type(server) is CarrierServerError
    assert (server.http_status, server.code, server.retry_after) == (502, "HTTP_502", 3.0)
    assert server.message.startswith("create shipment: EasyPost answered 502: ")


@pytest.mark.parametrize("status", [200, 201, None])
def test_an_answer_that_cannot_be_read_is_no_refusal(status: int | None) -> None:
    """A 2xx (or no status seen) whose body is cut short: the request may have taken effect,
    so a buy is looked up, never marked failed."""
    cut = JsonError('Invalid response body from API: {"id": "shp_1", "postage_la')
    error = classify(cut, status, None, name="buy")
    assert type(error) is UnreadableAnswer
    assert isinstance(error, CarrierTransientError) and error.may_have_taken_effect
    assert error.code == "UNREADABLE_ANSWER"
    assert error.message == "buy: EasyPost's answer could not be read (cut short, or not JSON)"


def test_rate_limited_carries_retry_after_and_took_no_effect() -> None:
    error = classify(sdk_error(429, "RATE_LIMITED", "slow down"), 429, 2.5, name="buy")
    assert isinstance(error, RateLimited)
    assert (error.http_status, error.code, error.retry_after) == (429, "RATE_LIMITED", 2.5)
    assert error.message == "buy: EasyPost kept refusing with 429 (rate limited): slow down"
    assert not error.may_have_taken_effect
    no_code = classify(sdk_error(429, code=""), 429, None)
    assert no_code.code == "RATE_LIMITED"


@pytest.mark.parametrize("error_class", [CarrierServerError, CarrierTimeout,
                                         CarrierConnectionError])
def test_unanswered_requests_may_have_taken_effect(
    error_class: type[CarrierTransientError],
) -> None:
    assert issubclass(error_class, CarrierTransientError)
    assert error_class.may_have_taken_effect


def test_definite_answers_are_not_transient() -> None:
    for status in (400, 401, 402, 404, 422):
        assert not isinstance(classify(sdk_error(status), None, None), CarrierTransientError)


def test_input_errors_keep_easyposts_code_and_field_messages() -> None:
    error = classify(sdk_error(422, "PARAMETER.INVALID", "Invalid parameters.",
                               [{"field": "parcel.weight", "message": "must be positive"}]),
                     None, None)
    assert type(error) is CarrierInputError
    assert error.code == "PARAMETER.INVALID"
    assert error.message == "Invalid parameters: parcel.weight: must be positive"
    assert error.exit_code == ExitCode.BAD_INPUT


def test_a_failed_verification_is_an_address_verification_error() -> None:
    error = classify(sdk_error(422, "ADDRESS.VERIFY.FAILURE", "Unable to verify address."),
                     None, None)
    assert type(error) is AddressVerificationError
    assert error.message == "address verification failed: Unable to verify address."


def test_a_refused_key_is_a_configuration_error_without_the_key() -> None:
    error = classify(sdk_error(401, "APIKEY.INACTIVE", "EZAKsecret is not active"), 401, None)
    assert type(error) is CarrierAuthError
    assert error.exit_code == ExitCode.CONFIGURATION
    assert "EZAKsecret" not in error.message


def test_status_codes_without_easyposts_code() -> None:
    assert classify(sdk_error(503, code=""), None, None).code == "HTTP_503"
    assert classify(sdk_error(404, code=""), None, None).code == "HTTP_404"


def test_every_carrier_error_is_a_shipctl_error() -> None:
    for error_class in (RateLimited, CarrierServerError, CarrierTimeout, CarrierConnectionError,
                        CarrierInputError, AddressVerificationError, CarrierAuthError):
        assert issubclass(error_class, CarrierError)
        assert issubclass(error_class, ShipctlError)
    assert RateLimited().exit_code == ExitCode.CARRIER
    assert RateLimited().message == "EasyPost refused the request with 429 (rate limited); " \
        "nothing was done."
