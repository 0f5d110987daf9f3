"""A billing run queues its invoice emails in bulk: the same message a single issued invoice
gets (default or tenant template), sent afterwards by the outbox job."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings
from dotmac_isp.modules.billing import notify, run
from dotmac_isp.modules.billing.events import InvoiceIssued
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications import outbox
from dotmac_isp.modules.notifications import service as notifications
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.modules.notifications.schemas import TemplateCreate
from dotmac_isp.shared.types import utcnow
from tests.conftest import RollbackDatabase
from tests.modules.billing import bulk
from tests.modules.billing.helpers import configure
from tests.support.customers import make_plan
from tests.support.smtp import smtp_server

RUN_DAY = date(2026, 2, 1)


def _run(session: Session, db: RollbackDatabase, tenant: Tenant, count: int) -> list[Delivery]:
    configure(session, tenant)
    plan = make_plan(session, tenant, price=Decimal("30.00"))
    bulk.subscribers(session, tenant.id, plan, count)
    session.flush()
    run.run(db, tenant.id, RUN_DAY)  # type: ignore[arg-type]
    return list(session.scalars(select(Delivery).where(
        Delivery.tenant_id == tenant.id, Delivery.event_key == "billing.invoice_issued")
        .order_by(Delivery.to_address)))


def _single(session: Session, tenant: Tenant, invoice_id: object) -> Delivery:
    """What the one-invoice path (an invoice issued by hand) queues for the same invoice."""
    invoice = session.get(Invoice, invoice_id)
    assert invoice is not None and invoice.number
    notify.email_invoice(session, InvoiceIssued(
        tenant_id=tenant.id, occurred_at=utcnow(), invoice_id=invoice.id,
        customer_id=invoice.customer_id, number=invoice.number, total=invoice.total,
        currency=invoice.currency))
    session.flush()
    return session.scalars(select(Delivery).where(
        Delivery.related_id == invoice.id).order_by(Delivery.created_at.desc())).first()


def _same(bulked: Delivery, single: Delivery) -> None:
    assert (bulked.to_address, bulked.subject, bulked.body_text, bulked.body_html,
            bulked.template_source, bulked.related_type) == (
        single.to_address, single.subject, single.body_text, single.body_html,
            single.template_source, single.related_type)


def test_run_queues_the_same_email_as_a_single_invoice(session: Session,
                                                       db: RollbackDatabase,
                                                       tenant: Tenant) -> None:
    emails = _run(session, db, tenant, 3)
    assert len(emails) == 3 and all(e.status == "queued" for e in emails)
    invoice = session.get(Invoice, emails[0].related_id)
    assert invoice is not None and invoice.total == Decimal("30.00")
    assert emails[0].subject == f"Invoice {invoice.number} from Tenant A Fibre"
    assert "is due on 2026-02-15" in emails[0].body_text
    assert "Hello Bulk Payer" in emails[0].body_text
    _same(emails[0], _single(session, tenant, invoice.id))


def test_run_uses_the_tenant_template(session: Session, db: RollbackDatabase,
                                      tenant: Tenant) -> None:
    notifications.create_template(session, tenant.id, TemplateCreate(
        event_key="billing.invoice_issued", subject="Bill {{ invoice.number }}",
        body_text="Dear {{ customer.name }}, pay {{ invoice.total }} at "
                  "{{ invoice.url }}", body_html="<p>{{ customer.number }}</p>"))
    [email] = _run(session, db, tenant, 1)
    assert email.subject.startswith("Bill INV-") and email.template_source == "tenant"
    assert email.body_text.startswith("Dear Bulk Payer 0, pay 30.00 at http")
    assert email.body_text.endswith("/portal/tenant-a/billing")
    _same(email, _single(session, tenant, email.related_id))


def test_run_emails_are_sent_by_the_outbox(session: Session, db: RollbackDatabase,
                                           tenant: Tenant) -> None:
    emails = _run(session, db, tenant, 2)
    with smtp_server() as (inbox, port):
        mail = MailSettings(smtp_host="127.0.0.1", smtp_port=port)
        summary = outbox.send_due(db.unit_of_work, mail, utcnow() + timedelta(seconds=1),
                                  limit=100, lease=timedelta(minutes=1))
        assert summary.sent >= 2
        messages = inbox.wait_for(summary.sent)
    subjects = {m["Subject"] for m in messages if m["To"] in {e.to_address for e in emails}}
    assert subjects == {e.subject for e in emails}
