"""Staff page for the tenant's card payment gateway: mode, keys (secrets are write-only and
kept encrypted), the webhook address to give Stripe, and the autopay retry schedule."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import accounts, retry_schedule
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/settings/payments", include_in_schema=False)
P = Permission
RETRY_LABELS = {"autopay_retry_days": "Autopay attempts (days after the due date)"}


def _page(request: Request, session: DbSession, settings: Settings, user: User,
          form: dict[str, Any] | None = None, errors: list[str] | None = None,
          status_code: int = 200, retry_typed: str | None = None,
          retry_errors: FormErrors | None = None) -> HTMLResponse:
    account = accounts.find_account(session, user.tenant_id)
    webhook_url = (f"{settings.public_url.rstrip('/')}/webhooks/stripe/{account.id}"
                   if account else "")
    values = form or {"mode": account.mode if account else "test",
                      "publishable_key": account.publishable_key if account else "",
                      "is_enabled": account.is_enabled if account else True}
    own = retry_schedule.tenant_retry_days(session, user.tenant_id)
    return render(request, "gateways/settings.html", {
        "current_user": user, "account": account, "form": values, "errors": errors or [],
        "webhook_url": webhook_url, "retry_labels": RETRY_LABELS,
        "retry_days": retry_schedule.as_text(own) if retry_typed is None else retry_typed,
        "retry_default": retry_schedule.as_text(settings.payments.autopay_retry_days),
        "retry_errors": retry_errors or FormErrors(RETRY_LABELS)}, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def payment_settings(request: Request, session: DbSession, settings: AppSettings,
                     user: User = page_permission(P.TENANT_WRITE)) -> HTMLResponse:
    return _page(request, session, settings, user)


@router.post("", response_class=HTMLResponse)
async def save_payment_settings(request: Request, session: DbSession, settings: AppSettings,
                                user: User = page_permission(P.TENANT_WRITE)) -> Response:
    form = await verify_csrf(request)
    data = accounts.AccountInput(
        mode=str(form.get("mode", "test")), publishable_key=str(form.get("publishable_key", "")),
        secret_key=str(form.get("secret_key", "")),
        webhook_secret=str(form.get("webhook_secret", "")),
        is_enabled=form.get("is_enabled") == "on")
    try:
        with session.begin_nested():
            accounts.save_account(session, settings, user.tenant_id, data)
    except ValidationFailed as exc:
        shown = {"mode": data.mode, "publishable_key": data.publishable_key,
                 "is_enabled": data.is_enabled}
        return _page(request, session, settings, user, shown, [exc.detail], 422)
    flash(request, "Payment gateway settings saved.")
    return RedirectResponse("/admin/settings/payments", status_code=303)


@router.post("/autopay", response_class=HTMLResponse)
async def save_retry_schedule(request: Request, session: DbSession, settings: AppSettings,
                              user: User = page_permission(P.TENANT_WRITE)) -> Response:
    form = await verify_csrf(request)
    typed = str(form.get("autopay_retry_days", ""))
    try:
        with session.begin_nested():
            days = retry_schedule.set_retry_days(session, user.tenant_id, typed)
    except ValidationFailed as exc:
        errors = FormErrors(RETRY_LABELS)
        errors.refusal(exc)
        return _page(request, session, settings, user, retry_typed=typed,
                     retry_errors=errors, status_code=422)
    flash(request, f"Autopay tries due invoices {retry_schedule.describe(days, settings)}.")
    return RedirectResponse("/admin/settings/payments", status_code=303)
