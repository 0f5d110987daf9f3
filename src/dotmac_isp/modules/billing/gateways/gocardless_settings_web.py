"""Staff page for the tenant's GoCardless account: sandbox or live, the access token and
webhook secret (write-only, kept encrypted) and the webhook address to give GoCardless."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import gocardless_accounts as gc_accounts
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/settings/payments/gocardless", include_in_schema=False)
P = Permission
LABELS = {"mode": "Environment", "access_token": "Access token",
          "webhook_secret": "Webhook secret"}


def _page(request: Request, session: DbSession, settings: Settings, user: User,
          form: dict[str, object] | None = None, errors: FormErrors | None = None,
          status_code: int = 200) -> HTMLResponse:
    account = gc_accounts.find(session, user.tenant_id)
    webhook_url = (f"{settings.public_url.rstrip('/')}/webhooks/gocardless/{account.id}"
                   if account else "")
    values = form or {"mode": account.mode if account else "sandbox",
                      "is_enabled": account.is_enabled if account else True}
    return render(request, "gateways/gocardless_settings.html", {
        "current_user": user, "account": account, "form": values,
        "errors": errors or FormErrors(LABELS), "webhook_url": webhook_url},
        status_code=status_code)


@router.get("", response_class=HTMLResponse)
def gocardless_settings(request: Request, session: DbSession, settings: AppSettings,
                        user: User = page_permission(P.TENANT_WRITE)) -> HTMLResponse:
    return _page(request, session, settings, user)


@router.post("", response_class=HTMLResponse)
async def save_gocardless_settings(request: Request, session: DbSession, settings: AppSettings,
                                   user: User = page_permission(P.TENANT_WRITE)) -> Response:
    form = await verify_csrf(request)
    data = gc_accounts.GoCardlessInput(
        mode=str(form.get("mode", "sandbox")), access_token=str(form.get("access_token", "")),
        webhook_secret=str(form.get("webhook_secret", "")),
        is_enabled=form.get("is_enabled") == "on")
    try:
        with session.begin_nested():
            gc_accounts.save(session, settings, user.tenant_id, data)
    except ValidationFailed as exc:
        errors = FormErrors(LABELS)
        errors.refusal(exc)
        shown = {"mode": data.mode, "is_enabled": data.is_enabled}
        return _page(request, session, settings, user, shown, errors, 422)
    flash(request, "Direct debit settings saved.")
    return RedirectResponse("/admin/settings/payments/gocardless", status_code=303)
