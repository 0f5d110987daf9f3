"""Dunning goes chunk by chunk: a chunk that fails is recorded and the others go on; the
final notice's suspension warning reads as before."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.jobs.models import JobFailure
from dotmac_isp.modules.billing import dunning
from dotmac_isp.modules.billing.models import DunningAction
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications.models import Delivery
from tests.conftest import RollbackDatabase
from tests.modules.billing import bulk
from tests.modules.billing.helpers import configure

DUNNING = {"reminder_days": [3], "final_notice_days": 10, "suspend_after_days": 60}


def _actions(session: Session, tenant: Tenant) -> int:
    return session.scalar(select(func.count()).select_from(DunningAction)
                          .where(DunningAction.tenant_id == tenant.id)) or 0


def test_a_failing_chunk_is_recorded_and_the_others_go_on(
        session: Session, db: RollbackDatabase, tenant: Tenant,
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(session, tenant, dunning=DUNNING)
    bulk.issued_invoices(session, tenant.id, 12, date(2026, 3, 1))
    session.flush()
    real = dunning.dun_chunk
    calls: list[int] = []

    def flaky(s: Session, tenant_id: uuid.UUID, today: date, ids: list[uuid.UUID]) -> Any:
        calls.append(len(ids))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(s, tenant_id, today, ids)

    monkeypatch.setattr(dunning, "dun_chunk", flaky)
    done = dunning.run_for_tenant(db, tenant.id, date(2026, 3, 16),  # type: ignore[arg-type]
                                  chunk_size=5)
    assert calls == [5, 5, 2]
    assert done.failures == ["RuntimeError: disk full"]
    [failure] = session.scalars(select(JobFailure).where(JobFailure.tenant_id == tenant.id))
    assert failure.job == "billing.dunning" and failure.error.endswith("RuntimeError: disk full")
    assert done.counts["reminders"] == 7 and _actions(session, tenant) == 14
    monkeypatch.setattr(dunning, "dun_chunk", real)
    again = dunning.run_for_tenant(db, tenant.id, date(2026, 3, 16))  # type: ignore[arg-type]
    assert again.counts["reminders"] == 5 and _actions(session, tenant) == 24
    last = dunning.run_for_tenant(db, tenant.id, date(2026, 3, 16))  # type: ignore[arg-type]
    assert sum(last.counts.values()) == 0 and _actions(session, tenant) == 24


def test_final_notice_warns_of_the_suspension(session: Session, db: RollbackDatabase,
                                              tenant: Tenant) -> None:
    configure(session, tenant, dunning={**DUNNING, "suspend_after_days": 21})
    [invoice_id] = bulk.issued_invoices(session, tenant.id, 1, date(2026, 3, 1))
    session.flush()
    dunning.run_for_tenant(db, tenant.id, date(2026, 3, 12))  # type: ignore[arg-type]
    [email] = session.scalars(select(Delivery).where(
        Delivery.tenant_id == tenant.id, Delivery.event_key == "billing.suspension_warning"))
    assert email.related_id == invoice_id and email.to_address.startswith("payer0@")
    assert "2026-03-22" in email.body_text and "30.00" in email.body_text
