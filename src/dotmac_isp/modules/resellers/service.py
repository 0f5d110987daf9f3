"""Resellers: create and change them, their brand and logo, their staff and commission
rules. Services flush; the caller's unit of work commits."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.resellers import schemas
from dotmac_isp.modules.resellers.models import CommissionRule, Reseller
from dotmac_isp.modules.resellers.repository import ResellerRepository, RuleRepository
from dotmac_isp.modules.services import catalogue
from dotmac_isp.shared.errors import Conflict, NotFound, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams

MAX_LOGO_BYTES = 128 * 1024  # shown inline on every portal page of its customers
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg"}


def _check_unique(repo: ResellerRepository, name: str | None, slug: str | None,
                  current: Reseller | None = None) -> None:
    if name is not None:
        other = repo.by_name(name)
        if other is not None and other is not current:
            raise Conflict(f"a reseller named {name!r} already exists")
    if slug is not None:
        other = repo.by_slug(slug)
        if other is not None and other is not current:
            raise Conflict(f"the portal address {slug!r} is taken by another reseller")


def create_reseller(session: Session, tenant_id: uuid.UUID,
                    data: schemas.ResellerIn) -> Reseller:
    """A reseller with its brand; its portal is /portal/{tenant}/r/{slug}."""
    repo = ResellerRepository(session, tenant_id)
    _check_unique(repo, data.name, data.slug)
    values = data.model_dump()
    values["email"] = (data.email or "").lower()
    values["status"] = data.status.value
    return repo.add(Reseller(**values))


def get_reseller(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID,
                 *, for_update: bool = False) -> Reseller:
    return ResellerRepository(session, tenant_id).get(reseller_id, for_update=for_update)


def list_resellers(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                   status: str | None = None) -> Page[Reseller]:
    repo = ResellerRepository(session, tenant_id)
    stmt = repo.select().order_by(Reseller.name)
    if status:
        stmt = stmt.where(Reseller.status == status)
    return repo.list(params, stmt)


def update_reseller(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID,
                    data: schemas.ResellerUpdate) -> Reseller:
    repo = ResellerRepository(session, tenant_id)
    reseller = repo.get(reseller_id, for_update=True)
    changes = data.model_dump(exclude_unset=True)
    _check_unique(repo, changes.get("name"), changes.get("slug"), reseller)
    for key, value in changes.items():
        if value is None and key != "email":
            continue
        if key == "email":
            value = (value or "").lower()
        elif key == "status":
            value = value.value if hasattr(value, "value") else value
        elif isinstance(value, str) and key != "notes":
            value = value.strip()
        setattr(reseller, key, value)
    if not reseller.name:
        raise ValidationFailed("name: a reseller needs a name", extra={"field": "name"})
    session.flush()
    return reseller


def logo_type(data: bytes) -> str:
    """Refuses an empty, oversized or non-image logo; returns its type."""
    if not data:
        raise ValidationFailed("Logo: the file is empty", extra={"field": "logo"})
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationFailed(f"Logo: at most {MAX_LOGO_BYTES // 1024} KB (this one is "
                               f"{len(data) // 1024} KB)", extra={"field": "logo"})
    for magic, kind in LOGO_TYPES.items():
        if data.startswith(magic):
            return kind
    raise ValidationFailed("Logo: only PNG or JPEG images are accepted",
                           extra={"field": "logo"})


def set_logo(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID,
             data: bytes | None) -> Reseller:
    """Replace the logo (None removes it)."""
    reseller = get_reseller(session, tenant_id, reseller_id, for_update=True)
    kind = logo_type(data) if data is not None else None
    reseller.logo, reseller.logo_type = data, kind
    session.flush()
    return reseller


def customer_count(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID) -> int:
    return customers_service.count_of_reseller(session, tenant_id, reseller_id)


# Staff -----------------------------------------------------------------------------------

def staff(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID) -> list[User]:
    get_reseller(session, tenant_id, reseller_id)
    return identity_service.users_of_reseller(session, tenant_id, reseller_id)


def add_staff(session: Session, actor: Principal, reseller_id: uuid.UUID,
              user_id: uuid.UUID) -> User:
    """Make a staff user one of the reseller's: from now on they see only its customers."""
    reseller = get_reseller(session, actor.tenant_id, reseller_id)
    user = identity_service.get_user(session, actor.tenant_id, user_id)
    if user.reseller_id not in (None, reseller.id):
        raise Conflict("this user already works for another reseller; remove them there first")
    return identity_service.set_user_reseller(session, actor, user_id, reseller.id)


def add_staff_by_email(session: Session, actor: Principal, reseller_id: uuid.UUID,
                       email: str) -> User:
    found = session.scalar(select(User.id).where(User.tenant_id == actor.tenant_id,
                                                 func.lower(User.email) == email.strip().lower()))
    if found is None:
        raise ValidationFailed("Email: no staff user has this email; invite them first",
                               extra={"field": "email"})
    return add_staff(session, actor, reseller_id, found)


def remove_staff(session: Session, actor: Principal, reseller_id: uuid.UUID,
                 user_id: uuid.UUID) -> User:
    reseller = get_reseller(session, actor.tenant_id, reseller_id)
    user = identity_service.get_user(session, actor.tenant_id, user_id)
    if user.reseller_id != reseller.id:
        raise NotFound("this user is not one of the reseller's staff")
    return identity_service.set_user_reseller(session, actor, user_id, None)


# Commission rules ------------------------------------------------------------------------

def rules(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID) -> list[CommissionRule]:
    get_reseller(session, tenant_id, reseller_id)
    return RuleRepository(session, tenant_id).of_reseller(reseller_id)


def set_rule(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID,
             data: schemas.RuleIn) -> CommissionRule:
    """Create or replace the reseller's rule for a plan (or its rule for every other plan)."""
    reseller = get_reseller(session, tenant_id, reseller_id, for_update=True)  # one writer
    if data.plan_id is not None:
        catalogue.get_plan(session, tenant_id, data.plan_id)
    if data.percent == 0 and data.activation_amount == 0:
        raise ValidationFailed("give a percent, an activation amount, or both",
                               extra={"field": "percent"})
    repo = RuleRepository(session, tenant_id)
    rule = next((r for r in repo.of_reseller(reseller.id) if r.plan_id == data.plan_id), None)
    if rule is None:
        rule = repo.add(CommissionRule(reseller_id=reseller.id, plan_id=data.plan_id,
                                       percent=data.percent,
                                       activation_amount=data.activation_amount))
    else:
        rule.percent, rule.activation_amount = data.percent, data.activation_amount
    session.flush()
    return rule


def delete_rule(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID,
                rule_id: uuid.UUID) -> None:
    repo = RuleRepository(session, tenant_id)
    rule = repo.get(rule_id)
    if rule.reseller_id != reseller_id:
        raise RuleRepository.not_found()
    repo.delete(rule)
