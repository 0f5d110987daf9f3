"""Bulk writes leave audit rows like single writes: invoices created by a billing run and
invoices marked overdue, one row each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import dunning, run
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from tests.conftest import RollbackDatabase
from tests.modules.billing import bulk
from tests.modules.billing.helpers import configure
from tests.support.customers import make_plan


def _audit(session: Session, tenant: Tenant, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.entity_type == "invoices",
        AuditLog.action == action)))


def test_run_created_invoices_are_audited(session: Session, db: RollbackDatabase,
                                          tenant: Tenant) -> None:
    configure(session, tenant)
    plan = make_plan(session, tenant, price=Decimal("30.00"))
    bulk.subscribers(session, tenant.id, plan, 5)
    session.flush()
    run.run(db, tenant.id, date(2026, 2, 1))  # type: ignore[arg-type]
    made = {str(i) for i in session.scalars(select(Invoice.id).where(
        Invoice.tenant_id == tenant.id))}
    entries = _audit(session, tenant, "create")
    assert {e.entity_id for e in entries} == made and len(entries) == 5
    assert all(e.actor_type == "system" and e.after["status"] == "issued"
               and e.after["total"] == "30.00" and e.after["number"].startswith("INV-")
               for e in entries)


def test_invoices_marked_overdue_are_audited(session: Session, db: RollbackDatabase,
                                             tenant: Tenant) -> None:
    configure(session, tenant)
    ids = bulk.issued_invoices(session, tenant.id, 4, date(2026, 3, 1))
    session.flush()
    dunning.run_for_tenant(db, tenant.id, date(2026, 3, 5))  # type: ignore[arg-type]
    entries = _audit(session, tenant, "update")
    assert {e.entity_id for e in entries} == {str(i) for i in ids}
    assert all(e.before == {"status": "issued"} and e.after == {"status": "overdue"}
               for e in entries)
    dunning.run_for_tenant(db, tenant.id, date(2026, 3, 6))  # type: ignore[arg-type]
    assert len(_audit(session, tenant, "update")) == 4
