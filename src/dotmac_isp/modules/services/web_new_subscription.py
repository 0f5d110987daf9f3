"""The new-subscription form: a customer's page offers it, and every refusal (plan missing,
a bad date, a username in use, an address of another customer) shows beside its field with
what was typed kept, instead of an error page."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.services import catalogue, schemas, service
from dotmac_isp.shared.errors import AppError, NotFound
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(include_in_schema=False)  # included by services.web under /admin
P = Permission
SUBSCRIPTION_LABELS = {"customer_id": "Customer", "plan_id": "Plan",
                       "service_address_id": "Service address",
                       "radius_username": "RADIUS username",
                       "radius_password": "RADIUS password",
                       "contract_end_date": "Contract end date", "notes": "Notes"}
FIELDS = ("plan_id", "service_address_id", "radius_username", "radius_password",
          "contract_end_date")


def _customer(session: Session, user: User, raw: object) -> Any:
    try:
        customer_id = uuid.UUID(str(raw))
    except ValueError as exc:
        raise NotFound("no such customer") from exc
    return customers_service.get_customer(session, user.tenant_id, customer_id)


def _page(request: Request, session: Session, user: User, customer: Any,
          form: dict[str, Any], errors: FormErrors | None = None) -> HTMLResponse:
    plans = catalogue.list_plans(session, user.tenant_id, PageParams(limit=200)).items
    return render(request, "services/subscription_new.html", {
        "current_user": user, "customer": customer, "plans": plans, "form": form,
        "labels": SUBSCRIPTION_LABELS, "errors": errors or []},
        status_code=422 if errors else 200)


@router.get("/subscriptions/new", response_class=HTMLResponse)
def new_subscription_page(request: Request, session: DbSession, customer_id: str = "",
                          user: User = page_permission(P.SERVICES_WRITE)) -> HTMLResponse:
    customer = _customer(session, user, customer_id)
    return _page(request, session, user, customer, {})


@router.post("/subscriptions/new")
async def create_subscription(request: Request, session: DbSession, settings: AppSettings,
                              user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    form = await verify_csrf(request)
    customer = _customer(session, user, form.get("customer_id"))
    shown = {k: str(form.get(k, "")).strip() for k in (*FIELDS, "notes")}
    data: dict[str, Any] = {k: shown[k] or None for k in FIELDS}
    data["customer_id"], data["notes"] = customer.id, shown["notes"]
    if data["radius_username"] is None:
        data.pop("radius_username")  # generated from the customer's number
    valid, errors = validate_form(schemas.SubscriptionCreate,
                                  {k: v for k, v in data.items() if k != "plan_id" or v},
                                  SUBSCRIPTION_LABELS)
    if not shown["plan_id"]:
        errors.add("plan_id", "choose the plan to sell")
    today = billing_service.tenant_today(session, user.tenant_id)
    if valid is not None and valid.contract_end_date is not None \
            and valid.contract_end_date <= today:
        errors.add("contract_end_date", f"must be after today ({today:%Y-%m-%d})")
    if valid is not None and not errors:
        try:
            sub = all_or_nothing(session, lambda: service.create_subscription(
                session, settings, user.tenant_id, valid))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, f"Subscription {sub.radius_username} created (pending).")
            return RedirectResponse(f"/admin/subscriptions/{sub.id}", status_code=303)
    return _page(request, session, user, customer, shown, errors)

