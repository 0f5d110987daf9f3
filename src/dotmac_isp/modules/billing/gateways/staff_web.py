"""Staff side of a customer's payment methods: the panel on the customer page links here, and
turning autopay on or off posts here. Turning it on needs the box ticked that says the
customer agreed; the change (with who, when and the words agreed to) is audited."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.billing.gateways import payment_methods
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/customers/{customer_id}/payment-methods",
                   include_in_schema=False)
P = Permission
LABELS = {"consent": "Customer's agreement"}


def _page(request: Request, session: DbSession, user: User, customer_id: uuid.UUID,
          errors: FormErrors | None = None, status_code: int = 200) -> HTMLResponse:
    customer = customers_service.get_customer(session, user.tenant_id, customer_id)
    return render(request, "gateways/customer_methods.html", {
        "current_user": user, "customer": customer,
        "methods": payment_methods.of_customer(session, user.tenant_id, customer.id),
        "errors": errors or FormErrors(LABELS)}, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def methods_page(request: Request, customer_id: uuid.UUID, session: DbSession,
                 user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    return _page(request, session, user, customer_id)


@router.post("/autopay", response_class=HTMLResponse)
async def change_autopay(request: Request, customer_id: uuid.UUID, session: DbSession,
                         user: User = page_permission(P.BILLING_WRITE)) -> Response:
    form = await verify_csrf(request)
    customers_service.get_customer(session, user.tenant_id, customer_id)  # else 404
    on = form.get("autopay") == "on"
    errors = FormErrors(LABELS)
    if on and form.get("consent") != "yes":
        errors.add("consent", "tick the box to confirm the customer agreed to automatic "
                              "charges")
        return _page(request, session, user, customer_id, errors, 422)
    try:
        with session.begin_nested():
            payment_methods.staff_set_autopay(session, user.tenant_id, customer_id, on,
                                              staff=user.email, at=utcnow())
    except AppError as exc:
        if exc.status_code == 404:
            raise
        errors.refusal(exc)
        return _page(request, session, user, customer_id, errors, 422)
    flash(request, "Automatic payment is on." if on else "Automatic payment is off.")
    return RedirectResponse(f"/admin/customers/{customer_id}", status_code=303)
