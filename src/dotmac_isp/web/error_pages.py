"""Errors on /admin and /portal pages render as HTML pages; the API keeps its JSON errors.

Each JSON handler already installed on the app is wrapped: a page request gets error.html
with the same status and the handler's own message, any other request the JSON unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dotmac_isp.shared.errors import AppError
from dotmac_isp.web.templating import LoginRequired, csrf_token, is_page, templates

Handler = Callable[[Request, Exception], Awaitable[Response]]
TITLES = {400: "Bad request", 403: "Not allowed", 404: "Not found",
          405: "Not possible here", 409: "Not possible now", 413: "Too large",
          422: "Please check the input", 503: "Temporarily unavailable",
          500: "Something went wrong"}
MESSAGES = {404: "There is no such page, or the record does not exist (it may have been "
                 "removed, or the link is wrong).",
            500: "An unexpected error occurred. It has been logged; try again, and if it "
                 "keeps happening tell your administrator."}


def render_error_page(request: Request, status_code: int, message: str,
                      title: str | None = None) -> HTMLResponse:
    """error.html for a page request, also where no session is at hand (an error raised
    outside the session middleware) or the request's transaction has failed."""
    has_session = "session" in request.scope
    portal = request.url.path.startswith("/portal")
    context: dict[str, Any] = {
        "title": title or TITLES.get(status_code, "Something is wrong"),
        "message": message, "status_code": status_code,
        "current_user": None if portal else getattr(request.state, "admin_user", None),
        "principal": None,
        "csrf_token": csrf_token(request) if has_session else "",
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status_code)


def _path_error(exc: RequestValidationError) -> bool:
    return any(e.get("loc", ("",))[0] == "path" for e in exc.errors())


def _message_of(response: Response) -> str:
    try:
        body = json.loads(bytes(response.body))
    except ValueError:
        return ""
    return str(body.get("detail", "")) if isinstance(body, dict) else ""


def _for_pages(json_handler: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            return await json_handler(request, exc)
        if isinstance(exc, RequestValidationError) and _path_error(exc):
            # /admin/customers/not-a-uuid names no record: the page does not exist.
            return render_error_page(request, 404, MESSAGES[404])
        response = await json_handler(request, exc)
        status = response.status_code
        if status == 404 and isinstance(exc, StarletteHTTPException):
            message = MESSAGES[404]
        elif status >= 500 and status != 503:
            message = MESSAGES[500]
        else:
            message = _message_of(response)
        return render_error_page(request, status, message)
    return handler


def install_error_pages(app: FastAPI) -> None:
    """Wrap the JSON handlers installed so far (call after install_web_handlers, whose
    AppError handler already renders pages)."""
    for key, json_handler in list(app.exception_handlers.items()):
        if isinstance(key, type) and issubclass(key, AppError | LoginRequired):
            continue
        app.add_exception_handler(key, _for_pages(json_handler))  # type: ignore[arg-type]
