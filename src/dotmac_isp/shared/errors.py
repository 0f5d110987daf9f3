"""The error hierarchy: each class carries the HTTP status it is rendered with."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every expected failure. Rendered as {"error": code, "detail": message}."""

    status_code: int = 400
    code: str = "bad_request"

    def __init__(self, detail: str | None = None, *, extra: dict[str, Any] | None = None):
        self.detail = detail or self.__class__.__doc__ or self.code
        self.extra = extra or {}
        super().__init__(self.detail)


class BadRequest(AppError):
    """The request is not acceptable."""


class ValidationFailed(AppError):
    """The input is not valid."""

    status_code = 422
    code = "validation_failed"


class Unauthorized(AppError):
    """Authentication is required or has failed."""

    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    """You do not have permission to do this."""

    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    """The object does not exist."""

    status_code = 404
    code = "not_found"


class Conflict(AppError):
    """The request conflicts with the current state."""

    status_code = 409
    code = "conflict"


class InvalidState(AppError):
    """The object is not in a state that allows this."""

    status_code = 422
    code = "invalid_state"


class TooManyRequests(AppError):
    """Too many attempts; try again later."""

    status_code = 429
    code = "too_many_requests"
