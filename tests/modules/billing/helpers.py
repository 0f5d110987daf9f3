"""Set up a tenant's billing and drive a subscription through dated lifecycle moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.billing.models import CreditNote, Invoice
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import lifecycle, schemas
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.enums import SubscriptionStatus as S
from dotmac_isp.modules.services.models import Plan, Subscription
from tests.support.customers import make_customer, make_plan


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


def configure(session: Session, tenant: Tenant, **changes: Any) -> None:
    setup.update_settings(session, tenant.id, {"billing_day": 1, "mode": "prepaid",
                                               "review_days": 0, **changes})


@dataclass
class World:
    session: Session
    settings: Settings
    tenant: Tenant
    customer: Customer
    plan: Plan

    def subscribe(self, activated: date, plan: Plan | None = None) -> Subscription:
        sub = services.create_subscription(self.session, self.settings, self.tenant.id,
                                           schemas.SubscriptionCreate(
                                               customer_id=self.customer.id,
                                               plan_id=(plan or self.plan).id))
        lifecycle.activate(self.session, self.tenant.id, sub.id, effective_at=at(activated))
        return sub

    def move(self, sub: Subscription, status: S, on: date) -> None:
        lifecycle.transition(self.session, self.tenant.id, sub.id, status, reason="test",
                             effective_at=at(on))

    def change_plan(self, sub: Subscription, plan: Plan, on: date) -> None:
        services.apply_plan_change(self.session, sub, plan.id, "test", at(on))

    def invoices(self) -> list[Invoice]:
        self.session.expire_all()
        return list(self.session.scalars(select(Invoice).where(
            Invoice.customer_id == self.customer.id).order_by(Invoice.created_at)))

    def lines(self) -> list[tuple[str, Decimal]]:
        return [(line.kind, line.gross_amount) for inv in self.invoices() for line in inv.lines]

    def credit_notes(self) -> list[Decimal]:
        return [n.total for n in self.session.scalars(select(CreditNote).where(
            CreditNote.customer_id == self.customer.id).order_by(CreditNote.created_at))]


def world(session: Session, settings: Settings, tenant: Tenant, price: str = "30.00",
          email: str | None = "payer@home.example", **billing: Any) -> World:
    configure(session, tenant, **billing)
    customer = make_customer(session, tenant, email=email)
    plan = make_plan(session, tenant, price=Decimal(price))
    return World(session, settings, tenant, customer, plan)


def money(value: str) -> Decimal:
    return Decimal(value)
