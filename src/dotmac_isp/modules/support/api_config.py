"""Support configuration API: business calendars, SLA policies, escalation rules, teams."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.support import policies, rules, teams
from dotmac_isp.modules.support import sla_schemas as schemas
from dotmac_isp.modules.support.models import Team
from dotmac_isp.modules.support.sla_models import BusinessCalendar, EscalationRule, SlaPolicy
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.SUPPORT_READ), require(Permission.SUPPORT_WRITE)


@router.get("/calendars", response_model=Page[schemas.CalendarOut], tags=["support settings"])
def list_calendars(session: DbSession, paging: Paging,
                   principal: Principal = READ) -> Page[BusinessCalendar]:
    return policies.list_calendars(session, principal.tenant_id, paging)


@router.post("/calendars", response_model=schemas.CalendarOut, status_code=201,
             tags=["support settings"])
def create_calendar(body: schemas.CalendarIn, session: DbSession,
                    principal: Principal = WRITE) -> BusinessCalendar:
    """Working hours per weekday in an IANA time zone, and holidays."""
    return policies.create_calendar(session, principal.tenant_id, body)


@router.get("/calendars/{calendar_id}", response_model=schemas.CalendarOut,
            tags=["support settings"])
def get_calendar(calendar_id: uuid.UUID, session: DbSession,
                 principal: Principal = READ) -> BusinessCalendar:
    return policies.get_calendar(session, principal.tenant_id, calendar_id)


@router.put("/calendars/{calendar_id}", response_model=schemas.CalendarOut,
            tags=["support settings"])
def update_calendar(calendar_id: uuid.UUID, body: schemas.CalendarIn, session: DbSession,
                    principal: Principal = WRITE) -> BusinessCalendar:
    return policies.update_calendar(session, principal.tenant_id, calendar_id, body)


@router.delete("/calendars/{calendar_id}", status_code=204, tags=["support settings"])
def delete_calendar(calendar_id: uuid.UUID, session: DbSession,
                    principal: Principal = WRITE) -> Response:
    policies.delete_calendar(session, principal.tenant_id, calendar_id)
    return Response(status_code=204)


@router.get("/sla-policies", response_model=Page[schemas.PolicyOut], tags=["support settings"])
def list_policies(session: DbSession, paging: Paging,
                  principal: Principal = READ) -> Page[SlaPolicy]:
    """Policies in the order they are tried; a ticket gets the first whose conditions match."""
    return policies.list_policies(session, principal.tenant_id, paging)


@router.post("/sla-policies", response_model=schemas.PolicyOut, status_code=201,
             tags=["support settings"])
def create_policy(body: schemas.PolicyIn, session: DbSession,
                  principal: Principal = WRITE) -> SlaPolicy:
    return policies.create_policy(session, principal.tenant_id, body)


@router.get("/sla-policies/{policy_id}", response_model=schemas.PolicyOut,
            tags=["support settings"])
def get_policy(policy_id: uuid.UUID, session: DbSession,
               principal: Principal = READ) -> SlaPolicy:
    return policies.get_policy(session, principal.tenant_id, policy_id)


@router.put("/sla-policies/{policy_id}", response_model=schemas.PolicyOut,
            tags=["support settings"])
def update_policy(policy_id: uuid.UUID, body: schemas.PolicyIn, session: DbSession,
                  principal: Principal = WRITE) -> SlaPolicy:
    return policies.update_policy(session, principal.tenant_id, policy_id, body)


@router.delete("/sla-policies/{policy_id}", status_code=204, tags=["support settings"])
def delete_policy(policy_id: uuid.UUID, session: DbSession,
                  principal: Principal = WRITE) -> Response:
    """Only a policy no ticket was measured with; deactivate the others."""
    policies.delete_policy(session, principal.tenant_id, policy_id)
    return Response(status_code=204)


@router.get("/escalation-rules", response_model=Page[schemas.RuleOut],
            tags=["support settings"])
def list_rules(session: DbSession, paging: Paging,
               principal: Principal = READ) -> Page[EscalationRule]:
    return rules.list_rules(session, principal.tenant_id, paging)


@router.post("/escalation-rules", response_model=schemas.RuleOut, status_code=201,
             tags=["support settings"])
def create_rule(body: schemas.RuleIn, session: DbSession,
                principal: Principal = WRITE) -> EscalationRule:
    return rules.create_rule(session, principal.tenant_id, body)


@router.get("/escalation-rules/{escalation_rule_id}", response_model=schemas.RuleOut,
            tags=["support settings"])
def get_rule(escalation_rule_id: uuid.UUID, session: DbSession,
             principal: Principal = READ) -> EscalationRule:
    return rules.get_rule(session, principal.tenant_id, escalation_rule_id)


@router.put("/escalation-rules/{escalation_rule_id}", response_model=schemas.RuleOut,
            tags=["support settings"])
def update_rule(escalation_rule_id: uuid.UUID, body: schemas.RuleIn, session: DbSession,
                principal: Principal = WRITE) -> EscalationRule:
    return rules.update_rule(session, principal.tenant_id, escalation_rule_id, body)


@router.delete("/escalation-rules/{escalation_rule_id}", status_code=204,
               tags=["support settings"])
def delete_rule(escalation_rule_id: uuid.UUID, session: DbSession,
                principal: Principal = WRITE) -> Response:
    rules.delete_rule(session, principal.tenant_id, escalation_rule_id)
    return Response(status_code=204)


@router.get("/teams", response_model=Page[schemas.TeamOut], tags=["support settings"])
def list_teams(session: DbSession, paging: Paging, principal: Principal = READ) -> Page[Team]:
    return teams.list_teams(session, principal.tenant_id, paging)


@router.post("/teams", response_model=schemas.TeamOut, status_code=201,
             tags=["support settings"])
def create_team(body: schemas.TeamIn, session: DbSession, principal: Principal = WRITE) -> Team:
    return teams.create_team(session, principal.tenant_id, body)


@router.get("/teams/{team_id}", response_model=schemas.TeamOut, tags=["support settings"])
def get_team(team_id: uuid.UUID, session: DbSession, principal: Principal = READ) -> Team:
    return teams.get_team(session, principal.tenant_id, team_id)


@router.put("/teams/{team_id}", response_model=schemas.TeamOut, tags=["support settings"])
def update_team(team_id: uuid.UUID, body: schemas.TeamIn, session: DbSession,
                principal: Principal = WRITE) -> Team:
    return teams.update_team(session, principal.tenant_id, team_id, body)


@router.delete("/teams/{team_id}", status_code=204, tags=["support settings"])
def delete_team(team_id: uuid.UUID, session: DbSession, principal: Principal = WRITE) -> Response:
    teams.delete_team(session, principal.tenant_id, team_id)
    return Response(status_code=204)
