"""The settings page's e-invoice tax categories: each tax rate's UNCL5305 category, and the
untaxed lines' one, with the reason where the category needs one. Every mistake is shown
beside its field and nothing is saved until all are right."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.billing import setup, tax_categories
from dotmac_isp.modules.billing.tax_categories import Category
from dotmac_isp.modules.billing.web_tenant_settings import LABELS, _page
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import flash, verify_csrf

router = APIRouter(prefix="/admin/settings", include_in_schema=False)
SECTION = "tax_categories"


@router.post("/tax-categories", response_class=HTMLResponse)
async def save_tax_categories(request: Request, session: DbSession,
                              user: User = page_permission(Permission.BILLING_WRITE)
                              ) -> Response:
    form = await verify_csrf(request)
    rates = setup.list_tax_rates(session, user.tenant_id, PageParams(limit=100)).items
    labels = dict(LABELS, untaxed_category="Lines without tax: category",
                  untaxed_exemption_reason="Lines without tax: exemption reason")
    for rate in rates:
        labels[f"category_code_{rate.id}"] = f"{rate.name}: category"
        labels[f"exemption_reason_{rate.id}"] = f"{rate.name}: exemption reason"
    errors = FormErrors(labels)
    typed: dict[str, Any] = {}

    def read(code_field: str, reason_field: str) -> Category:
        category = Category(str(form.get(code_field, "")).strip().upper(),
                            str(form.get(reason_field, "")).strip())
        typed[code_field], typed[reason_field] = category.code, category.reason
        for part, message in tax_categories.problems(category).items():
            errors.add(code_field if part == "code" else reason_field, message)
        return category

    chosen: dict[uuid.UUID, Category] = {
        rate.id: read(f"category_code_{rate.id}", f"exemption_reason_{rate.id}")
        for rate in rates}
    untaxed = read("untaxed_category", "untaxed_exemption_reason")
    if errors:
        return _page(request, session, user, section=SECTION, errors=errors, form=typed)
    tax_categories.save(session, user.tenant_id, chosen, untaxed)
    flash(request, "E-invoice tax categories saved.")
    return RedirectResponse("/admin/settings#tax-categories", status_code=303)
