"""Staff page of the sales settings: the sales address enquiries go to, how long a quote is
valid, the terms a prospect accepts; and the address of the public enquiry form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.sales import notify, schemas, tenant_settings
from dotmac_isp.modules.sales.web_common import helpers
from dotmac_isp.web.forms import FormErrors, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(include_in_schema=False)
FIELDS = ("sales_email", "quote_validity_days", "quote_terms")
LABELS = {"sales_email": "Sales email", "quote_validity_days": "Quotes valid for (days)",
          "quote_terms": "Quote terms"}


def _page(request: Request, session: Session, user: User, settings: Any,
          form: dict[str, Any], errors: FormErrors | None = None) -> HTMLResponse:
    ctx = helpers(session, user)
    return render(request, "sales/settings.html", {
        **ctx, "form": form, "labels": LABELS, "errors": errors or [],
        "enquiry_url": notify.public_url(settings, f"/enquiry/{ctx['tenant'].slug}")},
        status_code=422 if errors else 200)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, session: DbSession, settings: AppSettings,
                  user: User = page_permission(Permission.SALES_WRITE)) -> HTMLResponse:
    conf = tenant_settings.sales_settings(session, user.tenant_id)
    return _page(request, session, user, settings, {k: getattr(conf, k) for k in FIELDS})


@router.post("/settings", response_class=HTMLResponse)
async def save(request: Request, session: DbSession, settings: AppSettings,
               user: User = page_permission(Permission.SALES_WRITE)) -> Response:
    form = await verify_csrf(request)
    shown = {k: str(form.get(k, "")).strip() for k in FIELDS}
    data = {**shown, "sales_email": shown["sales_email"] or None}
    valid, errors = validate_form(schemas.SalesSettingsIn, data, LABELS)
    if valid is None:
        return _page(request, session, user, settings, shown, errors)
    tenant_settings.save_settings(session, user.tenant_id, valid)
    flash(request, "Sales settings saved.")
    return RedirectResponse("/admin/sales/settings", status_code=303)
