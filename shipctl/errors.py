"""The error tree and exit codes of shipctl.

Each error class's docstring is its default message. The CLI turns any `ShipctlError`
into one red line on stderr and exits with the error's `exit_code`. The tree:

    ShipctlError
    ├── ConfigError
    │   └── MissingApiKeyError
    ├── DatabaseError
    │   ├── DatabaseConfigError
    │   └── EmbeddedDatabaseError
    ├── InputError
    ├── OutputError
    └── CarrierError              EasyPost refused the request, or did not answer
        ├── CarrierAuthError      401
        ├── NoMatchingRateError
        ├── OutcomeUnknownError
        ├── CarrierInputError     400, 422 ─┐ in carrier/errors.py, with their subclasses
        └── CarrierTransientError 429, 5xx ─┘ and `classify`, the map from the SDK's errors
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    SUCCESS = 0
    PARTIAL_FAILURE = 1
    BAD_INPUT = 2
    CONFIGURATION = 3
    EXCEPTIONS_FOUND = 4
    CARRIER = 5
    DATABASE = 6
    OUTPUT = 7
    CARRIER_UNREACHABLE = 8
    INTERRUPTED = 130


class ShipctlError(Exception):
    """shipctl failed."""

    exit_code: ExitCode = ExitCode.PARTIAL_FAILURE

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigError(ShipctlError):
    """The configuration is invalid."""

    exit_code = ExitCode.CONFIGURATION


class MissingApiKeyError(ConfigError):
    """No EasyPost API key: set EASYPOST_API_KEY, or pass --simulate to use the simulator."""


class DatabaseError(ShipctlError):
    """The database could not be reached."""

    exit_code = ExitCode.DATABASE


class DatabaseConfigError(DatabaseError):
    """The database in DATABASE_URL could not be used."""

    exit_code = ExitCode.CONFIGURATION


class EmbeddedDatabaseError(DatabaseError):
    """The embedded PostgreSQL could not be started."""

    exit_code = ExitCode.CONFIGURATION


class InputError(ShipctlError):
    """The input is invalid."""

    exit_code = ExitCode.BAD_INPUT


class CarrierError(ShipctlError):
    """EasyPost refused the request."""

    exit_code = ExitCode.CARRIER

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class OutcomeUnknownError(CarrierError):
    """A buy was sent and EasyPost's answer was lost; whether it went through is not known yet.

    Never a failure: the order keeps its shipment id, and the next run retrieves the shipment
    before doing anything else with the order.
    """

    exit_code = ExitCode.PARTIAL_FAILURE

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, code="OUTCOME_UNKNOWN")


class OutputError(ShipctlError):
    """Labels were bought, but an output file could not be written."""

    exit_code = ExitCode.OUTPUT


class CarrierAuthError(CarrierError):
    """EasyPost rejected the API key (401)."""

    exit_code = ExitCode.CONFIGURATION


class NoMatchingRateError(CarrierError):
    """No rate matches the rate rule."""

    exit_code = ExitCode.PARTIAL_FAILURE
