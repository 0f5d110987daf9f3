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
from dotmac_isp.shared.errors import AppError, ValidationFailed
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing, form_errors, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/settings")
P = Permission
ALL = PageParams(limit=200)
PRIORITIES = [p.value for p in Priority]


WEEKDAYS = businesstime.WEEKDAYS
# The labels the settings forms show, which their errors name, and where each error sits.
CALENDAR_LABELS = {"name": "Name", "timezone": "Time zone", "holidays": "Holidays",
                   **{f"{d}_start": f"{d} from" for d in WEEKDAYS},
                   **{f"{d}_end": f"{d} to" for d in WEEKDAYS}}
CALENDAR_FIELDS = {"holidays.date": "holidays", "holidays.name": "holidays",
                   **{f"hours.{d}": f"{d}_start" for d in WEEKDAYS},
                   **{f"hours.{d}.start": f"{d}_start" for d in WEEKDAYS},
                   **{f"hours.{d}.end": f"{d}_end" for d in WEEKDAYS}}
POLICY_LABELS = {"name": "Name", "calendar_id": "Calendar", "position": "Order",
                 "at_risk_percent": "At risk when used (%)", "categories": "Categories",
                 **{f"{p}_first": f"{p} first response" for p in PRIORITIES},
                 **{f"{p}_resolution": f"{p} resolution" for p in PRIORITIES}}
POLICY_FIELDS = {**{f"targets.{p}": f"{p}_first" for p in PRIORITIES},
                 **{f"targets.{p}.first_response_minutes": f"{p}_first" for p in PRIORITIES},
                 **{f"targets.{p}.resolution_minutes": f"{p}_resolution" for p in PRIORITIES}}
TEAM_LABELS = {"team-name": "Name", "team-email": "Email"}
TEAM_FIELDS = {"name": "team-name", "email": "team-email"}
RULE_LABELS = {"rule-name": "Name", "trigger": "When", "target": "Target",
               "notify_emails": "Also email", "reassign_user_id": "Reassign to"}
RULE_FIELDS = {"name": "rule-name"}


def _save_calendar(session: Session, user: User, calendar_id: str, data: CalendarIn) -> None:
    if calendar_id == "new":
        policies.create_calendar(session, user.tenant_id, data)
    else:
        policies.update_calendar(session, user.tenant_id, _uuid(calendar_id), data)


def _save_policy(session: Session, user: User, policy_id: str, data: PolicyIn) -> None:
    if policy_id == "new":
        policies.create_policy(session, user.tenant_id, data)
    else:
        policies.update_policy(session, user.tenant_id, _uuid(policy_id), data)


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


def _calendar_form(form: dict[str, Any], errors: FormErrors) -> dict[str, Any]:
    hours = {day: [{"start": str(form.get(f"{day}_start", "")),
                    "end": str(form.get(f"{day}_end", ""))}]
             for day in businesstime.WEEKDAYS if form.get(f"{day}_on")}
    holidays = []
    for line in str(form.get("holidays", "")).splitlines():
        if line.strip():
            day, _, name = line.strip().partition(" ")
            try:
                holidays.append({"date": date.fromisoformat(day), "name": name.strip()})
            except ValueError:
                errors.add("holidays", f"{day!r} is not a date like 2026-12-25")
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
    errors = FormErrors(CALENDAR_LABELS)
    data, checked = validate_form(CalendarIn, _calendar_form(form, errors), CALENDAR_LABELS,
                                  CALENDAR_FIELDS)
    errors.merge(checked, skip=errors.by_field)
    if data is not None and not errors:
        valid = data
        try:
            all_or_nothing(session, lambda: _save_calendar(session, user, calendar_id, valid))
        except AppError as exc:
            if exc.status_code == 404:
                raise
            errors.refusal(exc)
    if errors:
        row = None if calendar_id == "new" else policies.get_calendar(
            session, user.tenant_id, _uuid(calendar_id))
        return render(request, "support/calendar_form.html", {
            **_lists(session, user), "calendar": row, "errors": errors,
            "form": {k: str(v) for k, v in form.items()}}, status_code=422)
    assert data is not None
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
    data, errors = validate_form(PolicyIn, _policy_form(form), POLICY_LABELS, POLICY_FIELDS)
    if data is not None:
        valid = data
        try:
            all_or_nothing(session, lambda: _save_policy(session, user, policy_id, valid))
        except AppError as exc:
            if exc.status_code == 404:
                raise
            errors.refusal(exc)
    if errors:
        row = None if policy_id == "new" else policies.get_policy(session, user.tenant_id,
                                                                  _uuid(policy_id))
        return render(request, "support/policy_form.html", {
            **_lists(session, user), "policy": row, "errors": errors,
            "form": {k: str(v) for k, v in form.items()}}, status_code=422)
    assert data is not None
    flash(request, f"SLA policy {data.name} saved.")
    return RedirectResponse("/admin/support/settings", status_code=303)


@router.post("/teams")
async def create_team(request: Request, session: DbSession,
                      user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    form = await verify_csrf(request)
    data, errors = validate_form(TeamIn, {"name": str(form.get("name", "")).strip(),
                                          "email": str(form.get("email", "")).strip() or None},
                                 TEAM_LABELS, TEAM_FIELDS)
    if data is not None:
        valid = data
        try:
            all_or_nothing(session, lambda: teams.create_team(session, user.tenant_id, valid))
        except AppError as exc:
            errors.refusal(exc, "team-name" if exc.status_code == 409 else None)
    if errors:
        return render(request, "support/settings.html", {
            **_lists(session, user), "team_errors": errors,
            "team_form": {k: str(v) for k, v in form.items()}}, status_code=422)
    assert data is not None
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
        return render(request, "support/settings.html", {
            **_lists(session, user), "rule_errors": form_errors(exc, RULE_LABELS, RULE_FIELDS),
            "rule_form": {k: str(v) for k, v in form.items()}}, status_code=422)
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
