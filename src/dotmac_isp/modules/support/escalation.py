"""Finding tickets at risk and breached, and escalating each breach exactly once."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.support import notify, service, sla, timeline
from dotmac_isp.modules.support.enums import ACTIVE, EventKind, SlaState, SlaTarget
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.repository import RuleRepository, TeamRepository
from dotmac_isp.modules.support.sla_models import Escalation, EscalationRule
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.errors import AppError, NotFound

log = logging.getLogger(__name__)
BATCH = 500
TRIGGERS = {SlaState.AT_RISK: "at_risk", SlaState.BREACHED: "breached"}


def _needs_look(target: SlaTarget, now: datetime) -> Any:
    col = lambda name: getattr(Ticket, f"{target.value}_{name}")  # noqa: E731
    unescalated = [and_(col("state") == state.value, ~exists().where(
        Escalation.ticket_id == Ticket.id, Escalation.trigger == trigger,
        Escalation.target == target.value)) for state, trigger in TRIGGERS.items()]
    conditions = or_(
        and_(col("state") == SlaState.RUNNING.value, col("at_risk_at") <= now),
        and_(col("state").in_([SlaState.RUNNING.value, SlaState.AT_RISK.value]),
             col("due_at") <= now),
        *unescalated)
    if target == SlaTarget.FIRST_RESPONSE:
        return and_(Ticket.first_responded_at.is_(None), conditions)
    return conditions


def _looked_at(now: datetime) -> Any:
    return and_(Ticket.status.in_([s.value for s in ACTIVE]),
                or_(*(_needs_look(t, now) for t in sla.TARGETS)))


Key = tuple[datetime, uuid.UUID]


def candidates(session: Session, now: datetime, tenant_id: uuid.UUID | None = None, *,
               after: Key | None = None, limit: int | None = None) -> list[Ticket]:
    """Tickets (of one tenant, or of every tenant) whose targets crossed a line, or are over
    one and were not escalated yet, oldest first, after the key of the last one seen."""
    stmt = (select(Ticket).where(_looked_at(now))
            .order_by(Ticket.created_at, Ticket.id).limit(limit or BATCH))
    if tenant_id is not None:
        stmt = stmt.where(Ticket.tenant_id == tenant_id)
    if after is not None:
        created, ticket_id = after
        stmt = stmt.where(or_(Ticket.created_at > created,
                              and_(Ticket.created_at == created, Ticket.id > ticket_id)))
    return list(session.scalars(stmt))


def tenants_to_check(session: Session, now: datetime) -> list[uuid.UUID]:
    """The tenants with at least one ticket for check_sla to look at."""
    return sorted(session.scalars(select(Ticket.tenant_id).where(_looked_at(now)).distinct()))


def _matches(rule: EscalationRule, ticket: Ticket, trigger: str, target: SlaTarget) -> bool:
    return (rule.trigger == trigger and rule.target in (None, target.value)
            and rule.policy_id in (None, ticket.sla_policy_id)
            and (not rule.priorities or ticket.priority in rule.priorities))


@dataclass
class Plan:
    recipients: list[str]
    actions: list[str]
    rule_names: list[str]


def _active_rules(session: Session, tenant_id: uuid.UUID) -> list[EscalationRule]:
    """The tenant's active rules by position, read once per transaction."""
    cache: dict[uuid.UUID, list[EscalationRule]] = session.info.setdefault(
        "support_escalation_rules", {})
    if tenant_id not in cache:
        cache[tenant_id] = list(session.scalars(RuleRepository(session, tenant_id)
                                                .ordered(active_only=True)))
    return cache[tenant_id]


def _plan(session: Session, ticket: Ticket, trigger: str, target: SlaTarget,
          now: datetime) -> Plan:
    """Apply the matching rules (all of them, by position) to the ticket; with none, the
    assignee (or the team) is told."""
    rules = [r for r in _active_rules(session, ticket.tenant_id)
             if _matches(r, ticket, trigger, target)]
    plan = Plan([], [], [r.name for r in rules])
    if any(r.reassign_user_id or r.reassign_team_id for r in rules):
        rule = next(r for r in rules if r.reassign_user_id or r.reassign_team_id)
        _reassign(session, ticket, rule, plan, now)
    if any(r.raise_priority for r in rules):
        raised = Priority(ticket.priority).raised()
        if raised.value != ticket.priority:
            # The customer's targets stay as promised; the priority asks for attention.
            service.change_priority(session, ticket, raised, now, retarget=False,
                                    why=f"escalation: {target.value} {trigger}")
            plan.actions.append(f"priority raised to {raised.value}")
    wanted = rules or [EscalationRule(notify_assignee=True, notify_team=True, notify_emails=[])]
    for rule in wanted:
        if rule.notify_assignee or rule.notify_team:
            for address in notify.staff_addresses(session, ticket):
                if address not in plan.recipients:
                    plan.recipients.append(address)
        for address in rule.notify_emails or []:
            if address not in plan.recipients:
                plan.recipients.append(address)
    if plan.recipients:
        plan.actions.append(f"notified {', '.join(plan.recipients)}")
    else:
        plan.actions.append("nobody to notify (no assignee, team address or rule address)")
    return plan


def _reassign(session: Session, ticket: Ticket, rule: EscalationRule, plan: Plan,
              now: datetime) -> None:
    user_id, team_id = ticket.assignee_id, ticket.team_id
    if rule.reassign_user_id is not None:
        try:
            user = identity_service.get_user(session, ticket.tenant_id, rule.reassign_user_id)
        except NotFound:
            user = None
        if user is not None and user.is_active:
            user_id = user.id
            plan.actions.append(f"reassigned to {user.email}")
    if rule.reassign_team_id is not None:
        team = TeamRepository(session, ticket.tenant_id).find(rule.reassign_team_id)
        if team is not None:
            team_id = team.id
            plan.actions.append(f"moved to team {team.name}")
    service.assign(session, ticket, user_id, team_id, now)


def escalate(session: Session, ticket: Ticket, state: SlaState, target: SlaTarget,
             now: datetime, settings: Settings | None) -> bool:
    """Escalate one target of one ticket unless it was escalated for this already; the
    unique (ticket, trigger, target) row is taken first, so a rerun or a second worker
    does nothing."""
    trigger = TRIGGERS[state]
    record = Escalation(tenant_id=ticket.tenant_id, ticket_id=ticket.id, trigger=trigger,
                        target=target.value, created_at=now)
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return False
    plan = _plan(session, ticket, trigger, target, now)
    record.rule_names, record.actions = plan.rule_names, plan.actions
    word = timeline.TARGET_WORDS[target]
    timeline.record(session, ticket, EventKind.ESCALATED,
                    f"{word} {trigger.replace('_', ' ')}: " + "; ".join(plan.actions), now,
                    {"trigger": trigger, "target": target.value, "rules": plan.rule_names})
    session.flush()
    due = getattr(ticket, f"{target.value}_due_at")
    notify.escalated(session, ticket, plan.recipients, {
        "trigger": trigger.replace("_", " "), "target": word, "actions": plan.actions,
        "due_at": due.strftime("%Y-%m-%d %H:%M UTC") if due else ""}, settings)
    return True


@dataclass
class CheckSummary:
    looked_at: int = 0
    at_risk: int = 0
    breached: int = 0
    escalated: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        text = (f"{self.looked_at} tickets checked, {self.at_risk} newly at risk, "
                f"{self.breached} newly breached, {self.escalated} escalations")
        return text + (f", {self.skipped} skipped" if self.skipped else "")


def check_sla(session: Session, now: datetime, settings: Settings | None, *,
              tenant_id: uuid.UUID | None = None) -> CheckSummary:
    """Mark targets at risk or breached as of `now` and escalate what is over a line, in
    this session's transaction (every chunk of candidates)."""
    summary = CheckSummary()
    after: Key | None = None
    while True:
        after = check_chunk(session, now, settings, summary, tenant_id=tenant_id, after=after)
        if after is None:
            return summary


def check_chunk(session: Session, now: datetime, settings: Settings | None,
                summary: CheckSummary, *, tenant_id: uuid.UUID | None = None,
                after: Key | None = None) -> Key | None:
    """Check one chunk of candidates after the given key; returns the key to go on from,
    or None when this was the last chunk. A ticket skipped stays behind the key, so the
    next run (not this one) looks at it again."""
    chunk = candidates(session, now, tenant_id, after=after)
    for ticket in chunk:
        summary.looked_at += 1
        try:
            with session.begin_nested():
                _check_one(session, ticket, now, settings, summary)
        except (AppError, StaleDataError) as exc:
            # One ticket changed under us (or cannot be escalated): the others still are, and
            # the next run looks at this one again.
            summary.skipped += 1
            log.warning("SLA check skipped a ticket", extra={"ticket_id": str(ticket.id),
                                                             "reason": str(exc)})
    if len(chunk) < BATCH:
        return None
    last = chunk[-1]
    return last.created_at, last.id


def _check_one(session: Session, ticket: Ticket, now: datetime, settings: Settings | None,
               summary: CheckSummary) -> None:
    changes = sla.evaluate(ticket, now)
    timeline.record_sla(session, ticket, changes, now)
    summary.at_risk += sum(1 for _t, s in changes if s == SlaState.AT_RISK)
    summary.breached += sum(1 for _t, s in changes if s == SlaState.BREACHED)
    for target in sla.TARGETS:
        state = sla.Clock(ticket, target).state
        if state in TRIGGERS and not sla.achieved(ticket, target) \
                and escalate(session, ticket, state, target, now, settings):
            summary.escalated += 1
    session.flush()
