"""API errors in EasyPost's JSON shape: {"error": {"code", "message", "errors"}}."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the API answers with; `errors` holds field errors (objects) or strings."""

    def __init__(
        self, status: int, code: str, message: str, errors: list[Any] | None = None,
        *, retry_after: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "errors": self.errors}}


def field_error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def not_found(message: str = "The requested resource could not be found.") -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def required(field: str) -> ApiError:
    return ApiError(
        422, "PARAMETER.REQUIRED", "Missing required parameter.",
        [field_error(field, "cannot be blank")],
    )


def invalid(field: str, message: str) -> ApiError:
    return ApiError(
        422, "PARAMETER.INVALID", "Invalid parameter.", [field_error(field, message)]
    )
