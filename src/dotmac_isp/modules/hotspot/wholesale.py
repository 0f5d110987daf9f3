"""Voucher batches sold whole to a reseller at the plan's wholesale price.

A batch is sold once, and only while every voucher in it is untouched: none logged in, none
sold on its own (revoked ones are not charged for). The batch row is locked first, so of
parallel sells of one batch exactly one wins and the others see it sold; the vouchers are
then marked with a conditional update that must reach every unused one, so a voucher that
logs in meanwhile makes the sale fail instead of being charged for. What the reseller owes
shows as a negative line on its commission statement (resellers/statements.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.hotspot.enums import VoucherState
from dotmac_isp.modules.hotspot.models import Voucher, VoucherBatch, VoucherPlan
from dotmac_isp.modules.hotspot.repository import BatchRepository, PlanRepository
from dotmac_isp.modules.identity import audit
from dotmac_isp.modules.resellers import lookup as reseller_lookup
from dotmac_isp.shared.errors import Conflict, InvalidState
from dotmac_isp.shared.money import currency_places
from dotmac_isp.shared.types import utcnow

_CHUNK = 500


def total_of(unit_price: Decimal, quantity: int, currency: str) -> Decimal:
    """quantity x unit price, rounded half up to the currency's minor unit."""
    return (unit_price * quantity).quantize(Decimal(1).scaleb(-currency_places(currency)),
                                            rounding=ROUND_HALF_UP)


def check_buyer(session: Session, tenant_id: uuid.UUID, plan: VoucherPlan,
                reseller_id: uuid.UUID) -> str:
    """The reseller's name, if it may buy vouchers of the plan (before any are made)."""
    name = reseller_lookup.buyer_name(session, tenant_id, reseller_id)
    if plan.wholesale_price is None:
        raise InvalidState(f"voucher plan {plan.name!r} has no wholesale price; set one first",
                           extra={"field": "reseller_id"})
    return name


def sell_to_reseller(session: Session, tenant_id: uuid.UUID, batch_id: uuid.UUID,
                     reseller_id: uuid.UUID, *, sold_by: str,
                     now: datetime | None = None) -> VoucherBatch:
    """Sell the whole batch to a reseller at its plan's wholesale price; refused when it is
    sold already or any voucher in it was used, is active or was sold on its own."""
    batch = BatchRepository(session, tenant_id).get(batch_id, for_update=True)
    if batch.reseller_id is not None:
        buyer = reseller_lookup.names(session, tenant_id).get(batch.reseller_id, "a reseller")
        sold_on = f" on {batch.sold_at:%Y-%m-%d}" if batch.sold_at else ""
        raise Conflict(f"batch {batch.name} was already sold to {buyer}{sold_on}")
    plan = PlanRepository(session, tenant_id).get(batch.plan_id)
    name = check_buyer(session, tenant_id, plan, reseller_id)
    assert plan.wholesale_price is not None  # checked
    counts: dict[str, int] = {state: n for state, n in session.execute(
        select(Voucher.state, func.count()).where(Voucher.tenant_id == tenant_id,
                                                  Voucher.batch_id == batch.id)
        .group_by(Voucher.state))}
    touched = sum(n for state, n in counts.items()
                  if state not in (VoucherState.UNUSED, VoucherState.REVOKED))
    if touched:
        raise InvalidState(f"batch {batch.name} has {touched} voucher(s) already used or "
                           f"active; only a batch of unused vouchers is sold to a reseller")
    sold_singly = session.scalar(select(func.count()).select_from(Voucher).where(
        Voucher.tenant_id == tenant_id, Voucher.batch_id == batch.id,
        Voucher.state == VoucherState.UNUSED, Voucher.sold_to != "")) or 0
    if sold_singly:
        raise InvalidState(f"batch {batch.name} has {sold_singly} voucher(s) sold on their "
                           f"own already; only a batch of unsold vouchers is sold to a reseller")
    quantity = counts.get(VoucherState.UNUSED.value, 0)
    if quantity == 0:
        raise InvalidState(f"batch {batch.name} has no unused vouchers to sell")
    when = now or utcnow()
    ids = list(session.scalars(select(Voucher.id).where(
        Voucher.tenant_id == tenant_id, Voucher.batch_id == batch.id,
        Voucher.state == VoucherState.UNUSED, Voucher.sold_to == "")))
    marked = 0
    for i in range(0, len(ids), _CHUNK):
        result = session.execute(
            update(Voucher).where(Voucher.id.in_(ids[i:i + _CHUNK]),
                                  Voucher.state == VoucherState.UNUSED, Voucher.sold_to == "")
            .values(sold_to=name[:200], sold_at=when, updated_at=when)
            .execution_options(synchronize_session=False))
        marked += int(getattr(result, "rowcount", 0) or 0)
    if marked != quantity or len(ids) != quantity:
        raise Conflict(f"a voucher of batch {batch.name} was used while it was being sold; "
                       f"try again")
    audit.record_bulk(session, "update", Voucher.__tablename__,
                      [(tenant_id, i, {"sold_to": ""}, {"sold_to": name}) for i in ids],
                      label="voucher sold to a reseller")
    batch.reseller_id, batch.sold_at, batch.sold_by = reseller_id, when, sold_by[:254]
    batch.unit_price, batch.quantity, batch.currency = plan.wholesale_price, quantity, plan.currency
    batch.total = total_of(plan.wholesale_price, quantity, plan.currency)
    session.flush()
    return batch


def sold_to_resellers(session: Session, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """The resellers that bought a batch, for the commission statement run."""
    return list(session.scalars(select(VoucherBatch.reseller_id).where(
        VoucherBatch.tenant_id == tenant_id, VoucherBatch.reseller_id.is_not(None)).distinct()))
