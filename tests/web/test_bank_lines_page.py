"""The staff page for bank statements: upload with a mapping, then match or ignore by hand."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.bank_models import BankStatementLine
from dotmac_isp.modules.billing.models import Payment
from dotmac_isp.modules.identity.models import Tenant
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import invoice, visible, with_vat
from tests.web.test_admin_pages import csrf_of, sign_in

PAGE = "/admin/billing/bank-lines"


def post_statement(client: TestClient, token: str, text: str, **mapping: str):  # type: ignore[no-untyped-def]
    fields = {"csrf_token": token, "date_column": "Valuta", "amount_column": "Betrag",
              "reference_column": "Verwendungszweck", "date_format": "%d.%m.%Y",
              "delimiter": ";", "decimal_comma": "1", **mapping}
    return client.post(f"{PAGE}/import", data=fields, follow_redirects=False,
                       files={"statement": ("umsaetze.csv", text.encode("latin-1"),
                                            "text/csv")})


def test_upload_match_and_ignore_from_the_page(client: TestClient, admin: StaffUser,
                                               session: Session, tenant: Tenant) -> None:
    with_vat(session, tenant)
    customer = make_customer(session, tenant, last_name="Müller")
    bill = invoice(session, tenant, customer.id, "1000.00")
    sign_in(client, admin.user.email, admin.password)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'data-testid="import-form"' in page.text
    token = csrf_of(page.text)
    statement = ("Valuta;Betrag;Verwendungszweck\n"
                 f"03.04.2026;1.075,00;Rechnung {bill.number}\n"
                 "04.04.2026;20,00;Überweisung Müller\n"
                 "05.04.2026;-3,50;Kontoführung\n")
    done = post_statement(client, token, statement, currency="usd")
    assert done.status_code == 303
    shown = visible(client.get(PAGE).text)
    assert ("3 bookings, 1 payments recorded, 1 to match by hand, 1 ignored, "
            "0 imported before") in shown
    assert "Überweisung Müller" in shown and bill.number not in shown  # unmatched only

    line = session.scalars(select(BankStatementLine).where(
        BankStatementLine.status == "unmatched")).one()
    unknown = client.post(f"{PAGE}/{line.id}/match", data={"csrf_token": token,
                                                           "customer": "C999999"})
    assert unknown.status_code == 422 and "no customer with this number" in unknown.text
    matched = client.post(f"{PAGE}/{line.id}/match", data={"csrf_token": token,
                                                           "customer": customer.number},
                          follow_redirects=True)
    assert f"20.00 USD of 2026-04-04 recorded as a payment from {customer.number}" \
        in visible(matched.text)
    assert session.scalar(select(func.count()).select_from(Payment).where(
        Payment.customer_id == customer.id)) == 2
    again = client.post(f"{PAGE}/{line.id}/ignore", data={"csrf_token": token})
    assert again.status_code == 409 and "refund the payment instead" in visible(again.text)
    everything = visible(client.get(PAGE, params={"status": ""}).text)
    assert "Kontoführung" in everything and "by manual" in everything


def test_a_bad_file_is_shown_on_the_page_and_stores_nothing(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get(PAGE).text)
    bad = post_statement(client, token, "Valuta;Betrag;Verwendungszweck\n"
                                        "03.04.2026;10,00;a\n2026-04-04;5,00;b\n")
    assert bad.status_code == 422
    assert "line 3: '2026-04-04' is not a date in the format %d.%m.%Y" in visible(bad.text)
    assert 'value="%d.%m.%Y"' in bad.text  # the mapping is kept for the next try
    wrong_column = post_statement(client, token, "Datum;Betrag;Text\n03.04.2026;1,00;x\n")
    assert wrong_column.status_code == 422 and "no column 'Valuta'" in visible(wrong_column.text)
    missing = client.post(f"{PAGE}/import", data={"csrf_token": token, "date_column": "D",
                                                  "amount_column": "A",
                                                  "reference_column": "R"})
    assert missing.status_code == 422 and "choose the statement file" in missing.text
    assert session.scalar(select(func.count()).select_from(BankStatementLine)) == 0


def test_read_only_staff_see_lines_but_cannot_import_or_match(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    viewer = make_user(session, settings, tenant, "read_only")
    sign_in(client, viewer.user.email, viewer.password)
    page = client.get(PAGE)
    assert page.status_code == 200 and "data-action" not in page.text
    token = csrf_of(page.text)
    refused = post_statement(client, token, "Valuta;Betrag;Verwendungszweck\n")
    assert refused.status_code == 403 and re.search(r"billing:write", refused.text)


def test_a_bad_date_format_is_shown_on_the_page(client: TestClient, admin: StaffUser) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get(PAGE).text)
    refused = post_statement(client, token, "Valuta;Betrag;Verwendungszweck\n"
                                            "03.04.2026;1,00;x\n", date_format="%Y-%m-%d%z%z")
    assert refused.status_code == 422
    assert "%z may appear only once" in visible(refused.text)
    assert 'value="%Y-%m-%d%z%z"' in refused.text  # the form keeps what was typed
