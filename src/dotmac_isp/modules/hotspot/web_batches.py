"""Staff pages for batches as a list (the one a reseller's staff see: only the batches their
reseller bought) and the sale of a batch to a reseller at the wholesale price."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.hotspot import service, wholesale
from dotmac_isp.modules.hotspot.web import batch_page
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.resellers import lookup as reseller_lookup
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams, web_page_params
from dotmac_isp.web.forms import FormErrors, all_or_nothing
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/hotspot", include_in_schema=False)
P = Permission
PAGE = 50
SELL_LABELS = {"reseller_id": "Reseller"}


@router.get("/batches", response_class=HTMLResponse)
def batch_list(request: Request, session: DbSession, cursor: str = "",
               user: User = page_permission(P.HOTSPOT_READ)) -> HTMLResponse:
    """Batches newest first; a reseller's staff see the ones their reseller bought."""
    page = service.list_batches(session, user.tenant_id, web_page_params(PAGE, 0, cursor))
    plans = service.list_plans(session, user.tenant_id, PageParams(limit=200)).items
    return render(request, "hotspot/batches.html", {
        "current_user": user, "page": page, "plan_names": {p.id: p.name for p in plans},
        "resellers": reseller_lookup.names(session, user.tenant_id)})


@router.post("/batches/{batch_id}/sell-to-reseller", response_class=HTMLResponse)
async def sell_to_reseller(request: Request, batch_id: uuid.UUID, session: DbSession,
                           user: User = page_permission(P.HOTSPOT_WRITE)) -> Response:
    form = await verify_csrf(request)
    errors = FormErrors(SELL_LABELS)
    chosen = str(form.get("reseller_id", "")).strip()
    try:
        reseller_id = uuid.UUID(chosen)
    except ValueError:
        errors.add("reseller_id", "Reseller: choose the reseller who buys the batch")
    else:
        try:
            batch = all_or_nothing(session, lambda: wholesale.sell_to_reseller(
                session, user.tenant_id, batch_id, reseller_id, sold_by=user.email))
        except AppError as exc:
            errors.refusal(exc, "reseller_id")
        else:
            flash(request, f"Batch {batch.name} sold: {batch.quantity} vouchers for "
                           f"{batch.total:.2f} {batch.currency}.")
            return RedirectResponse(f"/admin/hotspot/batches/{batch_id}", status_code=303)
    return batch_page(request, batch_id, session, user, sell_errors=errors,
                      sell_form={"reseller_id": chosen}, status_code=422)
