"""The customer CSV export streams from a cursor in chunks and writes the same CSV as before."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import csv_io
from dotmac_isp.modules.customers import service as customers
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from tests.conftest import RollbackDatabase
from tests.support.customers import make_customer
from tests.support.factories import StaffUser


def _seed(session: Session, tenant: Tenant, count: int) -> None:
    for i in range(count):
        make_customer(
            session,
            tenant,
            first_name=f"Row{i:03d}",
            custom_fields={"plot": str(i)} if i == count - 1 else {},
        )
    session.flush()


def test_export_reads_customers_in_chunks_as_the_body_is_sent(
    db: RollbackDatabase,
    session: Session,
    tenant: Tenant,
    statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(customers, "EXPORT_CHUNK", 10)
    _seed(session, tenant, 35)
    statements.clear()
    body = csv_io.stream_export(db, tenant.id)  # type: ignore[arg-type]
    assert isinstance(body, Iterator) and statements == []  # nothing read until sent
    header = next(body)
    assert header.rstrip().endswith(":plot")  # keys of the last row are known up front
    next(body)
    address_loads = [s for s in statements if "from customer_addresses" in s.lower()]
    assert len(address_loads) == 1  # only the first chunk has been fetched
    rest = list(body)
    assert len(rest) == 34
    assert len([s for s in statements if "from customer_addresses" in s.lower()]) == 4


def test_export_output_is_unchanged(
    client: TestClient, admin: StaffUser, session: Session, tenant: Tenant
) -> None:
    _seed(session, tenant, 12)
    everyone = list(
        session.scalars(
            select(Customer).where(Customer.tenant_id == tenant.id).order_by(Customer.number)
        )
    )
    custom = sorted({k for c in everyone for k in (c.custom_fields or {})})
    expected = "".join(csv_io.export_rows(everyone, custom))
    exported = client.get("/api/v1/customers/export", headers=admin.headers)
    assert exported.status_code == 200 and exported.text == expected
    assert len(list(csv.DictReader(io.StringIO(exported.text)))) == 12
    searched = client.get("/api/v1/customers/export", params={"q": "row011"}, headers=admin.headers)
    assert [r["first_name"] for r in csv.DictReader(io.StringIO(searched.text))] == ["Row011"]
