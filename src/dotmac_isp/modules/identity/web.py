"""Staff pages: sign in and out, and password reset (the /admin landing page is in reports)."""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.identity import auth, notify, setup_state
from dotmac_isp.modules.identity.deps import (
    SETUP_PATH,
    AppSettings,
    DbSession,
    end_web_session,
    start_web_session,
)
from dotmac_isp.sdks.platform.repositories.auth import CredentialLookup
from dotmac_isp.shared.errors import AppError
from dotmac_isp.web.templating import render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths under /admin, so the sign-in page cannot redirect elsewhere."""
    if not target:
        return "/admin"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith("/admin"):
        return "/admin"
    return parsed.path


@router.get("/login", response_class=HTMLResponse, response_model=None)
def login_page(request: Request, session: DbSession, next: str | None = None) -> Response:
    if setup_state.setup_pending(request.app.state, session):
        return RedirectResponse(SETUP_PATH, status_code=303)  # nobody could sign in yet
    return render(request, "identity/login.html", {"next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request, session: DbSession, settings: AppSettings) -> Response:
    form = await verify_csrf(request)
    email = str(form.get("email", "")).strip()
    next_path = _safe_next(str(form.get("next", "")))
    if not email or not form.get("password"):
        return render(request, "identity/login.html",
                      {"error": "Enter your email and password.", "email": email,
                       "next": next_path}, status_code=422)
    result = auth.verify_credentials(session, settings, email, str(form["password"]),
                                     str(form.get("totp_code") or "") or None)
    if result.error is not None or result.user is None:
        error = result.error or AppError("sign-in failed")
        return render(request, "identity/login.html", {
            "error": error.detail, "email": email, "next": next_path,
            "ask_totp": isinstance(error, auth.TotpRequired) or bool(form.get("totp_code")),
        }, status_code=error.status_code)
    start_web_session(request, session, result.user)
    return RedirectResponse(next_path, status_code=303)


@router.post("/logout")
async def logout(request: Request, session: DbSession) -> Response:
    await verify_csrf(request)
    end_web_session(request, session)
    return RedirectResponse("/admin/login", status_code=303)


@router.get("/forgot-password", response_class=HTMLResponse)
def forgot_page(request: Request) -> HTMLResponse:
    return render(request, "identity/forgot_password.html")


@router.post("/forgot-password", response_class=HTMLResponse)
async def forgot_submit(request: Request, session: DbSession, settings: AppSettings) -> Response:
    form = await verify_csrf(request)
    email = str(form.get("email", "")).strip()
    user = CredentialLookup(session).user_by_email(email) if email else None
    if user is not None and user.is_active:
        raw, _token = auth.issue_password_reset(session, settings, user)
        notify.queue_password_reset_email(session, settings, user.email, raw)
    return render(request, "identity/forgot_password.html", {"sent": True})


@router.get("/reset-password", response_class=HTMLResponse)
def reset_page(request: Request, token: str = "") -> HTMLResponse:
    return render(request, "identity/reset_password.html", {"token": token})


@router.post("/reset-password", response_class=HTMLResponse)
async def reset_submit(request: Request, session: DbSession, settings: AppSettings) -> Response:
    form = await verify_csrf(request)
    token = str(form.get("token", ""))
    password = str(form.get("password", ""))
    if password != str(form.get("password_confirm", "")):
        return render(request, "identity/reset_password.html",
                      {"token": token, "error": "The two passwords differ."}, status_code=422)
    try:
        auth.reset_password(session, settings, token, password)
    except AppError as exc:
        session.rollback()
        return render(request, "identity/reset_password.html",
                      {"token": token, "error": exc.detail}, status_code=exc.status_code)
    return render(request, "identity/login.html",
                  {"flashes": ["Your password has been changed. Sign in with it now."],
                   "next": "/admin"})
