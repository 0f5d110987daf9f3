"""Staff pages for support settings: calendars, SLA policies, escalation rules, teams."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.support import businesstime, policies, rules, sla, teams
from dotmac_isp.modules.support.sla_schemas import CalendarIn, PolicyIn, RuleIn, TeamIn
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.templating import flash, render, validation_messages, verify_csrf

router = APIRouter(prefix="/settings")
P = Permission
ALL = PageParams(limit=200)
PRIORITIES = [p.value for p in Priority]


def _lists(session: Session, user: User) -> dict[str, Any]:
    return {"current_user": user, "weekdays": businesstime.WEEKDAYS, "priorities": PRIORITIES,
            "calendars": policies.list_calendars(session, user.tenant_id, ALL).items,
            "policies": policies.list_policies(session, user.tenant_id, ALL).items,
            "rules": rules.list_rules(session, user.tenant_id, ALL).items,
            "teams": teams.list_teams(session, user.tenant_id, ALL).items,
            "staff": identity_service.list_users(session, user.tenant_id, ALL,
                                                 active=True).items,
            "defaults": sla.default_targets_json()}


@router.get("", response_class=HTMLResponse)
def settings_page(request: Request, session: DbSession,
                  user: User = page_permission(P.SUPPORT_READ)) -> HTMLResponse:
    return render(request, "support/settings.html", _lists(session, user))


def _calendar_form(form: dict[str, Any]) -> dict[str, Any]:
    hours = {day: [{"start": str(form.get(f"{day}_start", "")),
                    "end": str(form.get(f"{day}_end", ""))}]
             for day in businesstime.WEEKDAYS if form.get(f"{day}_on")}
    holidays = []
    for line in str(form.get("holidays", "")).splitlines():
        if line.strip():
            day, _, name = line.strip().partition(" ")
            try:
                holidays.append({"date": date.fromisoformat(day), "name": name.strip()})
            except ValueError as exc:
                raise ValidationFailed(f"holidays: {day!r} is not a date like 2026-12-25") \
                    from exc
    return {"name": str(form.get("name", "")).strip(), "hours": hours, "holidays": holidays,
            "timezone": str(form.get("timezone", "UTC")).strip()}


@router.get("/calendars/{calendar_id}", response_class=HTMLResponse)
def calendar_page(request: Request, calendar_id: str, session: DbSession,
                  user: User = page_permission(P.SUPPORT_READ)) -> HTMLResponse:
    row = None if calendar_id == "new" else policies.get_calendar(
        session, user.tenant_id, _uuid(calendar_id))
    return render(request, "support/calendar_form.html", {**_lists(session, user),
                                                          "calendar": row})


@router.post("/calendars/{calendar_id}", response_class=HTMLResponse)
async def save_calendar(request: Request, calendar_id: str, session: DbSession,
                        user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    form = await verify_csrf(request)
    try:
        data = CalendarIn.model_validate(_calendar_form(form))
    except ValidationError as exc:
        raise ValidationFailed("; ".join(validation_messages(exc))) from exc
    if calendar_id == "new":
        policies.create_calendar(session, user.tenant_id, data)
    else:
        policies.update_calendar(session, user.tenant_id, _uuid(calendar_id), data)
    flash(request, f"Calendar {data.name} saved.")
    return RedirectResponse("/admin/support/settings", status_code=303)


def _policy_form(form: Any) -> dict[str, Any]:
    targets = {}
    for p in PRIORITIES:
        first, resolution = form.get(f"{p}_first"), form.get(f"{p}_resolution")
        if first or resolution:
            targets[p] = {"first_response_minutes": first, "resolution_minutes": resolution}
    return {"name": str(form.get("name", "")).strip(), "calendar_id": form.get("calendar_id"),
            "position": form.get("position") or 100, "is_active": bool(form.get("is_active")),
            "at_risk_percent": form.get("at_risk_percent") or 80,
            "priorities": form.getlist("priorities"), "customer_kinds": form.getlist("kinds"),
            "categories": [c for c in str(form.get("categories", "")).split(",") if c.strip()],
            "targets": targets}


@router.get("/policies/{policy_id}", response_class=HTMLResponse)
def policy_page(request: Request, policy_id: str, session: DbSession,
                user: User = page_permission(P.SUPPORT_READ)) -> HTMLResponse:
    row = None if policy_id == "new" else policies.get_policy(session, user.tenant_id,
                                                              _uuid(policy_id))
    return render(request, "support/policy_form.html", {**_lists(session, user), "policy": row})


@router.post("/policies/{policy_id}", response_class=HTMLResponse)
async def save_policy(request: Request, policy_id: str, session: DbSession,
                      user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    await verify_csrf(request)
    form = await request.form()
    try:
        data = PolicyIn.model_validate(_policy_form(form))
    except ValidationError as exc:
        raise ValidationFailed("; ".join(validation_messages(exc))) from exc
    if policy_id == "new":
        policies.create_policy(session, user.tenant_id, data)
    else:
        policies.update_policy(session, user.tenant_id, _uuid(policy_id), data)
    flash(request, f"SLA policy {data.name} saved.")
    return RedirectResponse("/admin/support/settings", status_code=303)


@router.post("/teams")
async def create_team(request: Request, session: DbSession,
                      user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    form = await verify_csrf(request)
    try:
        data = TeamIn.model_validate({"name": str(form.get("name", "")).strip(),
                                      "email": str(form.get("email", "")).strip() or None})
    except ValidationError as exc:
        raise ValidationFailed("; ".join(validation_messages(exc))) from exc
    teams.create_team(session, user.tenant_id, data)
    flash(request, f"Team {data.name} added.")
    return RedirectResponse("/admin/support/settings", status_code=303)


@router.post("/rules")
async def create_rule(request: Request, session: DbSession,
                      user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    form = await verify_csrf(request)
    emails = [e.strip() for e in str(form.get("notify_emails", "")).split(",") if e.strip()]
    try:
        data = RuleIn.model_validate({
            "name": str(form.get("name", "")).strip(), "trigger": form.get("trigger"),
            "target": form.get("target") or None, "notify_emails": emails,
            "notify_assignee": bool(form.get("notify_assignee")),
            "notify_team": bool(form.get("notify_team")),
            "raise_priority": bool(form.get("raise_priority")),
            "reassign_user_id": form.get("reassign_user_id") or None,
            "reassign_team_id": form.get("reassign_team_id") or None})
    except ValidationError as exc:
        raise ValidationFailed("; ".join(validation_messages(exc))) from exc
    rules.create_rule(session, user.tenant_id, data)
    flash(request, f"Escalation rule {data.name} added.")
    return RedirectResponse("/admin/support/settings", status_code=303)


@router.post("/rules/{rule_id}/delete")
async def delete_rule(request: Request, rule_id: uuid.UUID, session: DbSession,
                      user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    await verify_csrf(request)
    rules.delete_rule(session, user.tenant_id, rule_id)
    flash(request, "Escalation rule removed.")
    return RedirectResponse("/admin/support/settings", status_code=303)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ValidationFailed(f"{value!r} is not an id") from exc
