"""CSV import (10,000 rows with bad ones reported by line) and export."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers.models import Address, Customer
from tests.support.factories import StaffUser

HEADER = ("number,kind,status,first_name,last_name,company_name,email,phone,tax_id,tax_exempt,"
          "tax_exempt_reason,currency,tags,billing_line1,billing_city,billing_country,"
          "cf:install_date\n")


def big_file(rows: int, bad: dict[int, str]) -> str:
    """rows data lines; line N (1-based, header is line 1) replaced by bad[N] when given."""
    lines = [HEADER]
    for i in range(rows):
        line_no = i + 2
        if line_no in bad:
            lines.append(bad[line_no] + "\n")
            continue
        lines.append(f",residential,active,First{i},Last{i},,user{i}@example.com,"
                     f"+234 80{i % 10} 555 {i:04d},,no,,NGN,fibre;lagos,{i} Marina Road,Lagos,"
                     f"NG,2026-01-{1 + i % 28:02d}\n")
    return "".join(lines)


def post_csv(client: TestClient, admin: StaffUser, text: str, **params: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/customers/import", headers={**admin.headers,
                                                            "Content-Type": "text/csv"},
                       content=text.encode(), params=params)


def test_ten_thousand_rows_with_a_few_bad_ones(client: TestClient, admin: StaffUser,
                                               session: Session) -> None:
    bad = {
        57: ",residential,active,Bad,Email,,not-an-email,,,no,,NGN,,1 Road,Lagos,NG,",
        1002: ",business,active,No,Company,,x@example.com,,,no,,NGN,,1 Road,Lagos,NG,",
        4321: ",residential,active,Tax,Exempt,,t@example.com,,,yes,,NGN,,1 Road,Lagos,NG,",
        9999: ",residential,active,Bad,Flag,,f@example.com,,,maybe,,NGN,,1 Road,Lagos,NG,",
        10001: ",residential,active,Too,Many,,m@example.com,,,no,,NGN,,1 Road,Lagos,NG,,extra",
    }
    response = post_csv(client, admin, big_file(10_000, bad))
    assert response.status_code == 200, response.text[:500]
    result = response.json()
    assert result["created"] == 9_995 and result["failed"] == 5
    assert [e["line"] for e in result["errors"]] == [57, 1002, 4321, 9999, 10001]
    messages = {e["line"]: " ".join(e["errors"]) for e in result["errors"]}
    assert "email" in messages[57]
    assert "company_name" in messages[1002]
    assert "tax_exempt_reason" in messages[4321]
    assert "yes or no" in messages[9999]
    assert "more values than columns" in messages[10001]
    # good rows are in, whole; bad rows left nothing behind
    tenant_id = admin.user.tenant_id
    count = session.scalar(select(func.count()).select_from(Customer)
                           .where(Customer.tenant_id == tenant_id))
    addresses = session.scalar(select(func.count()).select_from(Address)
                               .where(Address.tenant_id == tenant_id))
    assert count == addresses == 9_995
    assert session.scalar(select(Customer.id).where(Customer.email == "f@example.com")) is None
    one = client.get("/api/v1/customers", headers=admin.headers,
                     params={"q": "user4242@example.com"}).json()["items"]
    assert len(one) == 1
    detail = client.get(f"/api/v1/customers/{one[0]['id']}", headers=admin.headers).json()
    assert detail["tags"] == ["fibre", "lagos"]
    assert detail["custom_fields"] == {"install_date": "2026-01-15"}
    assert detail["addresses"][0]["line1"] == "4242 Marina Road"
    numbers = {c["number"] for c in client.get("/api/v1/customers", headers=admin.headers,
                                                params={"limit": 200}).json()["items"]}
    assert "C000001" in numbers


def test_dry_run_stores_nothing(client: TestClient, admin: StaffUser) -> None:
    result = post_csv(client, admin, big_file(20, {5: ",x,,,,,,,,,,,,,,,"}),
                      dry_run="true").json()
    assert result == {"created": 0, "failed": 1, "dry_run": True,
                      "errors": [{"line": 5, "errors": result["errors"][0]["errors"]}]}
    assert client.get("/api/v1/customers", headers=admin.headers).json()["total"] == 0


def test_whole_file_problems_are_refused_before_anything_is_stored(
        client: TestClient, admin: StaffUser) -> None:
    unknown = post_csv(client, admin, "first_name,favourite_colour\nA,blue\n")
    assert unknown.status_code == 422 and "favourite_colour" in unknown.json()["detail"]
    empty = post_csv(client, admin, "")
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    binary = client.post("/api/v1/customers/import",
                         headers={**admin.headers, "Content-Type": "text/csv"},
                         content=b"\xff\xfe\x00bad")
    assert binary.status_code == 422 and "UTF-8" in binary.json()["detail"]
    assert client.get("/api/v1/customers", headers=admin.headers).json()["total"] == 0


def test_duplicate_and_existing_numbers(client: TestClient, admin: StaffUser) -> None:
    text = (HEADER + "X-1,residential,lead,A,A,,,,,no,,,,,,,\n"
            "X-1,residential,lead,B,B,,,,,no,,,,,,,\n")
    first = post_csv(client, admin, text).json()
    assert first["created"] == 1 and first["errors"][0]["line"] == 3
    again = post_csv(client, admin, HEADER + "X-1,residential,lead,C,C,,,,,no,,,,,,,\n").json()
    assert again["created"] == 0 and "already exists" in again["errors"][0]["errors"][0]


def test_export_round_trips_into_another_tenant(client: TestClient, admin: StaffUser,
                                                other_admin: StaffUser) -> None:
    client.post("/api/v1/customers", headers=admin.headers, json={
        "first_name": "Ngozi", "last_name": "=HYPERLINK(\"http://evil\")",
        "email": "ngozi@example.com", "phone": "+234 803 000 1111", "tags": ["vip"],
        "custom_fields": {"router": "hAP ac2"},
        "addresses": [{"kind": "billing", "line1": "4 Bode Thomas", "city": "Surulere"}]})
    exported = client.get("/api/v1/customers/export", headers=admin.headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows[0]["last_name"].startswith("'=")  # a spreadsheet shows it as text
    assert rows[0]["phone"] == "'+234 803 000 1111"  # '+' starts a formula too
    assert rows[0]["cf:router"] == "hAP ac2" and rows[0]["billing_city"] == "Surulere"
    imported = post_csv(client, other_admin, exported.text).json()
    assert imported["created"] == 1, imported
    copy = client.get("/api/v1/customers", headers=other_admin.headers).json()["items"][0]
    full = client.get(f"/api/v1/customers/{copy['id']}", headers=other_admin.headers).json()
    assert full["last_name"] == "=HYPERLINK(\"http://evil\")"
    assert full["phone"] == "+234 803 000 1111"
    assert full["custom_fields"] == {"router": "hAP ac2"} and full["tags"] == ["vip"]


FORMULAS = ["+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "+(1+1)*cmd|' /C calc'!A0",
            "=1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "-", "+"]


def test_export_neutralises_every_formula_cell_but_keeps_plain_numbers(
        client: TestClient, admin: StaffUser, other_admin: StaffUser) -> None:
    made = client.post("/api/v1/customers", headers=admin.headers, json={
        "first_name": "Ngozi", "last_name": "Okafor", "company_name": FORMULAS[0],
        "custom_fields": {f"f{i}": formula for i, formula in enumerate(FORMULAS)}
        | {"balance": "-12.50", "count": "7"}})
    assert made.status_code == 201, made.text
    exported = client.get("/api/v1/customers/export", headers=admin.headers)
    row = next(csv.DictReader(io.StringIO(exported.text, newline="")))
    assert row["company_name"] == "'" + FORMULAS[0]
    for i, formula in enumerate(FORMULAS):
        assert row[f"cf:f{i}"] == "'" + formula, (formula, row[f"cf:f{i}"])
    assert row["cf:balance"] == "-12.50" and row["cf:count"] == "7"
    imported = post_csv(client, other_admin, exported.text).json()
    assert imported["created"] == 1, imported
    copy = client.get("/api/v1/customers", headers=other_admin.headers).json()["items"][0]
    full = client.get(f"/api/v1/customers/{copy['id']}", headers=other_admin.headers).json()
    assert full["company_name"] == FORMULAS[0]
    assert full["custom_fields"]["f1"] == FORMULAS[1]
    assert full["custom_fields"]["balance"] == "-12.50"
