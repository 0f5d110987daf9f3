"""Staff pages: plan catalogue, subscriptions, and lifecycle actions with confirmation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.network.radius import service as radius_service
from dotmac_isp.modules.services import catalogue, schemas, service, web_new_subscription
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import ScheduledChange
from dotmac_isp.modules.services.web_glance import subscription_glance
from dotmac_isp.shared.errors import AppError, Conflict, NotFound, ValidationFailed
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing, form_errors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)
# before /subscriptions/{subscription_id}, which would take "new" for an id
router.include_router(web_new_subscription.router)
P = Permission
S = SubscriptionStatus
# action -> (label, target status or None for a plan change, reason required)
ACTIONS: dict[str, tuple[str, SubscriptionStatus | None, bool]] = {
    "activate": ("Activate", S.ACTIVE, False),
    "suspend": ("Suspend", S.SUSPENDED, True),
    "restore": ("Restore", S.ACTIVE, False),
    "terminate": ("Terminate", S.TERMINATED, True),
    "change_plan": ("Change plan", None, False),
}
# The confirmation form of a lifecycle action.
CONFIRM_LABELS = {"plan_id": "New plan", "reason": "Reason", "effective_date": "Effective date"}
# The quick new-plan form on the catalogue page.
QUICK_PLAN_LABELS = {"name": "Name", "kind": "Kind", "download_kbps": "Download kbit/s",
                     "upload_kbps": "Upload kbit/s", "price": "Price", "billing_cycle": "Cycle"}
AVAILABLE = {
    S.PENDING: ["activate", "terminate"], S.PROVISIONING: ["activate", "terminate"],
    S.FAILED: ["activate", "terminate"], S.ACTIVE: ["suspend", "change_plan", "terminate"],
    S.SUSPENDED: ["restore", "change_plan", "terminate"], S.TERMINATED: [],
}


@router.get("/plans", response_class=HTMLResponse)
def plan_list(request: Request, session: DbSession,
              user: User = page_permission(P.SERVICES_READ)) -> HTMLResponse:
    plans = catalogue.list_plans(session, user.tenant_id, PageParams(limit=200), archived=None)
    return render(request, "services/plans.html", {"current_user": user, "plans": plans.items,
                                                   "form": {}})


@router.post("/plans", response_class=HTMLResponse)
async def create_plan(request: Request, session: DbSession,
                      user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    form = await verify_csrf(request)
    data: dict[str, object] = {"name": str(form.get("name", "")).strip(),
                               "kind": form.get("kind", "internet"),
                               "billing_cycle": form.get("billing_cycle", "monthly")}
    errors = FormErrors(QUICK_PLAN_LABELS)
    for field in ("download_kbps", "upload_kbps"):
        raw = str(form.get(field, "")).strip()
        if raw:
            if not raw.isdigit():
                errors.add(field, "a whole number of kbit/s")
            data[field] = int(raw) if raw.isdigit() else None
    try:
        data["price"] = Decimal(str(form.get("price", "")).strip())
    except InvalidOperation:
        errors.add("price", "a number such as 29.99")
    try:
        plan_in = schemas.PlanCreate.model_validate(data)
    except ValidationError as exc:
        errors.merge(form_errors(exc, QUICK_PLAN_LABELS), skip=errors.by_field)
        plan_in = None
    if plan_in is not None and not errors:
        valid = plan_in
        try:
            plan = all_or_nothing(session, lambda: catalogue.create_plan(session, user.tenant_id,
                                                                         valid))
        except Conflict as exc:
            errors.add("name", exc.detail)
        except AppError as exc:
            errors.add(None, exc.detail)
        else:
            flash(request, f"Plan {plan.name} created.")
            return RedirectResponse("/admin/plans", status_code=303)
    plans = catalogue.list_plans(session, user.tenant_id, PageParams(limit=200), archived=None)
    return render(request, "services/plans.html", {"current_user": user, "plans": plans.items,
                                                   "form": form, "errors": errors},
                  status_code=422)


@router.post("/plans/{plan_id}/archive")
async def toggle_archive(request: Request, plan_id: uuid.UUID, session: DbSession,
                         user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    form = await verify_csrf(request)
    plan = catalogue.set_archived(session, user.tenant_id, plan_id, form.get("archive") == "1")
    flash(request, f"Plan {plan.name} {'archived' if plan.is_archived else 'back on sale'}.")
    return RedirectResponse("/admin/plans", status_code=303)


@router.get("/subscriptions/{subscription_id}", response_class=HTMLResponse)
def subscription_detail(request: Request, subscription_id: uuid.UUID, session: DbSession,
                        settings: AppSettings, show_password: bool = False,
                        user: User = page_permission(P.SERVICES_READ)) -> HTMLResponse:
    sub = service.get_subscription(session, user.tenant_id, subscription_id)
    creds = service.credentials(session, settings, user.tenant_id, sub.id) \
        if show_password else None
    scheduled = service.scheduled_changes(session, user.tenant_id, sub.id,
                                          PageParams(limit=50)).items
    glance = subscription_glance(session, user.tenant_id, request.state.principal, sub)
    return render(request, "services/subscription.html", {
        "current_user": user, "sub": sub, "credentials": creds, "glance": glance,
        "history": glance.history, "scheduled": scheduled,
        "actions": [(a, ACTIONS[a][0]) for a in AVAILABLE[SubscriptionStatus(sub.status)]]})


@router.get("/subscriptions/{subscription_id}/password", response_class=HTMLResponse)
def reveal_password(request: Request, subscription_id: uuid.UUID, session: DbSession,
                    settings: AppSettings,
                    user: User = page_permission(P.SERVICES_READ)) -> HTMLResponse:
    """The RADIUS password, fetched only when staff click to see it (as the API gives it)."""
    creds = service.credentials(session, settings, user.tenant_id, subscription_id)
    return HTMLResponse(Markup('<span class="secret" data-testid="radius-password">{}</span>')
                        .format(creds.radius_password))


@router.post("/subscriptions/{subscription_id}/sessions/{radacctid}/disconnect")
async def disconnect_session(request: Request, subscription_id: uuid.UUID, session: DbSession,
                             radacctid: int = Path(ge=1, le=2**63 - 1),
                             user: User = page_permission(P.NETWORK_WRITE)) -> Response:
    """Queue a Disconnect-Request for one of this subscription's live sessions."""
    await verify_csrf(request)
    sub = service.get_subscription(session, user.tenant_id, subscription_id)
    row = radius_service.get_session(session, user.tenant_id, radacctid)
    if row.subscription_id != sub.id:
        raise NotFound("no such session of this subscription")
    radius_service.disconnect_session(session, user.tenant_id, radacctid, user.email)
    flash(request, f"Disconnect queued for session {row.acctsessionid}.")
    return RedirectResponse(f"/admin/subscriptions/{sub.id}", status_code=303)


def _action(name: str) -> tuple[str, SubscriptionStatus | None, bool]:
    if name not in ACTIONS:
        raise NotFound(f"no action {name!r}")
    return ACTIONS[name]


@router.get("/subscriptions/{subscription_id}/confirm", response_class=HTMLResponse)
def confirm_action(request: Request, subscription_id: uuid.UUID, action: str,
                   session: DbSession, effective_date: str = "",
                   user: User = page_permission(P.SERVICES_WRITE)) -> HTMLResponse:
    return _confirm_page(request, session, user, subscription_id, action,
                         {"effective_date": effective_date})


def _confirm_page(request: Request, session: Session, user: User, subscription_id: uuid.UUID,
                  action: str, form: dict[str, str], errors: FormErrors | None = None,
                  status_code: int = 422) -> HTMLResponse:
    """The confirmation; after a refusal, with each error beside its field and what was
    typed kept."""
    label, target, needs_reason = _action(action)
    sub = service.get_subscription(session, user.tenant_id, subscription_id)
    plans = [p for p in catalogue.list_plans(session, user.tenant_id, PageParams(limit=200),
                                             kind=sub.plan.kind).items if p.id != sub.plan_id]
    effective_date = form.get("effective_date", "")
    context: dict[str, object] = {
        "current_user": user, "sub": sub, "action": action, "label": label,
        "needs_reason": needs_reason, "plans": plans, "effective_date": effective_date,
        "form": form, "errors": errors or []}
    if target == S.TERMINATED:
        # The credit the termination will give, computed by the code that will give it.
        try:
            when = _effective(session, user, effective_date.strip()) or datetime.now(UTC)
        except ValidationFailed:
            when = datetime.now(UTC)  # the date's own error is shown beside it
        context["first_unused"] = when.astimezone(_zone(session, user)).date()
        context["credit"] = billing_service.termination_credit(session, user.tenant_id,
                                                               sub.id, when)
    return render(request, "services/confirm.html", context,
                  status_code=status_code if errors else 200)


@router.post("/subscriptions/{subscription_id}/confirm", response_class=HTMLResponse)
async def perform_action(request: Request, subscription_id: uuid.UUID, action: str,
                         session: DbSession,
                         user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    raw = await verify_csrf(request)
    form = {k: str(raw.get(k, "")).strip() for k in ("reason", "effective_date", "plan_id")}
    label, target, needs_reason = _action(action)
    # a termination's date is chosen above the form, in the credit preview
    date_field = "preview_date" if target == S.TERMINATED else "effective_date"
    errors = FormErrors({**CONFIRM_LABELS, "preview_date": CONFIRM_LABELS["effective_date"]})
    reason = form["reason"][:500]
    effective_at = None
    try:
        effective_at = _effective(session, user, form["effective_date"])
    except ValidationFailed:
        errors.add(date_field, "use a date such as 2026-05-31")
    if needs_reason and not reason:
        errors.add("reason", "give a reason; it is kept in the history")
    plan_id: uuid.UUID | None = None
    if target is None:
        try:
            plan_id = uuid.UUID(form["plan_id"])
        except ValueError:
            errors.add("plan_id", "choose the new plan")
    if errors:
        return _confirm_page(request, session, user, subscription_id, action, form, errors)
    try:
        _sub, scheduled = all_or_nothing(session, lambda: _perform(
            session, user, subscription_id, target, plan_id, reason, effective_at,
            raw.get("notify") == "1"))
    except AppError as exc:
        if exc.status_code == 404:
            raise
        field = date_field if "effective_at" in exc.detail else None
        errors.add(field, exc.detail.replace("effective_at ", "").replace("effective_at", "")
                   if field else exc.detail)
        return _confirm_page(request, session, user, subscription_id, action, form, errors,
                             status_code=exc.status_code)
    flash(request, _outcome(label, scheduled, effective_at, _zone(session, user)))
    return RedirectResponse(f"/admin/subscriptions/{subscription_id}", status_code=303)


def _perform(session: Session, user: User, subscription_id: uuid.UUID,
             target: SubscriptionStatus | None, plan_id: uuid.UUID | None, reason: str,
             effective_at: datetime | None, notify: bool,
             ) -> tuple[object, ScheduledChange | None]:
    if target is None:
        assert plan_id is not None
        return service.change_plan(session, user.tenant_id, subscription_id,
                                   schemas.PlanChangeRequest(plan_id=plan_id, reason=reason,
                                                             effective_at=effective_at))
    return service.request_status(session, user.tenant_id, subscription_id,
                                  schemas.ServiceStatusUpdate(status=target, reason=reason,
                                                              effective_at=effective_at,
                                                              notify=notify))


def _outcome(label: str, scheduled: ScheduledChange | None, effective_at: datetime | None,
             zone: ZoneInfo) -> str:
    """What happened, said plainly: a change dated in the past was applied as of that day."""
    if scheduled is not None:
        return f"{label}: scheduled for {scheduled.effective_at.astimezone(zone):%Y-%m-%d}."
    if effective_at is None:
        return f"{label}: done."
    day = effective_at.astimezone(zone).date()
    if day < datetime.now(zone).date():
        return (f"{label}: done, backdated to {day:%Y-%m-%d} as asked; the history and "
                "billing count it from that day.")
    return f"{label}: done as of today, {day:%Y-%m-%d}."


def _zone(session: DbSession, user: User) -> ZoneInfo:
    return ZoneInfo(identity_service.get_tenant(session, user.tenant_id).timezone)


def _effective(session: DbSession, user: User, raw: str) -> datetime | None:
    """A date typed on a page is the start of that day where the ISP is."""
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d")
    except ValueError as exc:
        raise ValidationFailed("effective date: use YYYY-MM-DD") from exc
    return day.replace(tzinfo=_zone(session, user)).astimezone(UTC)
