"""Factories for customers, plans and subscriptions."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import schemas as customer_schemas
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import catalogue, lifecycle
from dotmac_isp.modules.services import schemas as service_schemas
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Plan, Subscription


def make_customer(session: Session, tenant: Tenant, **overrides: Any) -> Customer:
    data: dict[str, Any] = {"first_name": "Ada", "last_name": "Obi",
                            "email": f"ada-{uuid.uuid4().hex[:6]}@example.com",
                            "phone": "+234 803 555 0101",
                            "addresses": [{"kind": "service", "line1": "12 Marina Road",
                                           "city": "Lagos", "country": "NG"}]}
    data.update(overrides)
    return customers_service.create_customer(
        session, tenant.id, customer_schemas.CustomerCreate.model_validate(data))


def make_plan(session: Session, tenant: Tenant, **overrides: Any) -> Plan:
    data: dict[str, Any] = {"name": f"Fibre {uuid.uuid4().hex[:6]}", "kind": "internet",
                            "download_kbps": 50_000, "upload_kbps": 10_000,
                            "price": Decimal("29.99"), "billing_cycle": "monthly"}
    data.update(overrides)
    return catalogue.create_plan(session, tenant.id,
                                 service_schemas.PlanCreate.model_validate(data))


def make_subscription(session: Session, settings: Settings, tenant: Tenant, *,
                      customer: Customer | None = None, plan: Plan | None = None,
                      status: SubscriptionStatus = SubscriptionStatus.PENDING,
                      **overrides: Any) -> Subscription:
    customer = customer or make_customer(session, tenant)
    plan = plan or make_plan(session, tenant)
    sub = services.create_subscription(session, settings, tenant.id,
                                       service_schemas.SubscriptionCreate(
                                           customer_id=customer.id, plan_id=plan.id,
                                           **overrides))
    path = {
        SubscriptionStatus.PENDING: [],
        SubscriptionStatus.PROVISIONING: [SubscriptionStatus.PROVISIONING],
        SubscriptionStatus.FAILED: [SubscriptionStatus.PROVISIONING, SubscriptionStatus.FAILED],
        SubscriptionStatus.ACTIVE: [SubscriptionStatus.PROVISIONING, SubscriptionStatus.ACTIVE],
        SubscriptionStatus.SUSPENDED: [SubscriptionStatus.PROVISIONING,
                                       SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED],
        SubscriptionStatus.TERMINATED: [SubscriptionStatus.TERMINATED],
    }[status]
    for step in path:
        lifecycle.transition(session, tenant.id, sub.id, step, reason="test setup")
    return sub
