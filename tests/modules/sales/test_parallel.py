"""Two acceptances, or two conversions, of the same lead at the same moment on committed
data (a connection per thread, PostgreSQL's row locks; SQLite's writer lock) make exactly one
customer, one subscription and one work order; and parallel enquiries from one address
never pass its hourly limit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import answers, conversion, enquiry, schemas
from dotmac_isp.modules.sales.models import EnquiryCounter, Lead
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import AppError
from tests.modules.sales.factories import sent_quote
from tests.support.factories import make_tenant
from tests.support.parallel import at_once


@dataclass
class Committed:
    database: Database
    tenant_id: uuid.UUID
    lead_id: uuid.UUID
    token: str


@pytest.fixture
def committed(engine: Engine, settings: Settings) -> Iterator[Committed]:
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"sales-race-{uuid.uuid4().hex[:8]}")
        quote, token = sent_quote(session, settings, tenant)
        made = Committed(database, tenant.id, quote.lead_id, token)
    yield made
    with database.unit_of_work() as session:
        for model in (Lead, WorkOrder, Subscription, Customer):
            session.execute(delete(model).where(model.tenant_id == made.tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == made.tenant_id))


def _made(made: Committed) -> tuple[int, int, int]:
    with made.database.unit_of_work(write=False) as session:
        return tuple(session.scalar(select(func.count()).select_from(m).where(  # type: ignore[return-value]
            m.tenant_id == made.tenant_id)) or 0 for m in (Customer, Subscription, WorkOrder))


def test_two_acceptances_at_once_make_one_customer(committed: Committed,
                                                   settings: Settings) -> None:
    def accept(n: int) -> str:
        try:
            with committed.database.unit_of_work() as session:
                answers.accept(session, settings, committed.token, name=f"Signer {n}",
                               terms=True, client_address=f"203.0.113.{n}")
        except AppError as exc:
            return exc.detail
        return "accepted"

    outcomes = at_once(4, accept)
    assert outcomes.count("accepted") == 1
    assert all("accepted already" in o for o in outcomes if o != "accepted")
    assert _made(committed) == (1, 1, 1)


def test_two_conversions_at_once_make_one_customer(committed: Committed,
                                                   settings: Settings) -> None:
    with committed.database.unit_of_work() as session:
        lead = session.get(Lead, committed.lead_id)
        assert lead is not None
        answers.accept(session, settings, committed.token, name="Kemi Bello", terms=True,
                       client_address="203.0.113.1")
        # undo the conversion the acceptance made, as if it had been refused then
        session.execute(delete(WorkOrder).where(WorkOrder.tenant_id == committed.tenant_id))
        session.execute(delete(Subscription).where(
            Subscription.tenant_id == committed.tenant_id))
        lead.customer_id = lead.work_order_id = lead.converted_at = None
        lead.stage = "quoted"
        session.flush()
        session.execute(delete(Customer).where(Customer.tenant_id == committed.tenant_id))
    assert _made(committed) == (0, 0, 0)

    def convert(_n: int) -> bool:
        with committed.database.unit_of_work() as session:
            return conversion.convert(session, settings, committed.tenant_id,
                                      committed.lead_id).created

    outcomes = at_once(4, convert)
    assert sorted(outcomes) == [False, False, False, True]
    assert _made(committed) == (1, 1, 1)


def test_parallel_enquiries_never_pass_the_hourly_limit(committed: Committed,
                                                        settings: Settings) -> None:
    client = f"192.0.2.{uuid.uuid4().int % 250}"
    limit = settings.sales.enquiries_per_hour

    def post(n: int) -> str:
        try:
            with committed.database.unit_of_work() as session:
                tenant = session.get(Tenant, committed.tenant_id)
                assert tenant is not None
                enquiry.submit(session, settings, tenant, schemas.LeadCreate(
                    name=f"Visitor {n}", phone="0803 555 0100", source="web_form"), client)
        except AppError as exc:
            return exc.code
        return "stored"

    outcomes = at_once(limit + 3, post)
    assert outcomes.count("stored") == limit
    assert outcomes.count("too_many_requests") == 3
    with committed.database.unit_of_work() as session:
        stored = session.scalar(select(func.count()).select_from(Lead).where(
            Lead.tenant_id == committed.tenant_id, Lead.source == "web_form"))
        assert stored == limit
        session.execute(delete(EnquiryCounter).where(EnquiryCounter.client_address == client))
