"""Staff pages for customers: create, detail with subscriptions (the list is web_lists)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.billing.einvoice import service as einvoice
from dotmac_isp.modules.billing.gateways import payment_methods
from dotmac_isp.modules.customers import portal, schemas, service
from dotmac_isp.modules.customers.enums import CUSTOMER_TRANSITIONS, CustomerStatus
from dotmac_isp.modules.customers.web_glance import customer_glance
from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.services import catalogue
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/customers", include_in_schema=False)
P = Permission
PAGE_SIZE = 25
# The new-customer form's labels, which its errors name.
CUSTOMER_LABELS = {"kind": "Kind", "first_name": "First name", "last_name": "Last name",
                   "company_name": "Company", "email": "Email", "phone": "Phone",
                   "tax_id": "Tax id", "tax_exempt_reason": "Tax exemption reason",
                   "tags": "Tags", "addresses.line1": "Service address",
                   "addresses.city": "City", "addresses.country": "Country",
                   "addresses.latitude": "Latitude", "addresses.longitude": "Longitude",
                   "addresses": "Service address"}
# Errors about the address list as a whole show beside its first line.
CUSTOMER_FIELDS = {"addresses": "line1", "addresses.0": "latitude"}


@router.get("/new", response_class=HTMLResponse)
def new_customer_page(request: Request,
                      user: User = page_permission(P.CUSTOMERS_WRITE)) -> HTMLResponse:
    return render(request, "customers/new.html", {"current_user": user, "form": {}})


@router.post("/new", response_class=HTMLResponse)
async def create_customer(request: Request, session: DbSession,
                          user: User = page_permission(P.CUSTOMERS_WRITE)) -> Response:
    form = await verify_csrf(request)
    data: dict[str, object] = {k: str(form.get(k, "")).strip() for k in (
        "kind", "first_name", "last_name", "company_name", "phone", "tax_id")}
    if form.get("email"):
        data["email"] = str(form["email"]).strip()
    data["tags"] = [t for t in str(form.get("tags", "")).split(",") if t.strip()]
    if str(form.get("line1", "")).strip():
        data["addresses"] = [{"kind": "service", "line1": str(form["line1"]).strip(),
                              "city": str(form.get("city", "")).strip(),
                              "country": str(form.get("country", "")).strip(),
                              **{k: str(form[k]).strip() for k in ("latitude", "longitude")
                                 if str(form.get(k, "")).strip()}}]
    valid, errors = validate_form(schemas.CustomerCreate, data, CUSTOMER_LABELS,
                                  CUSTOMER_FIELDS)
    if valid is None:
        return render(request, "customers/new.html", {
            "current_user": user, "form": form, "errors": errors}, status_code=422)
    customer = service.create_customer(session, user.tenant_id, valid)
    flash(request, f"Customer {customer.number} created.")
    return RedirectResponse(f"/admin/customers/{customer.id}", status_code=303)


@router.get("/{customer_id}", response_class=HTMLResponse)
def customer_detail(request: Request, customer_id: uuid.UUID, session: DbSession,
                    user: User = page_permission(P.CUSTOMERS_READ)) -> HTMLResponse:
    customer = service.get_customer(session, user.tenant_id, customer_id)
    subs = services.list_subscriptions(session, user.tenant_id, PageParams(limit=200),
                                       customer_id=customer.id).items
    try:
        account = portal.get_account(session, user.tenant_id, customer.id)
    except AppError:
        account = None
    plans = catalogue.list_plans(session, user.tenant_id, PageParams(limit=200)).items
    glance = customer_glance(session, user.tenant_id, request.state.principal, customer, subs)
    methods = (payment_methods.of_customer(session, user.tenant_id, customer.id)
               if request.state.principal.has(P.BILLING_READ) else None)
    return render(request, "customers/detail.html", {
        "current_user": user, "customer": customer, "subscriptions": subs, "glance": glance,
        "portal_account": account, "plans": plans,
        "einvoice": einvoice.email_choice(session, user.tenant_id, customer.id),
        "methods": methods,
        "tenant_slug": identity_service.get_tenant(session, user.tenant_id).slug,
        "next_statuses": sorted(s.value for s in
                                CUSTOMER_TRANSITIONS[CustomerStatus(customer.status)]),
        **field_service.work_orders_box(
            session, request.state.principal, customer_id=customer.id,
            new_link=f"/admin/field/work-orders/new?customer={customer.number}"),
    })


@router.post("/{customer_id}/status")
async def change_status(request: Request, customer_id: uuid.UUID, session: DbSession,
                        user: User = page_permission(P.CUSTOMERS_WRITE)) -> Response:
    form = await verify_csrf(request)
    target = str(form.get("status", ""))
    if target not in {s.value for s in CustomerStatus}:
        flash(request, "Choose a status.")
    else:
        service.change_status(session, user.tenant_id, customer_id, CustomerStatus(target),
                              str(form.get("reason", ""))[:500])
        flash(request, f"Customer is now {target}.")
    return RedirectResponse(f"/admin/customers/{customer_id}", status_code=303)


@router.post("/{customer_id}/portal-account")
async def create_portal_account(request: Request, customer_id: uuid.UUID, session: DbSession,
                                settings: AppSettings,
                                user: User = page_permission(P.CUSTOMERS_WRITE)) -> Response:
    await verify_csrf(request)
    _account, password = portal.create_account(session, settings, user.tenant_id, customer_id,
                                               schemas.PortalAccountCreate())
    flash(request, f"Portal login created. Password (shown once): {password}")
    return RedirectResponse(f"/admin/customers/{customer_id}", status_code=303)
