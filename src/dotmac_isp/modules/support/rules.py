"""Escalation rules: what happens when a target is at risk or breached."""

from __future__ import annotations

import uuid
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.support.repository import (
    PolicyRepository,
    RuleRepository,
    TeamRepository,
)
from dotmac_isp.modules.support.sla_models import EscalationRule
from dotmac_isp.modules.support.sla_schemas import RuleIn
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams


def list_rules(session: Session, tenant_id: uuid.UUID,
               params: PageParams) -> Page[EscalationRule]:
    repo = RuleRepository(session, tenant_id)
    return repo.list(params, repo.ordered())


def get_rule(session: Session, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> EscalationRule:
    return RuleRepository(session, tenant_id).get(rule_id)


def _apply(session: Session, tenant_id: uuid.UUID, rule: EscalationRule, data: RuleIn) -> None:
    found = session.scalar(select(EscalationRule.id).where(
        EscalationRule.tenant_id == tenant_id, EscalationRule.name == data.name))
    if found is not None and found != rule.id:
        raise Conflict(f"an escalation rule named {data.name!r} exists")
    references.optional(session, PolicyRepository(session, tenant_id).find, data.policy_id,
                        "policy_id", "SLA policy")
    references.optional(session, TeamRepository(session, tenant_id).find,
                        data.reassign_team_id, "reassign_team_id", "team")
    references.optional(session, partial(identity_service.get_user, session, tenant_id),
                        data.reassign_user_id, "reassign_user_id", "staff user")
    rule.name, rule.position, rule.is_active = data.name, data.position, data.is_active
    rule.trigger = data.trigger.value
    rule.target = data.target.value if data.target else None
    rule.policy_id = data.policy_id
    rule.priorities = sorted(p.value for p in set(data.priorities))
    rule.notify_assignee, rule.notify_team = data.notify_assignee, data.notify_team
    rule.notify_emails = sorted({str(e).lower() for e in data.notify_emails})
    rule.raise_priority = data.raise_priority
    rule.reassign_user_id, rule.reassign_team_id = data.reassign_user_id, data.reassign_team_id


def create_rule(session: Session, tenant_id: uuid.UUID, data: RuleIn) -> EscalationRule:
    rule = EscalationRule(tenant_id=tenant_id)
    _apply(session, tenant_id, rule, data)
    return RuleRepository(session, tenant_id).add(rule)


def update_rule(session: Session, tenant_id: uuid.UUID, rule_id: uuid.UUID,
                data: RuleIn) -> EscalationRule:
    rule = get_rule(session, tenant_id, rule_id)
    _apply(session, tenant_id, rule, data)
    session.flush()
    return rule


def delete_rule(session: Session, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> None:
    repo = RuleRepository(session, tenant_id)
    repo.delete(repo.get(rule_id))
