"""Tenant-A support objects for the isolation test."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid

from dotmac_isp.modules.support import attachments, policies, rules, schemas, service, teams
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.modules.support.sla_schemas import CalendarIn, PolicyIn, RuleIn, TeamIn
from tests.support.tenant_objects import ObjectContext, example_body, tenant_object

OFFICE = {"mon": [{"start": "09:00", "end": "17:00"}]}


@tenant_object("ticket_id")
def ticket(ctx: ObjectContext) -> str:
    made = service.create_ticket(ctx.session, ctx.tenant.id, schemas.TicketCreate(
        customer_id=uuid.UUID(ctx.need("customer_id")), subject="A's router is down",
        description="red light", incident_id=uuid.UUID(ctx.need("incident_id"))))
    return str(made.id)


@tenant_object("attachment_id")
def attachment(ctx: ObjectContext) -> str:
    root = tempfile.mkdtemp(prefix="dotmac-isolation-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    conf = SupportSettings(attachments_dir=root)
    ctx.client.app.state.support_settings = conf  # type: ignore[attr-defined]
    made = attachments.add_attachment(ctx.session, conf, ctx.tenant.id,
                                      uuid.UUID(ctx.need("ticket_id")), "a-notes.txt",
                                      b"tenant A only\n")
    return str(made.id)


@tenant_object("team_id")
def team(ctx: ObjectContext) -> str:
    return str(teams.create_team(ctx.session, ctx.tenant.id, TeamIn(name="A NOC")).id)


@tenant_object("calendar_id")
def calendar(ctx: ObjectContext) -> str:
    return str(policies.create_calendar(ctx.session, ctx.tenant.id, CalendarIn.model_validate(
        {"name": "A hours", "timezone": "Africa/Lagos", "hours": OFFICE})).id)


@tenant_object("policy_id")
def policy(ctx: ObjectContext) -> str:
    return str(policies.create_policy(ctx.session, ctx.tenant.id, PolicyIn(
        name="A business", calendar_id=uuid.UUID(ctx.need("calendar_id")),
        customer_kinds=["business"])).id)  # type: ignore[list-item]


@tenant_object("escalation_rule_id")
def escalation_rule(ctx: ObjectContext) -> str:
    return str(rules.create_rule(ctx.session, ctx.tenant.id, RuleIn(
        name="A breach", trigger="breached")).id)  # type: ignore[arg-type]


_T = "/api/v1/support/tickets/{ticket_id}"
example_body("POST", f"{_T}/status", {"status": "open"})
example_body("POST", f"{_T}/replies", {"body": "tenant B was here"})
example_body("POST", f"{_T}/notes", {"body": "tenant B was here"})
example_body("POST", f"{_T}/merge", {"into_ticket_id": str(uuid.UUID(int=1))})
example_body("PUT", f"{_T}/incident", {"incident_id": str(uuid.UUID(int=1))})
example_body("PUT", "/api/v1/support/calendars/{calendar_id}",
             {"name": "stolen", "hours": OFFICE})
example_body("PUT", "/api/v1/support/sla-policies/{policy_id}",
             {"name": "stolen", "calendar_id": str(uuid.UUID(int=1))})
example_body("PUT", "/api/v1/support/escalation-rules/{escalation_rule_id}",
             {"name": "stolen", "trigger": "breached"})
example_body("PUT", "/api/v1/support/teams/{team_id}", {"name": "stolen"})
