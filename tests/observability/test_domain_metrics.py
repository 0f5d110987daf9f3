"""Billing runs, dunning stages and SLA states as Prometheus series, counted once their work
has committed (a chunk rolled back counts nothing), as /metrics shows them."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import dunning, run
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.support import sla_metrics
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.sdks.services import metrics
from tests.conftest import RollbackDatabase
from tests.modules.billing import bulk
from tests.modules.billing.helpers import configure
from tests.modules.support.factories import make_calendar, make_policy, open_ticket
from tests.modules.support.test_escalation import MONDAY_9
from tests.modules.support.test_escalation import run as run_check_sla
from tests.support.customers import make_plan


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(f"dotmac_{name}", labels) or 0.0


class Delta:
    """Each named sample's increase since this was made."""

    def __init__(self, *samples: tuple[str, dict[str, str]]):
        self.before = {(name, tuple(labels.items())): value(name, **labels)
                       for name, labels in samples}

    def __getitem__(self, key: str) -> float:
        name, _, label = key.partition(":")
        for (sample, labels), before in self.before.items():
            if sample == name and (not label or label in dict(labels).values()):
                return value(sample, **dict(labels)) - before
        raise KeyError(key)


def test_a_billing_run_counts_its_invoices_emails_and_time(
        session: Session, db: RollbackDatabase, tenant: Tenant, client: TestClient) -> None:
    configure(session, tenant)
    plan = make_plan(session, tenant, price=Decimal("30.00"))
    bulk.subscribers(session, tenant.id, plan, 3)
    session.flush()
    delta = Delta(("billing_invoices_created_total", {}), ("billing_invoices_issued_total", {}),
                  ("billing_periods_billed_total", {}), ("billing_run_errors_total", {}),
                  ("billing_emails_queued_total", {"email": "invoice_issued"}),
                  ("billing_run_duration_seconds_count", {"outcome": "completed"}))
    run.run(db, tenant.id, date(2026, 2, 1))  # type: ignore[arg-type]
    assert delta["billing_invoices_created_total"] == 3
    assert delta["billing_invoices_issued_total"] == 3
    assert delta["billing_periods_billed_total"] == 3
    assert delta["billing_emails_queued_total"] == 3
    assert delta["billing_run_errors_total"] == 0
    assert delta["billing_run_duration_seconds_count"] == 1
    run.run(db, tenant.id, date(2026, 2, 1))  # type: ignore[arg-type]
    assert delta["billing_invoices_created_total"] == 3  # nothing billed twice
    assert delta["billing_run_duration_seconds_count"] == 2
    text = client.get("/metrics").text
    assert 'dotmac_billing_run_duration_seconds_bucket{le="0.1",outcome="completed"}' in text
    assert 'dotmac_billing_emails_queued_total{email="invoice_issued"}' in text


def test_dunning_counts_stages_of_committed_chunks_only(
        session: Session, db: RollbackDatabase, tenant: Tenant,
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(session, tenant, dunning={"reminder_days": [3], "final_notice_days": 10,
                                        "suspend_after_days": 60})
    bulk.issued_invoices(session, tenant.id, 12, date(2026, 3, 1))
    session.flush()
    delta = Delta(("billing_dunning_actions_total", {"stage": "reminder"}),
                  ("billing_dunning_actions_total", {"stage": "final_notice"}),
                  ("billing_dunning_chunk_failures_total", {}))
    real, calls = dunning.dun_chunk, []

    def second_fails(s: Session, tenant_id: uuid.UUID, today: date, ids: list[Any]) -> Any:
        calls.append(ids)
        counts = real(s, tenant_id, today, ids)  # its actions are taken, then rolled back
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return counts

    monkeypatch.setattr(dunning, "dun_chunk", second_fails)
    done = dunning.run_for_tenant(db, tenant.id, date(2026, 3, 16),  # type: ignore[arg-type]
                                  chunk_size=5)
    assert done.counts["reminders"] == 7 and done.counts["final_notices"] == 7
    assert delta["billing_dunning_actions_total:reminder"] == 7
    assert delta["billing_dunning_actions_total:final_notice"] == 7
    assert delta["billing_dunning_chunk_failures_total"] == 1


def test_the_sla_job_sets_open_tickets_at_risk_and_breached(
        session: Session, db: RollbackDatabase, settings: Settings, tenant: Tenant,
        other_tenant: Tenant) -> None:
    office = make_policy(session, tenant, make_calendar(session, tenant, name="Office"))
    assert office is not None
    make_policy(session, other_tenant, make_calendar(session, other_tenant, name="Office"))
    for owner in (tenant, other_tenant):
        open_ticket(session, owner, MONDAY_9, priority="high")  # first response within 4h
    session.commit()
    # both at risk at 12:15 (80% of 4h used), in total over the two tenants
    run_check_sla(db, settings, MONDAY_9.replace(hour=12, minute=15))
    assert value("support_sla_tickets", target="first_response", state="at_risk") == 2
    assert value("support_sla_tickets", target="first_response", state="breached") == 0
    run_check_sla(db, settings, MONDAY_9.replace(hour=13, minute=1))
    assert value("support_sla_tickets", target="first_response", state="at_risk") == 0
    assert value("support_sla_tickets", target="first_response", state="breached") == 2
    # a closed ticket is no longer counted
    closed = session.query(Ticket).filter(Ticket.tenant_id == tenant.id).one()
    closed.status = "closed"
    session.commit()
    counts = sla_metrics.refresh(session)
    assert counts[("first_response", "breached")] == 1
    assert value("support_sla_tickets", target="first_response", state="breached") == 1
