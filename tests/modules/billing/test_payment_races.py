"""A payment request that loses the race on its idempotency key gets the first payment.

The API tests run on committed data with one connection per request, on both databases.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.billing import payments, service
from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.modules.billing.models import Payment
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import Conflict
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer
from tests.support.factories import make_tenant, make_user


def test_the_loser_of_an_idempotency_race_gets_the_winners_payment(
        session: Session, tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    data = payments.PaymentInput(customer_id=customer.id, method=PaymentMethod.CASH,
                                 amount=Decimal("25.00"), currency="USD",
                                 received_on=date(2026, 4, 2), idempotency_key="web:abc12345")
    winner, created = service.receive_payment_once(session, tenant.id, data)
    assert created

    def lost_the_race(*_args: Any) -> Any:
        # what the database says when the other request inserted the same key first
        raise IntegrityError("INSERT INTO payments", {}, Exception("duplicate key"))

    monkeypatch.setattr(service, "receive_payment", lost_the_race)
    again, created = service.receive_payment_once(session, tenant.id, data)
    assert (again.id, created) == (winner.id, False)
    data.amount = Decimal("30.00")
    with pytest.raises(Conflict, match="different payment"):
        service.receive_payment_once(session, tenant.id, data)
    data.idempotency_key = "web:never-used"
    with pytest.raises(IntegrityError):
        service.receive_payment_once(session, tenant.id, data)


@pytest.fixture
def committed_api(engine: Engine, settings: Settings) -> Iterator[tuple[TestClient, dict[str, str],
                                                                         uuid.UUID, Database]]:
    """The app over committed data: one connection per request, as in production."""
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"payrace-{uuid.uuid4().hex[:8]}")
        configure(session, tenant)
        # no email: committed rows must not leave mail queued for other tests' outbox
        customer = make_customer(session, tenant, email=None)
        staff = make_user(session, settings, tenant, "admin")
        customer_id = customer.id
    app = create_app(settings, database, configure_logs=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, staff.headers, customer_id, database


def _post_at_once(client: TestClient, headers: dict[str, str],
                  bodies: list[dict[str, Any]]) -> list[Any]:
    barrier = threading.Barrier(len(bodies))

    def post(body: dict[str, Any]) -> Any:
        barrier.wait()
        return client.post("/api/v1/payments", headers=headers, json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_the_same_payment_sent_twice_at_once_is_recorded_once(
        committed_api: tuple[TestClient, dict[str, str], uuid.UUID, Database]) -> None:
    client, headers, customer_id, database = committed_api
    body = {"customer_id": str(customer_id), "method": "cash", "amount": "40.00",
            "currency": "USD", "received_on": "2026-04-02", "reference": "till 3",
            "idempotency_key": f"pos-{uuid.uuid4().hex[:12]}"}
    answers = _post_at_once(client, headers, [body, dict(body)])
    assert sorted(a.status_code for a in answers) == [200, 201], [a.json() for a in answers]
    first, second = (a.json() for a in answers)
    assert first["id"] == second["id"]
    assert first["receipt_number"] and first["receipt_number"] == second["receipt_number"]
    with database.unit_of_work(write=False) as session:
        stored = session.scalars(select(Payment).where(
            Payment.customer_id == customer_id)).all()
    assert [p.id for p in stored] == [uuid.UUID(first["id"])]
    fetched = client.get(f"/api/v1/payments/{first['id']}", headers=headers).json()
    assert fetched["receipt_number"] == first["receipt_number"]
    listed = client.get(f"/api/v1/payments?customer_id={customer_id}", headers=headers).json()
    assert [p["receipt_number"] for p in listed["items"]] == [first["receipt_number"]]


def test_one_key_with_two_different_payments_at_once_records_one_and_refuses_the_other(
        committed_api: tuple[TestClient, dict[str, str], uuid.UUID, Database]) -> None:
    client, headers, customer_id, database = committed_api
    body = {"customer_id": str(customer_id), "method": "cash", "amount": "40.00",
            "currency": "USD", "received_on": "2026-04-02",
            "idempotency_key": f"pos-{uuid.uuid4().hex[:12]}"}
    answers = _post_at_once(client, headers, [body, {**body, "amount": "45.00"}])
    assert sorted(a.status_code for a in answers) == [201, 409], [a.json() for a in answers]
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["detail"] == ("this idempotency key was used for a different payment "
                                 "(PAY-2026-00001: the amount differs)")
    with database.unit_of_work(write=False) as session:
        stored = session.scalars(select(Payment).where(
            Payment.customer_id == customer_id)).all()
    assert len(stored) == 1
    # a later retry with another method under the same key is refused the same way
    winner = next(a for a in answers if a.status_code == 201).json()
    again = client.post("/api/v1/payments", headers=headers,
                        json={**body, "amount": winner["amount"], "method": "cheque",
                              "reference": "000123"})
    assert again.status_code == 409
    assert again.json()["detail"] == ("this idempotency key was used for a different payment "
                                      "(PAY-2026-00001: the method, reference differ)")
