"""Dunning at scale: overdue invoices are marked in chunks (each audited once, a paid one left
alone), and invoices too recent for any stage are never read by the chunks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import dunning
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from tests.conftest import RollbackDatabase
from tests.modules.billing import bulk
from tests.modules.billing.helpers import configure
from tests.support.querycount import count_statements

DUNNING = {"reminder_days": [3], "final_notice_days": 10, "suspend_after_days": 60}
DUE = date(2026, 3, 1)


def _statuses(session: Session, tenant: Tenant) -> dict[str, str]:
    session.expire_all()
    return {str(row.id): row.status for row in session.execute(
        select(Invoice.id, Invoice.status).where(Invoice.tenant_id == tenant.id))}


def _invoice_updates(session: Session, tenant: Tenant) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.entity_type == "invoices",
        AuditLog.action == "update")))


def test_overdue_invoices_are_marked_in_chunks_each_audited_once(
        session: Session, db: RollbackDatabase, tenant: Tenant) -> None:
    configure(session, tenant, dunning=DUNNING)
    ids = bulk.issued_invoices(session, tenant.id, 8, DUE)
    partly, paid = ids[:3], ids[3]
    session.execute(update(Invoice).where(Invoice.id.in_(partly))
                    .values(status="partially_paid", amount_paid=Decimal("10.00")))
    session.execute(update(Invoice).where(Invoice.id == paid)
                    .values(status="paid", amount_paid=Decimal("30.00")))
    session.flush()
    dunning.run_for_tenant(db, tenant.id, date(2026, 3, 5),  # type: ignore[arg-type]
                           mark_chunk=2)
    statuses = _statuses(session, tenant)
    assert statuses.pop(str(paid)) == "paid"
    assert set(statuses.values()) == {"overdue"} and len(statuses) == 7
    entries = _invoice_updates(session, tenant)
    assert sorted(e.entity_id for e in entries) == sorted(statuses)
    assert {e.entity_id: e.before["status"] for e in entries} == {
        str(i): "partially_paid" if i in partly else "issued" for i in ids if i != paid}
    dunning.run_for_tenant(db, tenant.id, date(2026, 3, 6),  # type: ignore[arg-type]
                           mark_chunk=2)
    assert len(_invoice_updates(session, tenant)) == 7


def test_invoices_too_recent_for_any_stage_are_not_read(
        session: Session, db: RollbackDatabase, engine: Engine, tenant: Tenant) -> None:
    configure(session, tenant, dunning=DUNNING)
    bulk.issued_invoices(session, tenant.id, 30, DUE)
    session.flush()
    # two days overdue: the first stage (the reminder) acts at three
    with count_statements(engine) as counted:
        done = dunning.run_for_tenant(db, tenant.id, date(2026, 3, 3),  # type: ignore[arg-type]
                                      chunk_size=10)
    assert sum(done.counts.values()) == 0
    assert set(_statuses(session, tenant).values()) == {"overdue"}
    assert not [s for s in counted.statements if "dunning_actions" in s]
    done = dunning.run_for_tenant(db, tenant.id, date(2026, 3, 4),  # type: ignore[arg-type]
                                  chunk_size=10)
    assert done.counts["reminders"] == 30


def test_a_tenant_without_stages_reads_no_overdue_invoice(
        session: Session, db: RollbackDatabase, engine: Engine, tenant: Tenant) -> None:
    configure(session, tenant, dunning={"reminder_days": [], "final_notice_days": None,
                                        "suspend_after_days": None, "late_fee_kind": "none"})
    bulk.issued_invoices(session, tenant.id, 5, DUE)
    session.flush()
    with count_statements(engine) as counted:
        done = dunning.run_for_tenant(db, tenant.id, date(2026, 6, 1))  # type: ignore[arg-type]
    assert sum(done.counts.values()) == 0 and done.failures == []
    assert not [s for s in counted.statements if "dunning_actions" in s]
    assert set(_statuses(session, tenant).values()) == {"overdue"}
