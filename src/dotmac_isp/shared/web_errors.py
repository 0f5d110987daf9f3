"""Render every error as JSON {"error": code, "detail": message} with the right status."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
               415: "unsupported_media_type", 422: "validation_failed",
               429: "too_many_requests"}


def error_response(exc: AppError) -> JSONResponse:
    body: dict[str, Any] = {"error": exc.code, "detail": exc.detail, **exc.extra}
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [{"field": _location(e.get("loc", ())), "message": e.get("msg", "invalid")}
              for e in exc.errors()]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
    return JSONResponse({"error": "validation_failed", "detail": detail, "fields": fields},
                        status_code=422)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return JSONResponse({"error": code, "detail": str(exc.detail)}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # A unique or foreign-key constraint caught a race the service checks could not see.
    log.info("integrity error rendered as 409", extra={"error": str(exc).splitlines()[0]})
    return JSONResponse({"error": "conflict",
                         "detail": "the change conflicts with existing data; reload and retry"},
                        status_code=409)


async def _data_error(_request: Request, exc: Exception) -> JSONResponse:
    # A value the database refuses (a NUL character in text, a number out of its range): the
    # request is at fault, not the server.
    log.info("data error rendered as 422", extra={"error": str(exc).splitlines()[0]})
    return JSONResponse({"error": "validation_failed",
                         "detail": "a value in the request cannot be used (for example a NUL "
                                   "character or a number out of range)"}, status_code=422)


async def _stale_data(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "conflict",
                         "detail": "someone else changed this at the same time; reload and retry"},
                        status_code=409)


async def _operational_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable", exc_info=exc)
    return JSONResponse({"error": "unavailable", "detail": "the database is unavailable"},
                        status_code=503)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return JSONResponse({"error": "internal_error", "detail": "an unexpected error occurred"},
                        status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(Exception, _unexpected)
