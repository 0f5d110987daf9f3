"""Hotspot's public face for the API, pages, jobs and the RADIUS adapter: voucher plans,
batches of codes, vouchers (sell, revoke) and what each has used."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.hotspot import codes, schemas, wholesale
from dotmac_isp.modules.hotspot.enums import FINISHED, HotspotChange, VoucherState
from dotmac_isp.modules.hotspot.models import Voucher, VoucherBatch, VoucherPlan, VoucherSession
from dotmac_isp.modules.hotspot.repository import (
    BatchRepository,
    PlanRepository,
    VoucherRepository,
    VoucherSessionRepository,
)
from dotmac_isp.modules.identity import audit
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.radius import changes
from dotmac_isp.modules.network.radius import service as radius_service
from dotmac_isp.shared import bulk
from dotmac_isp.shared.errors import Conflict, InvalidState, ValidationFailed
from dotmac_isp.shared.keyset import KeyOrder
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

_CHUNK = 500
_CODE_TRIES = 5


# Plans ---------------------------------------------------------------------------------

def list_plans(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
               active: bool | None = None) -> Page[VoucherPlan]:
    repo = PlanRepository(session, tenant_id)
    stmt = repo.select().order_by(VoucherPlan.name, VoucherPlan.id)
    if active is not None:
        stmt = stmt.where(VoucherPlan.is_active.is_(active))
    return repo.list(params, stmt)


def get_plan(session: Session, tenant_id: uuid.UUID, plan_id: uuid.UUID) -> VoucherPlan:
    return PlanRepository(session, tenant_id).get(plan_id)


def _unique_name(session: Session, tenant_id: uuid.UUID, name: str,
                 plan_id: uuid.UUID | None = None) -> None:
    taken = session.scalar(select(VoucherPlan.id).where(
        VoucherPlan.tenant_id == tenant_id, VoucherPlan.name == name))
    if taken is not None and taken != plan_id:
        raise Conflict(f"a voucher plan named {name!r} already exists", extra={"field": "name"})


def create_plan(session: Session, tenant_id: uuid.UUID, body: schemas.PlanCreate) -> VoucherPlan:
    """A voucher plan, priced in the tenant's currency unless another is given."""
    _unique_name(session, tenant_id, body.name)
    currency = body.currency or identity_service.get_tenant(session, tenant_id).currency
    return PlanRepository(session, tenant_id).add(VoucherPlan(
        **body.model_dump(exclude={"currency"}), currency=currency))


def update_plan(session: Session, tenant_id: uuid.UUID, plan_id: uuid.UUID,
                body: schemas.PlanUpdate) -> VoucherPlan:
    """Change a plan; vouchers already printed follow it (their next login shows it)."""
    plan = get_plan(session, tenant_id, plan_id)
    given = body.model_dump(exclude_unset=True)
    for key in ("name", "price", "devices", "mac_login", "is_active", "description"):
        if key in given and given[key] is None:
            raise ValidationFailed(f"{key} may not be empty", extra={"field": key})
    if given.get("name") and given["name"] != plan.name:
        _unique_name(session, tenant_id, given["name"], plan.id)
    merged = {**{k: getattr(plan, k) for k in schemas.PlanUpdate.model_fields}, **given}
    try:
        schemas.check_plan(schemas.PlanUpdate.model_construct(**merged))
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    try:
        schemas.check_wholesale(merged["price"], merged["wholesale_price"])
    except ValueError as exc:
        raise ValidationFailed(f"wholesale_price: {exc}",
                               extra={"field": "wholesale_price"}) from exc
    for key, value in given.items():
        setattr(plan, key, value)
    session.flush()
    return plan


# Batches -------------------------------------------------------------------------------

def list_batches(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                 plan_id: uuid.UUID | None = None,
                 reseller_id: uuid.UUID | None = None) -> Page[VoucherBatch]:
    repo = BatchRepository(session, tenant_id)
    stmt = repo.select()
    if plan_id is not None:
        stmt = stmt.where(VoucherBatch.plan_id == plan_id)
    if reseller_id is not None:
        stmt = stmt.where(VoucherBatch.reseller_id == reseller_id)
    return repo.list_by_key(params, stmt, KeyOrder(VoucherBatch.created_at, VoucherBatch.id))


def get_batch(session: Session, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> VoucherBatch:
    return BatchRepository(session, tenant_id).get(batch_id)


def _fresh_codes(session: Session, tenant_id: uuid.UUID, count: int, length: int) -> list[str]:
    """count codes unique among themselves and the tenant's stored codes."""
    chosen: set[str] = set()
    for _ in range(_CODE_TRIES):
        wanted = [codes.new_code(length) for _ in range(count - len(chosen))]
        fresh = set(wanted) - chosen
        listed = list(fresh)
        for i in range(0, len(listed), _CHUNK):
            fresh -= set(session.scalars(select(Voucher.code).where(
                Voucher.tenant_id == tenant_id, Voucher.code.in_(listed[i:i + _CHUNK]))))
        chosen |= fresh
        if len(chosen) == count:
            return sorted(chosen)
    raise Conflict("could not find enough unused codes; try a longer code length")


def create_batch(session: Session, tenant_id: uuid.UUID, body: schemas.BatchCreate, *,
                 created_by: str = "") -> VoucherBatch:
    """Generate body.count vouchers of an active plan, each with an unguessable code; sold to
    body.reseller_id at the plan's wholesale price when given."""
    plan = get_plan(session, tenant_id, body.plan_id)
    if not plan.is_active:
        raise InvalidState(f"voucher plan {plan.name!r} is retired; vouchers are made only "
                           f"of active plans", extra={"field": "plan_id"})
    if body.reseller_id is not None:
        wholesale.check_buyer(session, tenant_id, plan, body.reseller_id)
    now = utcnow()
    name = body.name.strip() or f"{plan.name} {now:%Y-%m-%d %H:%M}"
    batch = BatchRepository(session, tenant_id).add(VoucherBatch(
        plan_id=plan.id, name=name, count=body.count, note=body.note, created_by=created_by))
    rows: list[dict[str, Any]] = [{"id": uuid.uuid4(), "tenant_id": tenant_id, "batch_id": batch.id,
             "plan_id": plan.id, "code": code, "state": VoucherState.UNUSED.value,
             "used_seconds": 0, "used_octets": 0, "sold_to": "", "revoked_reason": "",
             "created_at": now, "updated_at": now}
            for code in _fresh_codes(session, tenant_id, body.count, body.code_length)]
    bulk.insert_rows(session, Voucher, rows)
    audit.record_bulk(session, "create", Voucher.__tablename__, [
        (tenant_id, row["id"], None, {"batch_id": batch.id, "plan_id": plan.id,
                                      "state": row["state"]}) for row in rows],
        label=f"voucher of batch {name}")
    changes.record(session, tenant_id, HotspotChange.BATCH, batch.id)
    if body.reseller_id is not None:
        wholesale.sell_to_reseller(session, tenant_id, batch.id, body.reseller_id,
                                   sold_by=created_by)
    return batch


def issue_sold_voucher(session: Session, tenant_id: uuid.UUID, plan: VoucherPlan, *,
                       batch_name: str, sold_to: str, created_by: str = "") -> Voucher:
    """One voucher of the plan in a batch of its own, already sold to `sold_to` (a voucher
    paid for online: issued even if the plan was retired while its buyer paid)."""
    now = utcnow()
    batch = BatchRepository(session, tenant_id).add(VoucherBatch(
        plan_id=plan.id, name=batch_name[:100], count=1, created_by=created_by[:254]))
    code = _fresh_codes(session, tenant_id, 1, codes.DEFAULT_LENGTH)[0]
    voucher = VoucherRepository(session, tenant_id).add(Voucher(
        batch_id=batch.id, plan_id=plan.id, code=code, state=VoucherState.UNUSED.value,
        sold_to=sold_to[:200], sold_at=now))
    changes.record(session, tenant_id, HotspotChange.BATCH, batch.id)
    return voucher


def batch_vouchers(session: Session, tenant_id: uuid.UUID,
                   batch_id: uuid.UUID) -> list[Voucher]:
    """A batch's vouchers in code order, for the cards and the export."""
    get_batch(session, tenant_id, batch_id)
    return list(session.scalars(VoucherRepository(session, tenant_id).select().where(
        Voucher.batch_id == batch_id).order_by(Voucher.code)))


def sell_batch(session: Session, tenant_id: uuid.UUID, batch_id: uuid.UUID,
               sold_to: str) -> int:
    """Mark every unsold voucher of the batch sold (or given) to someone; returns how many."""
    get_batch(session, tenant_id, batch_id)
    ids = list(session.scalars(select(Voucher.id).where(
        Voucher.tenant_id == tenant_id, Voucher.batch_id == batch_id, Voucher.sold_to == "",
        Voucher.state != VoucherState.REVOKED)))
    now = utcnow()
    for i in range(0, len(ids), _CHUNK):
        session.execute(update(Voucher).where(Voucher.id.in_(ids[i:i + _CHUNK]))
                        .values(sold_to=sold_to, sold_at=now, updated_at=now))
    audit.record_bulk(session, "update", Voucher.__tablename__,
                      [(tenant_id, i, {"sold_to": ""}, {"sold_to": sold_to}) for i in ids],
                      label="voucher sold")
    return len(ids)


# Vouchers ------------------------------------------------------------------------------

def list_vouchers(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                  state: VoucherState | None = None, batch_id: uuid.UUID | None = None,
                  code: str | None = None, sold_to: str | None = None) -> Page[Voucher]:
    """Vouchers newest first, paged by key (no count: there may be millions)."""
    repo = VoucherRepository(session, tenant_id)
    stmt = repo.search(utcnow(), state=state, batch_id=batch_id,
                       code=codes.normal_code(code) if code else None, sold_to=sold_to)
    return repo.list_by_key(params, stmt, KeyOrder(Voucher.created_at, Voucher.id))


def get_voucher(session: Session, tenant_id: uuid.UUID, voucher_id: uuid.UUID, *,
                for_update: bool = False) -> Voucher:
    return VoucherRepository(session, tenant_id).get(voucher_id, for_update=for_update)


def state_of(voucher: Voucher, now: datetime | None = None) -> str:
    """The voucher's state as of now (an active one past its validity is expired)."""
    if (voucher.state == VoucherState.ACTIVE and voucher.expires_at is not None
            and voucher.expires_at <= (now or utcnow())):
        return VoucherState.EXPIRED.value
    return voucher.state


def voucher_sessions(session: Session, tenant_id: uuid.UUID, voucher_id: uuid.UUID,
                     limit: int = 100) -> list[VoucherSession]:
    """The voucher's accounting sessions, latest first."""
    get_voucher(session, tenant_id, voucher_id)
    return list(session.scalars(VoucherSessionRepository(session, tenant_id).select().where(
        VoucherSession.voucher_id == voucher_id)
        .order_by(VoucherSession.started_at.desc()).limit(limit)))


def sell_voucher(session: Session, tenant_id: uuid.UUID, voucher_id: uuid.UUID,
                 sold_to: str) -> Voucher:
    """Record who a voucher was sold (or given) to."""
    voucher = get_voucher(session, tenant_id, voucher_id, for_update=True)
    if voucher.state == VoucherState.REVOKED:
        raise InvalidState("the voucher is revoked")
    if voucher.sold_to and voucher.sold_to != sold_to:
        raise Conflict(f"the voucher was already sold to {voucher.sold_to}")
    voucher.sold_to, voucher.sold_at = sold_to, voucher.sold_at or utcnow()
    session.flush()
    return voucher


def revoke_voucher(session: Session, tenant_id: uuid.UUID, voucher_id: uuid.UUID, *,
                   reason: str = "", requested_by: str = "system") -> Voucher:
    """Refuse the code from now on and disconnect its live sessions (after the commit)."""
    voucher = get_voucher(session, tenant_id, voucher_id, for_update=True)
    if voucher.state == VoucherState.REVOKED:
        raise Conflict("the voucher is already revoked")
    voucher.state, voucher.finished_at = VoucherState.REVOKED.value, utcnow()
    voucher.revoked_reason = reason
    session.flush()
    live = session.scalars(select(VoucherSession.acctuniqueid).where(
        VoucherSession.voucher_id == voucher.id, VoucherSession.stopped_at.is_(None))).all()
    for row in radius_service.open_sessions_among(session, tenant_id, list(live)):
        # a NAS no longer configured: nothing to tell; the code is refused from now on anyway
        with contextlib.suppress(Conflict, InvalidState):
            radius_service.disconnect_session(session, tenant_id, row.radacctid, requested_by)
    return voucher


def activate(session: Session, tenant_id: uuid.UUID, voucher_id: uuid.UUID, when: datetime,
             expires_at: datetime | None, mac: str | None = None) -> bool:
    """The first login: the validity starts now (unless another server started it already),
    and the device's MAC is bound when the plan allows MAC login."""
    result = session.execute(
        update(Voucher).where(Voucher.id == voucher_id, Voucher.tenant_id == tenant_id,
                              Voucher.activated_at.is_(None))
        .values(activated_at=when, expires_at=expires_at, updated_at=when,
                state=case((Voucher.state == VoucherState.UNUSED, VoucherState.ACTIVE.value),
                           else_=Voucher.state)))
    started = int(getattr(result, "rowcount", 0) or 0)
    if started and mac:
        session.execute(update(Voucher).where(Voucher.id == voucher_id, Voucher.mac.is_(None))
                        .values(mac=mac))
    changes.record(session, tenant_id, HotspotChange.VOUCHER, voucher_id)
    return bool(started)


def expire_lapsed(session: Session, tenant_id: uuid.UUID, now: datetime) -> int:
    """Mark active vouchers past their validity expired; returns how many."""
    ids = list(session.scalars(select(Voucher.id).where(
        Voucher.tenant_id == tenant_id, Voucher.state == VoucherState.ACTIVE,
        Voucher.expires_at.is_not(None), Voucher.expires_at <= now)))
    for i in range(0, len(ids), _CHUNK):
        session.execute(update(Voucher).where(Voucher.id.in_(ids[i:i + _CHUNK]))
                        .values(state=VoucherState.EXPIRED.value, finished_at=now,
                                updated_at=now))
    audit.record_bulk(session, "update", Voucher.__tablename__,
                      [(tenant_id, i, {"state": "active"}, {"state": "expired"}) for i in ids],
                      label="voucher expired")
    for voucher_id in ids:
        changes.record(session, tenant_id, HotspotChange.VOUCHER, voucher_id)
    return len(ids)


def tenants_with_active_vouchers(session: Session) -> list[uuid.UUID]:
    return list(session.scalars(select(Voucher.tenant_id).where(
        Voucher.state == VoucherState.ACTIVE).distinct()))


def is_finished(state: str) -> bool:
    return state in FINISHED


def export_rows(vouchers: list[Voucher], plan: VoucherPlan) -> list[list[Any]]:
    """The CSV of a batch: one line per voucher."""
    return [[v.code, plan.name, schemas.price_text(plan.price, plan.currency), state_of(v),
             v.sold_to, v.activated_at.isoformat() if v.activated_at else "",
             v.expires_at.isoformat() if v.expires_at else ""] for v in vouchers]


EXPORT_HEADER = ["code", "plan", "price", "state", "sold_to", "activated_at", "expires_at"]
