"""The plan catalogue and add-ons. Archived plans stay on the subscriptions that have them."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.services import events, schemas
from dotmac_isp.modules.services.models import Plan, PlanAddon
from dotmac_isp.modules.services.repository import AddonRepository, PlanRepository
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow


def create_plan(session: Session, tenant_id: uuid.UUID, data: schemas.PlanCreate) -> Plan:
    repo = PlanRepository(session, tenant_id)
    if repo.by_name(data.name) is not None:
        raise Conflict(f"a plan named {data.name!r} already exists")
    currency = data.currency or identity_service.get_tenant(session, tenant_id).currency
    fields = data.model_dump(mode="python", exclude={"currency"})
    fields["kind"] = data.kind.value
    fields["billing_cycle"] = data.billing_cycle.value
    plan = repo.add(Plan(currency=currency, **fields))
    _check_pools(session, tenant_id, plan)
    return plan


def _check_pools(session: Session, tenant_id: uuid.UUID, plan: Plan) -> None:
    if plan.ipv4_pool_id is None and plan.ipv6_pd_pool_id is None:
        return
    publish(session, events.PlanPoolsChosen(
        tenant_id=tenant_id, occurred_at=utcnow(), plan_id=plan.id,
        ipv4_pool_id=plan.ipv4_pool_id, ipv6_pd_pool_id=plan.ipv6_pd_pool_id))


def get_plan(session: Session, tenant_id: uuid.UUID, plan_id: uuid.UUID) -> Plan:
    return PlanRepository(session, tenant_id).get(plan_id)


def list_plans(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
               kind: str | None = None, archived: bool | None = False) -> Page[Plan]:
    repo = PlanRepository(session, tenant_id)
    stmt = repo.select().order_by(Plan.kind, Plan.price, Plan.name)
    if kind:
        stmt = stmt.where(Plan.kind == kind)
    if archived is not None:
        stmt = stmt.where(Plan.is_archived.is_(archived))
    return repo.list(params, stmt)


def update_plan(session: Session, tenant_id: uuid.UUID, plan_id: uuid.UUID,
                data: schemas.PlanUpdate) -> Plan:
    repo = PlanRepository(session, tenant_id)
    plan = repo.get(plan_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") and changes["name"] != plan.name and repo.by_name(changes["name"]):
        raise Conflict(f"a plan named {changes['name']!r} already exists")
    for key, value in changes.items():
        if value is not None or key == "session_timeout_seconds":
            setattr(plan, key, value)
    session.flush()
    return plan


def set_archived(session: Session, tenant_id: uuid.UUID, plan_id: uuid.UUID,
                 archived: bool) -> Plan:
    """Archived plans cannot be sold; subscriptions already on them keep them."""
    plan = get_plan(session, tenant_id, plan_id)
    plan.is_archived = archived
    plan.archived_at = utcnow() if archived else None
    session.flush()
    return plan


def create_addon(session: Session, tenant_id: uuid.UUID, data: schemas.AddonCreate) -> PlanAddon:
    repo = AddonRepository(session, tenant_id)
    if session.scalar(repo.select(PlanAddon.id).where(PlanAddon.name == data.name)):
        raise Conflict(f"an add-on named {data.name!r} already exists")
    currency = data.currency or identity_service.get_tenant(session, tenant_id).currency
    return repo.add(PlanAddon(name=data.name, description=data.description, price=data.price,
                              currency=currency, recurring=data.recurring,
                              plan_kinds=[k.value for k in data.plan_kinds]))


def get_addon(session: Session, tenant_id: uuid.UUID, addon_id: uuid.UUID) -> PlanAddon:
    return AddonRepository(session, tenant_id).get(addon_id)


def list_addons(session: Session, tenant_id: uuid.UUID, params: PageParams) -> Page[PlanAddon]:
    repo = AddonRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(PlanAddon.name))


def update_addon(session: Session, tenant_id: uuid.UUID, addon_id: uuid.UUID,
                 data: schemas.AddonUpdate) -> PlanAddon:
    addon = get_addon(session, tenant_id, addon_id)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(addon, key, value)
    session.flush()
    return addon


def plans_by_id(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, Plan]:
    """Every plan of the tenant, archived ones too (for batch jobs)."""
    return {p.id: p for p in session.scalars(PlanRepository(session, tenant_id).select())}
