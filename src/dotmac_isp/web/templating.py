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


class LoginRequired(Exception):
    """The page needs a signed-in staff user."""

    def __init__(self, next_path: str = "/admin"):
        self.next_path = next_path


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


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    ctx = {"csrf_token": csrf_token(request), **(context or {})}
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def install_web_handlers(app: FastAPI) -> None:
    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/admin/login?next={exc.next_path}", status_code=303)

    async def csrf_failed(request: Request, exc: Exception) -> Response:
        return render(request, "error.html", {"title": "Form expired",
                                              "message": CsrfFailed.__doc__}, status_code=403)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfFailed, csrf_failed)
