"""A payment request that loses the race on its idempotency key gets the first payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import payments, service
from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.errors import Conflict
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer


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
