"""Staff page for the dunning stages: reminders, final notice, late fee, suspension. The
service checks the stages as a whole; what is wrong is shown on the page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/billing/dunning", include_in_schema=False)
P = Permission
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NUMBERS = ("final_notice_days", "suspend_after_days", "late_fee_after_days")
AMOUNTS = ("late_fee_amount", "reconnection_fee")


def _listed(raw: str) -> list[str]:
    return [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]


def _page(request: Request, user: User, config: dict[str, Any], *,
          errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "billing/dunning.html", {
        "current_user": user, "config": config, "errors": errors or [],
        "weekdays": list(enumerate(WEEKDAYS))}, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def dunning_settings(request: Request, session: DbSession,
                     user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    return _page(request, user, setup.billing_settings(session, user.tenant_id).dunning)


@router.post("", response_class=HTMLResponse)
async def save_dunning_settings(request: Request, session: DbSession,
                                user: User = page_permission(P.BILLING_WRITE)) -> Response:
    await verify_csrf(request)
    form = await request.form()  # the multi-dict: weekdays are checkboxes of one name
    config: dict[str, Any] = {
        "reminder_days": _listed(str(form.get("reminder_days", ""))),
        "late_fee_kind": str(form.get("late_fee_kind", "none")),
        "no_suspend_weekdays": [str(v) for v in form.getlist("no_suspend_weekdays")],
        "holidays": _listed(str(form.get("holidays", ""))),
    }
    for key in NUMBERS:
        config[key] = str(form.get(key, "")).strip() or None  # empty: stage not used
    for key in AMOUNTS:
        config[key] = str(form.get(key, "")).strip() or "0"
    try:
        setup.update_settings(session, user.tenant_id, {"dunning": config})
    except ValidationFailed as exc:
        return _page(request, user, config, errors=[exc.detail], status_code=422)
    flash(request, "Dunning settings saved.")
    return RedirectResponse("/admin/billing/dunning", status_code=303)
