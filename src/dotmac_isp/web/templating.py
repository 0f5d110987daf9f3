"""The Jinja environment, CSRF tokens and the sign-in redirect shared by every page."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from dotmac_isp import __version__
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import MAX_OFFSET
from dotmac_isp.shared.web_errors import error_response
from dotmac_isp.web.numbers import readable_count

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = PACKAGE_DIR / "web" / "static"
TEMPLATE_DIRS = [PACKAGE_DIR / "web" / "templates",
                 *sorted(p for p in (PACKAGE_DIR / "modules").glob("**/templates") if p.is_dir())]
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

_env = Environment(loader=FileSystemLoader([str(p) for p in TEMPLATE_DIRS]),
                   autoescape=select_autoescape(["html"]), auto_reload=False)
templates = Jinja2Templates(env=_env)
_env.globals["version"] = __version__
_env.globals["max_offset"] = MAX_OFFSET
_env.filters["readable_count"] = readable_count


class LoginRequired(Exception):
    """The page needs a signed-in staff user."""

    def __init__(self, next_path: str = "/admin", login_path: str = "/admin/login"):
        self.next_path = next_path
        self.login_path = login_path


class CsrfFailed(AppError):
    """The form has expired; reload the page and try again."""

    status_code = 403
    code = "csrf_failed"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def verify_csrf(request: Request) -> dict[str, Any]:
    """Check the form's (or HTMX header's) CSRF token against the session; returns the form."""
    form = dict(await request.form())
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = request.session.get("csrf") or ""
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfFailed()
    return form


def flash(request: Request, message: str) -> None:
    """A message shown once on the next page rendered for this session."""
    request.session.setdefault("flashes", []).append(message)


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    ctx = {"csrf_token": csrf_token(request), **(context or {})}
    pending = request.session.pop("flashes", [])
    if pending:
        ctx["flashes"] = [*ctx.get("flashes", []), *pending]
    ctx.setdefault("principal", getattr(request.state, "principal", None))
    ctx.setdefault("brand", getattr(request.state, "brand", None))  # a reseller's, in portal
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def is_page(request: Request) -> bool:
    return request.url.path.startswith(("/admin", "/portal"))


def install_web_handlers(app: FastAPI) -> None:
    async def csrf_failed(request: Request, exc: Exception) -> Response:
        return render(request, "error.html", {"title": "Form expired",
                                              "message": CsrfFailed.__doc__}, status_code=403)

    async def app_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        if not is_page(request):
            return error_response(exc)
        titles = {403: "Not allowed", 404: "Not found", 409: "Not possible now"}
        return render(request, "error.html", {
            "title": titles.get(exc.status_code, "Something is wrong"),
            "message": exc.detail, "current_user": getattr(request.state, "admin_user", None),
        }, status_code=exc.status_code)

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"{exc.login_path}?next={exc.next_path}", status_code=303)

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfFailed, csrf_failed)
