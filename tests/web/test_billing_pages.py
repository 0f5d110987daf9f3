"""Staff billing pages over HTTP: invoices, PDFs, credit notes, payments, statement, runs."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.models import BillingRun, Payment
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.billing.helpers import world
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import invoice, pay, pdf_text, visible, with_vat
from tests.web.test_admin_pages import csrf_of, sign_in


def test_invoice_list_filters_totals_and_pages(client: TestClient, admin: StaffUser,
                                               session: Session, tenant: Tenant) -> None:
    with_vat(session, tenant)
    customer = make_customer(session, tenant, last_name="Okafor")
    paid = invoice(session, tenant, customer.id, "100.00")
    pay(session, tenant, customer.id, "107.50")
    late = invoice(session, tenant, customer.id, "20.00", on=date(2025, 1, 10))
    for _ in range(25):
        invoice(session, tenant, customer.id, "10.00", on=date(2099, 1, 1))
    draft = invoice(session, tenant, customer.id, "5.00", on=None)
    sign_in(client, admin.user.email, admin.password)
    first = client.get("/admin/invoices")
    assert first.status_code == 200
    assert "25 shown of 28" in visible(first.text)
    following = re.search(r'href="(/admin/invoices\?cursor=[^"]+)" rel="next"', first.text)
    assert following and "3 shown of 28" in visible(client.get(following.group(1)).text)
    # 107.50 + 21.50 + 25 x 10.75 + 5.38 (draft), of which only the paid one is settled
    assert "28 invoices: total 403.13 USD, balance due 295.63 USD" in visible(first.text)
    overdue = client.get("/admin/invoices", params={"overdue": "1"})
    assert late.number in overdue.text and paid.number not in overdue.text
    assert "1 invoice: total 21.50 USD" in visible(overdue.text)
    drafts = client.get("/admin/invoices", params={"status": "draft"})
    assert f"/admin/invoices/{draft.id}" in drafts.text and late.number not in drafts.text
    mine = client.get("/admin/invoices", params={"customer_id": customer.number,
                                                 "status": "paid"})
    assert paid.number in mine.text and "Okafor" in mine.text
    assert client.get("/admin/invoices", params={"status": "nonsense",
                                                 "cursor": "-5"}).status_code == 200


def test_invoice_detail_pdf_and_payments_applied(client: TestClient, admin: StaffUser,
                                                 session: Session, tenant: Tenant) -> None:
    with_vat(session, tenant)
    customer = make_customer(session, tenant, company_name="Lekki Bakery", kind="business")
    inv = invoice(session, tenant, customer.id, "100.00", "20.00")
    payment = pay(session, tenant, customer.id, "50.00")
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/invoices/{inv.id}")
    assert page.status_code == 200
    assert "Router 1" in page.text and "Router 2" in page.text
    assert "VAT 7.5" in page.text and "9.00 USD" in page.text  # 7.5% of 120.00
    assert "129.00 USD" in page.text and payment.number in page.text
    assert "79.00 USD" in page.text  # balance due
    assert f'href="/admin/invoices/{inv.id}/pdf"' in page.text
    document = client.get(f"/admin/invoices/{inv.id}/pdf")
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert f'filename="{inv.number}.pdf"' in document.headers["content-disposition"]
    text = pdf_text(document.content)
    assert inv.number in text and "129.00" in text and "Lekki Bakery" in text
    assert client.get(f"/admin/invoices/{payment.id}/pdf").status_code == 404


def test_issue_a_draft_from_its_page(client: TestClient, admin: StaffUser, session: Session,
                                     tenant: Tenant) -> None:
    with_vat(session, tenant)
    draft = invoice(session, tenant, make_customer(session, tenant).id, "40.00", on=None)
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/invoices/{draft.id}")
    assert "(draft)" in page.text and 'data-action="issue"' in page.text
    issued = client.post(f"/admin/invoices/{draft.id}/issue",
                         data={"csrf_token": csrf_of(page.text)}, follow_redirects=True)
    assert issued.status_code == 200
    number = re.search(r"Invoice (\S+) issued, due", issued.text)
    assert number and number.group(1).startswith("INV-")
    assert 'data-status="issued"' in issued.text and "Credit note" in issued.text
    again = client.post(f"/admin/invoices/{draft.id}/issue",
                        data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 409 and "already issued" in again.text


def test_credit_note_needs_a_reason_and_a_confirmation(client: TestClient, admin: StaffUser,
                                                       session: Session,
                                                       tenant: Tenant) -> None:
    with_vat(session, tenant)
    inv = invoice(session, tenant, make_customer(session, tenant).id, "100.00")
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get(f"/admin/invoices/{inv.id}").text)
    url = f"/admin/invoices/{inv.id}/credit"
    no_reason = client.post(url, data={"csrf_token": token, "amount": "10", "reason": ""})
    assert no_reason.status_code == 422 and "Reason: say why" in no_reason.text
    too_much = client.post(url, data={"csrf_token": token, "amount": "500", "reason": "x"})
    assert too_much.status_code == 422 and "at most 107.50 USD" in too_much.text
    junk = client.post(url, data={"csrf_token": token, "amount": "ten", "reason": "x"})
    assert junk.status_code == 422 and "a number such as 12.50" in junk.text
    confirm = client.post(url, data={"csrf_token": token, "amount": "10.75",
                                     "reason": "two days outage"})
    assert confirm.status_code == 200 and "Confirm: issue credit note" in confirm.text
    assert "10.75 USD" in confirm.text and "two days outage" in confirm.text
    assert client.get(f"/admin/invoices/{inv.id}").text.count("CN-") == 0  # nothing yet
    done = client.post(url, data={"csrf_token": token, "amount": "10.75",
                                  "reason": "two days outage", "confirmed": "1"},
                       follow_redirects=True)
    assert "Credit note CN-" in done.text and "two days outage" in done.text
    assert "96.75 USD" in done.text  # balance due after the credit
    whole = client.post(url, data={"csrf_token": token, "amount": "", "reason": "cancelled",
                                   "confirmed": "1"}, follow_redirects=True)
    assert 'data-status="void"' in whole.text and "fully credited" in whole.text


def test_record_payment_shows_errors_and_a_double_submit_records_once(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    with_vat(session, tenant)
    customer = make_customer(session, tenant)
    inv = invoice(session, tenant, customer.id, "100.00")
    sign_in(client, admin.user.email, admin.password)
    form_page = client.get("/admin/payments/new", params={"customer_id": str(customer.id)})
    assert form_page.status_code == 200 and f'value="{customer.number}"' in form_page.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form_page.text)
    assert key
    base = {"csrf_token": csrf_of(form_page.text), "idempotency_key": key.group(1),
            "customer": customer.number, "method": "card", "amount": "107.50",
            "received_on": "2026-04-05", "reference": "", "card_brand": "visa"}
    no_last4 = client.post("/admin/payments/new", data=base)
    assert no_last4.status_code == 422
    assert "Last four digits: a card payment needs the last four" in no_last4.text
    assert 'value="107.50"' in no_last4.text  # what was typed is kept
    unknown = client.post("/admin/payments/new", data={**base, "customer": "C999999"})
    assert unknown.status_code == 422 and "no customer with this number" in unknown.text
    bad = client.post("/admin/payments/new", data={**base, "amount": "lots",
                                                   "received_on": "5/4/2026"})
    assert bad.status_code == 422
    assert "Amount: a number" in bad.text and "YYYY-MM-DD" in bad.text
    card_number = client.post("/admin/payments/new", data={
        **base, "card_last4": "4242", "reference": "4111 1111 1111 1111"})
    assert card_number.status_code == 422 and "looks like a card number" in card_number.text
    no_reference = client.post("/admin/payments/new", data={**base, "card_last4": "4242"})
    assert no_reference.status_code == 422 and "terminal's reference" in visible(no_reference.text)
    good = {**base, "card_last4": "4242", "reference": "POS-000731"}
    first = client.post("/admin/payments/new", data=good, follow_redirects=True)
    assert first.status_code == 200 and "recorded" in first.text
    assert inv.number in first.text and "visa ending 4242" in first.text
    second = client.post("/admin/payments/new", data=good, follow_redirects=True)
    assert "was already recorded; nothing was added" in second.text
    assert session.scalar(select(func.count()).select_from(Payment).where(
        Payment.customer_id == customer.id)) == 1
    detail = client.get(f"/admin/invoices/{inv.id}")
    assert 'data-status="paid"' in detail.text


def test_payment_detail_receipt_pdf_and_statement(client: TestClient, admin: StaffUser,
                                                  session: Session, tenant: Tenant) -> None:
    with_vat(session, tenant)
    customer = make_customer(session, tenant)
    first = invoice(session, tenant, customer.id, "100.00")
    second = invoice(session, tenant, customer.id, "20.00", on=date(2026, 5, 1))
    payment = pay(session, tenant, customer.id, "130.00", on=date(2026, 5, 3))
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/payments/{payment.id}")
    assert first.number in page.text and second.number in page.text and "RCT-" in page.text
    receipt = client.get(f"/admin/payments/{payment.id}/receipt.pdf")
    assert receipt.headers["content-type"] == "application/pdf"
    assert re.search(r'filename="RCT-\d{4}-\d{5}\.pdf"', receipt.headers["content-disposition"])
    text = pdf_text(receipt.content)
    assert "RECEIPT" in text and payment.number in text and "130.00" in text
    assert first.number in text
    customer_page = client.get(f"/admin/customers/{customer.id}")
    assert f'href="/admin/customers/{customer.id}/statement"' in customer_page.text
    statement = client.get(f"/admin/customers/{customer.id}/statement")
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td>", statement.text)
    assert rows == ["2026-04-01", "2026-05-01", "2026-05-03"]
    assert "107.50 USD" in statement.text and "129.00 USD" in statement.text  # running
    assert "In credit: 1.00 USD" in visible(statement.text)
    assert "130.00 USD -1.00 USD" in visible(statement.text)


def test_run_history_and_run_now(client: TestClient, admin: StaffUser, session: Session,
                                 settings: Settings, tenant: Tenant) -> None:
    billing = world(session, settings, tenant)
    billing.subscribe(date(2026, 1, 1))
    sign_in(client, admin.user.email, admin.password)
    empty = client.get("/admin/billing/runs")
    assert "No runs yet" in empty.text and 'data-action="run-now"' in empty.text
    started = client.post("/admin/billing/runs", data={"csrf_token": csrf_of(empty.text)},
                          follow_redirects=True)
    assert started.status_code == 200 and "Billing run started" in started.text
    session.expire_all()
    run = session.scalars(select(BillingRun).where(BillingRun.tenant_id == tenant.id)).one()
    assert run.status == "completed" and run.subscriptions_seen == 1
    page = client.get("/admin/billing/runs")
    assert str(run.run_date) in page.text and 'data-status="completed"' in page.text


def test_read_only_staff_see_billing_but_no_actions(client: TestClient, session: Session,
                                                   settings: Settings, tenant: Tenant) -> None:
    with_vat(session, tenant)
    viewer = make_user(session, settings, tenant, "read_only")
    customer = make_customer(session, tenant)
    draft = invoice(session, tenant, customer.id, "10.00", on=None)
    issued = invoice(session, tenant, customer.id, "10.00")
    sign_in(client, viewer.user.email, viewer.password)
    for url in (f"/admin/invoices/{draft.id}", f"/admin/invoices/{issued.id}",
                "/admin/billing/runs", "/admin/invoices", "/admin/payments"):
        page = client.get(url)
        assert page.status_code == 200 and "data-action" not in page.text, url
    token = csrf_of(client.get("/admin/invoices").text)
    for url in (f"/admin/invoices/{draft.id}/issue", "/admin/billing/runs",
                f"/admin/invoices/{issued.id}/credit", "/admin/payments/new"):
        refused = client.post(url, data={"csrf_token": token})
        assert refused.status_code == 403 and "billing:write" in refused.text, url
    assert client.get("/admin/payments/new").status_code == 403


def test_another_tenant_cannot_see_these_pages(client: TestClient, admin: StaffUser,
                                               other_admin: StaffUser, session: Session,
                                               tenant: Tenant) -> None:
    with_vat(session, tenant)
    customer = make_customer(session, tenant)
    inv = invoice(session, tenant, customer.id, "10.00")
    payment = pay(session, tenant, customer.id, "5.00")
    sign_in(client, other_admin.user.email, other_admin.password)
    for url in (f"/admin/invoices/{inv.id}", f"/admin/invoices/{inv.id}/pdf",
                f"/admin/payments/{payment.id}", f"/admin/payments/{payment.id}/receipt.pdf",
                f"/admin/customers/{customer.id}/statement"):
        assert client.get(url).status_code == 404, url
    assert inv.number not in client.get("/admin/invoices").text
    assert payment.number not in client.get("/admin/payments").text
