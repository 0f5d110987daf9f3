"""The expiry job: vouchers past their validity become expired, once, and the RADIUS
servers are told."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.hotspot import service
from dotmac_isp.modules.hotspot.models import Voucher
from dotmac_isp.modules.hotspot.tasks import expire_vouchers
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from dotmac_isp.modules.network.radius.models import PolicyChange
from dotmac_isp.shared.types import utcnow
from tests.conftest import RollbackDatabase
from tests.modules.hotspot.support import make_batch, make_voucher_plan


def test_lapsed_vouchers_are_marked_expired_once(db: RollbackDatabase, session: Session,
                                                  settings: Settings, tenant: Tenant) -> None:
    batch = make_batch(session, tenant, make_voucher_plan(session, tenant), 3)
    lapsed, running, unused = service.batch_vouchers(session, tenant.id, batch.id)
    now = utcnow()
    for voucher, until in ((lapsed, now - timedelta(minutes=1)),
                           (running, now + timedelta(hours=1))):
        session.execute(update(Voucher).where(Voucher.id == voucher.id).values(
            state="active", activated_at=now - timedelta(hours=2), expires_at=until))
    session.commit()
    ctx = JobContext(database=db, settings=settings, now=now)  # type: ignore[arg-type]
    assert expire_vouchers(ctx) == "1 vouchers expired"
    assert expire_vouchers(ctx) == "0 vouchers expired"
    session.expire_all()
    states = dict(session.execute(select(Voucher.id, Voucher.state).where(
        Voucher.batch_id == batch.id)).all())
    assert (states[lapsed.id], states[running.id], states[unused.id]) == (
        "expired", "active", "unused")
    assert session.scalar(select(PolicyChange.id).where(
        PolicyChange.object_id == lapsed.id, PolicyChange.kind == "hotspot_voucher"))
    assert session.scalar(select(AuditLog.id).where(
        AuditLog.entity_id == str(lapsed.id), AuditLog.summary == "update voucher expired"))
