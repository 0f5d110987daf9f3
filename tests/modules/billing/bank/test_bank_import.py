"""Bank statement import over the API: automatic matching, re-import, manual matching and
files that cannot be read."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import bank_csv
from dotmac_isp.modules.billing.bank_models import BankStatementLine
from dotmac_isp.modules.billing.models import Invoice, Payment
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.web.billing_support import invoice, with_vat

MAPPING = {"date_column": "Booked", "amount_column": "Amount",
           "reference_column": "Purpose"}


def upload(client: TestClient, admin: StaffUser, text: str, **mapping: Any) -> Any:
    return client.post("/api/v1/bank-statements", params={**MAPPING, **mapping},
                       content=text.encode(), headers={**admin.headers,
                                                       "Content-Type": "text/csv"})


def lines(client: TestClient, admin: StaffUser, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/bank-lines", params=params, headers=admin.headers)
    assert response.status_code == 200
    return list(response.json()["items"])


def payments_of(session: Session, customer: Customer) -> list[Payment]:
    session.expire_all()
    return list(session.scalars(select(Payment).where(Payment.customer_id == customer.id)
                                .order_by(Payment.received_on)))


def stored(session: Session, tenant: Tenant) -> int:
    return session.scalar(select(func.count()).select_from(BankStatementLine).where(
        BankStatementLine.tenant_id == tenant.id)) or 0


@pytest.fixture
def two_customers(session: Session, tenant: Tenant) -> tuple[Customer, Customer, Invoice]:
    with_vat(session, tenant)
    ngozi = make_customer(session, tenant, last_name="Eze")
    tunde = make_customer(session, tenant, last_name="Bello")
    return ngozi, tunde, invoice(session, tenant, ngozi.id, "100.00")


def test_credits_are_matched_by_invoice_or_customer_number_and_the_rest_left(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        two_customers: tuple[Customer, Customer, Invoice]) -> None:
    ngozi, tunde, bill = two_customers
    euro = make_customer(session, tenant, currency="EUR")
    statement = (
        "Booked,Amount,Purpose,Balance\n"
        f"2026-04-03,107.50,\"Payment {bill.number}, thank you\",1000.00\n"
        f"2026-04-04,25.00,Tunde Bello {tunde.number.lower()} April,1025.00\n"
        "2026-04-05,40.00,cash deposit,1065.00\n"
        f"2026-04-05,10.00,{bill.number} and {tunde.number},1075.00\n"
        f"2026-04-06,30.00,{euro.number},1105.00\n"
        "2026-04-07,-12.50,bank charges,1092.50\n")
    result = upload(client, admin, statement)
    assert result.status_code == 200, result.text
    body = result.json()
    assert {k: body[k] for k in ("lines", "matched", "unmatched", "ignored",
                                 "already_imported")} == {
        "lines": 6, "matched": 2, "unmatched": 3, "ignored": 1, "already_imported": 0}
    by_ref = {line["reference"]: line for line in lines(client, admin,
                                                        import_id=body["import_id"])}
    assert by_ref[f"Payment {bill.number}, thank you"]["matched_by"] == "invoice"
    assert by_ref[f"Tunde Bello {tunde.number.lower()} April"]["matched_by"] == "customer"
    assert "no invoice or customer number" in by_ref["cash deposit"]["note"]
    assert "more than one customer" in by_ref[f"{bill.number} and {tunde.number}"]["note"]
    assert "billed in EUR" in by_ref[euro.number]["note"]
    assert by_ref["bank charges"]["status"] == "ignored"
    assert by_ref["cash deposit"]["line_number"] == 4

    [paid] = payments_of(session, ngozi)
    assert (paid.method, paid.amount, str(paid.received_on)) == ("bank_transfer",
                                                                Decimal("107.50"), "2026-04-03")
    assert paid.reference == f"Payment {bill.number}, thank you"
    assert session.get(Invoice, bill.id).status == "paid"  # type: ignore[union-attr]
    assert [p.amount for p in payments_of(session, tunde)] == [Decimal("25.00")]
    unmatched = lines(client, admin, status="unmatched")
    assert sorted(line["amount"] for line in unmatched) == ["10.00", "30.00", "40.00"]


def test_the_same_statement_twice_records_nothing_new(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        two_customers: tuple[Customer, Customer, Invoice]) -> None:
    ngozi, tunde, _bill = two_customers
    statement = ("Booked,Amount,Purpose\n"
                 f"2026-04-03,20.00,{ngozi.number}\n"
                 f"2026-04-03,20.00,{ngozi.number}\n"  # two equal transfers are two payments
                 "2026-04-04,5.00,unknown\n")
    first = upload(client, admin, statement).json()
    assert (first["matched"], first["unmatched"]) == (2, 1)
    again = upload(client, admin, statement).json()
    assert (again["lines"], again["matched"], again["unmatched"],
            again["already_imported"]) == (3, 0, 0, 3)
    longer = upload(client, admin, statement + f"2026-04-08,7.00,{tunde.number}\n").json()
    assert (longer["matched"], longer["already_imported"]) == (1, 3)
    # the same bookings exported with other columns and a blank line are still the same
    reexport = ("Amount;Purpose;Booked\n20,00;" + ngozi.number + ";03.04.2026\n\n"
                "20,00;" + ngozi.number + ";03.04.2026\n")
    moved = upload(client, admin, reexport, delimiter=";", decimal_comma="true",
                   date_format="%d.%m.%Y").json()
    assert (moved["lines"], moved["matched"], moved["already_imported"]) == (2, 0, 2)
    assert len(payments_of(session, ngozi)) == 2 and len(payments_of(session, tunde)) == 1
    assert stored(session, tenant) == 4


def test_manual_match_records_the_payment_and_ignore_sets_aside(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        two_customers: tuple[Customer, Customer, Invoice]) -> None:
    ngozi, tunde, bill = two_customers
    statement = ("Booked,Amount,Purpose\n2026-04-03,107.50,from N EZE\n"
                 "2026-04-04,3.00,interest\n2026-04-05,-2.00,fee\n")
    upload(client, admin, statement)
    waiting = {line["reference"]: line for line in lines(client, admin, status="unmatched")}
    assert set(waiting) == {"from N EZE", "interest"}
    url = f"/api/v1/bank-lines/{waiting['from N EZE']['id']}"
    matched = client.post(f"{url}/match", json={"customer_id": str(ngozi.id)},
                          headers=admin.headers)
    assert matched.status_code == 200, matched.text
    assert (matched.json()["status"], matched.json()["matched_by"]) == ("matched", "manual")
    [payment] = payments_of(session, ngozi)
    assert matched.json()["payment_id"] == str(payment.id)
    assert payment.reference == "from N EZE"
    assert session.get(Invoice, bill.id).status == "paid"  # type: ignore[union-attr]
    twice = client.post(f"{url}/match", json={"customer_id": str(tunde.id)},
                        headers=admin.headers)
    assert twice.status_code == 409
    assert client.post(f"{url}/ignore", json={}, headers=admin.headers).status_code == 409
    assert upload(client, admin, statement).json()["matched"] == 0  # re-import: nothing new
    assert len(payments_of(session, ngozi)) == 1 and payments_of(session, tunde) == []

    interest = f"/api/v1/bank-lines/{waiting['interest']['id']}"
    nobody = client.post(f"{interest}/match", json={"customer_id": str(admin.user.id)},
                         headers=admin.headers)
    assert nobody.status_code == 422
    assert nobody.json()["detail"] == "customer_id: no such customer"
    ignored = client.post(f"{interest}/ignore", json={"reason": "bank interest"},
                          headers=admin.headers)
    assert ignored.json()["status"] == "ignored" and ignored.json()["note"] == "bank interest"
    fee = next(line for line in lines(client, admin, status="ignored")
               if line["reference"] == "fee")
    refused = client.post(f"/api/v1/bank-lines/{fee['id']}/match",
                          json={"customer_id": str(tunde.id)}, headers=admin.headers)
    assert refused.status_code == 422 and "money out" in refused.json()["detail"]
    assert lines(client, admin, status="unmatched") == []
    assert len(lines(client, admin, limit="1")) == 1


@pytest.mark.parametrize(("text", "mapping", "message"), [
    ("Booked,Amount,Purpose\n2026-04-03,1.00,x\n", {"amount_column": "Betrag"},
     "no column 'Betrag'; its columns are 'Booked', 'Amount', 'Purpose'"),
    ("Booked,Amount,Purpose\n2026-04-03,1.00,x\n03/04/2026,2.00,y\n", {},
     "line 3: '03/04/2026' is not a date in the format %Y-%m-%d"),
    ("Booked,Amount,Purpose\n2026-04-03,1.00,x\n2026-04-04,2.00,y\n2026-04-05,two,z\n", {},
     "line 4: 'two' is not an amount"),
    ("Booked,Amount,Purpose\n2026-04-03,1.005,x\n", {}, "line 2: '1.005' has more than two"),
    ("Booked,Amount,Purpose\n2026-04-03,,x\n", {}, "line 2: no value in column 'Amount'"),
    ("Booked,Amount,Purpose,Cur\n2026-04-03,1.00,x,dollars\n", {"currency_column": "Cur"},
     "line 2: 'DOLLARS' is not a currency code"),
    ("Booked;Amount;Purpose\n2026-04-03;1,00;x\n", {}, "no column 'Booked'"),
    ("", {}, "the file is empty"),
    ("Booked,Amount,Purpose\n", {}, "header but no bookings"),
])
def test_a_file_that_cannot_be_read_is_refused_whole_naming_the_line(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        two_customers: tuple[Customer, Customer, Invoice], text: str,
        mapping: dict[str, str], message: str) -> None:
    ngozi = two_customers[0]
    good_first = f"2026-04-01,107.50,{ngozi.number}\n"
    bad_line = re.match(r"line (\d+):", message)
    if bad_line and text.startswith("Booked,Amount,Purpose\n"):
        # a readable booking in front: it must not be stored either, and the bad line moves
        text = text.replace("Purpose\n", "Purpose\n" + good_first, 1)
        message = message.replace(bad_line.group(0), f"line {int(bad_line.group(1)) + 1}:", 1)
    response = upload(client, admin, text, **mapping)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert stored(session, tenant) == 0 and payments_of(session, ngozi) == []


def test_binary_and_oversized_files_are_refused(client: TestClient, admin: StaffUser) -> None:
    binary = client.post("/api/v1/bank-statements", params=MAPPING, content=b"\x00\x01PK",
                         headers=admin.headers)
    assert binary.status_code == 422 and "not a CSV" in binary.json()["detail"]
    huge = client.post("/api/v1/bank-statements", params=MAPPING,
                       content=b"Booked,Amount,Purpose\n" + b"x" * (5 * 1024 * 1024 + 1),
                       headers={**admin.headers, "Content-Type": "text/csv"})
    assert huge.status_code == 422 and "larger than 5 MB" in huge.json()["detail"]


@pytest.mark.parametrize(("date_format", "message"), [
    ("%Y%Y", "%Y may appear only once"),
    ("%Y-%m-%d%z%z", "%z may appear only once"),
    ("%Q.%m.%Y", "%Q is not a date directive"),
    ("%d.%m.%Y %c", "%c is not a date directive"),
    ("%d.%m.%Y%", "a lone % is not a date directive"),
    ("%m/%Y", "must name the year (%Y or %y), the month (%m, %b or %B) and the day"),
    ("%H:%M", "must name the year"),
])
def test_a_bad_date_format_is_refused_before_any_line_is_read(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        date_format: str, message: str) -> None:
    response = upload(client, admin, "Booked,Amount,Purpose\n2026-04-03,1.00,x\n",
                      date_format=date_format)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert stored(session, tenant) == 0


@pytest.mark.parametrize("date_format", ["%d.%m.%Y", "%Y%m%d", "%d %b %Y", "%y-%j",
                                         "%d/%m/%Y %H:%M:%S", "100%% %Y-%m-%d"])
def test_good_date_formats_pass(date_format: str) -> None:
    bank_csv.check_date_format(date_format)
