"""Demo customers, plans and subscriptions: a few hundred, across plans and states. Each
subscription also gets its story (activated some months ago, suspended lately, churned...),
dated steps that demo_invoices plays in order with the billing runs between them."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers import schemas as customer_schemas
from dotmac_isp.modules.customers import service as customers
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import demo as ipam_demo
from dotmac_isp.modules.services import catalogue
from dotmac_isp.modules.services import schemas as service_schemas
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.enums import SubscriptionStatus as S
from dotmac_isp.modules.services.models import Plan
from dotmac_isp.shared.pagination import PageParams

CUSTOMERS = 200
PORTAL_LOGIN = "ada.obi@demo-customer.example"
PORTAL_PASSWORD = "demo-portal-pass"
PLANS = [
    # name, kind, down, up, price, cycle, cap (MB), fup down/up
    ("Home Fibre 25", "internet", 25_000, 5_000, "19.99", "monthly", None, None),
    ("Home Fibre 100", "internet", 100_000, 20_000, "39.99", "monthly", None, None),
    ("Home Fibre 500", "internet", 500_000, 100_000, "69.99", "monthly", None, None),
    ("Wireless 10 Capped", "internet", 10_000, 2_000, "14.99", "monthly", 150_000,
     (2_000, 512)),
    ("Business 1G Annual", "internet", 1_000_000, 1_000_000, "2400.00", "annual", None, None),
    ("Voice Line", "voice", None, None, "4.99", "monthly", None, None),
]
FIRST = ["Ada", "Chidi", "Ngozi", "Tunde", "Amaka", "Emeka", "Funmi", "Bola", "Kemi", "Segun",
         "Zainab", "Ibrahim", "Aisha", "Musa", "Grace", "John", "Mary", "Peter", "Ruth", "Paul"]
LAST = ["Obi", "Okafor", "Adeyemi", "Bello", "Eze", "Nwosu", "Balogun", "Okonkwo", "Lawal",
        "Danjuma", "Ogunleye", "Abubakar", "Mensah", "Owusu", "Kamau"]
STREETS = ["Marina Road", "Allen Avenue", "Awolowo Road", "Broad Street", "Adeola Odeku",
           "Herbert Macaulay Way", "Ozumba Mbadiwe", "Bode Thomas", "Ikorodu Road"]
CITIES = ["Lagos", "Ikeja", "Lekki", "Surulere", "Yaba", "Abuja", "Ibadan"]
# how many subscriptions end in each state, out of 100
STATE_MIX = [(S.ACTIVE, 72), (S.SUSPENDED, 9), (S.PENDING, 6), (S.PROVISIONING, 2),
             (S.FAILED, 2), (S.TERMINATED, 9)]
REASONS = {S.SUSPENDED: "unpaid invoice", S.FAILED: "ONU not responding",
           S.TERMINATED: "moved away", S.ACTIVE: "installed", S.PROVISIONING: "install booked"}
# Activations reach back this far; a share of the base is older than the rest, so the
# subscriber chart starts from a customer base and grows.
HISTORY_DAYS = 150
OLD_BASE = 0.3


@dataclass(frozen=True)
class Step:
    """One dated move of a subscription's story."""

    day: date
    subscription_id: uuid.UUID
    target: S
    reason: str


def seed_business(session: Session, settings: Settings, tenant: Tenant,
                  created: list[str]) -> list[Step]:
    """Plans, customers and pending subscriptions for the demo tenant, and each
    subscription's dated story (nothing if the tenant has customers already)."""
    existing = session.scalar(select(func.count()).select_from(Customer)
                              .where(Customer.tenant_id == tenant.id))
    if existing:
        return []
    rng = random.Random(20261126)
    today = billing.tenant_today(session, tenant.id)
    steps: list[Step] = []
    pools = ipam_demo.pool_ids(session, tenant.id)
    plans = [_plan(session, tenant, *spec, pools=pools) for spec in PLANS]
    old = _plan(session, tenant, "Legacy ADSL 8", "internet", 8_000, 1_000, "24.99", "monthly",
                None, None, pools=pools)
    internet = [p for p in plans if p.kind == "internet"]
    weights = [30, 35, 12, 15, 3]
    states = [s for s, n in STATE_MIX for _ in range(n)]
    for i in range(CUSTOMERS):
        customer = _customer(session, tenant, rng, i)
        plan = old if i % 40 == 7 else rng.choices(internet, weights)[0]
        story = _story(rng, today, _subscription(session, settings, tenant, customer, plan),
                       rng.choice(states))
        steps.extend(story)
        if i % 5 == 0:
            voice = next(p for p in plans if p.kind == "voice")
            # the line comes with the internet service, or on its own some time ago
            since = next((s.day for s in story if s.target == S.ACTIVE), None)
            steps.extend(_story(rng, today, _subscription(session, settings, tenant, customer,
                                                          voice), S.ACTIVE, since=since))
    catalogue.set_archived(session, tenant.id, old.id, True)
    first = customers.list_customers(session, tenant.id,
                                     PageParams(limit=1)).items[0]
    portal.create_account(session, settings, tenant.id, first.id,
                          customer_schemas.PortalAccountCreate(login=PORTAL_LOGIN,
                                                               password=PORTAL_PASSWORD))
    created.append(f"{len(plans) + 1} plans, {CUSTOMERS} customers with subscriptions")
    return steps


def _story(rng: random.Random, today: date, subscription_id: uuid.UUID, state: S, *,
           since: date | None = None) -> list[Step]:
    """The dated moves that bring a new subscription to `state` by today: activations spread
    over the past months, suspensions of late, churn at any time after a month of service."""
    def step(day: date, target: S) -> Step:
        return Step(day, subscription_id, target, REASONS.get(target, ""))

    if state == S.PENDING:
        return []
    if state in (S.PROVISIONING, S.FAILED):
        day = today - timedelta(days=rng.randint(0, 4))
        return [step(day, S.PROVISIONING)] + ([step(day, S.FAILED)] if state == S.FAILED else [])
    low = {S.SUSPENDED: 75, S.TERMINATED: 45}.get(state, 1)
    days_ago = rng.randint(HISTORY_DAYS, HISTORY_DAYS + 60) if rng.random() < OLD_BASE \
        else rng.randint(low, HISTORY_DAYS)
    start = since or today - timedelta(days=days_ago)
    moves = [step(start, S.PROVISIONING), step(start, S.ACTIVE)]
    if state == S.SUSPENDED:
        moves.append(step(today - timedelta(days=rng.randint(3, 20)), S.SUSPENDED))
    elif state == S.TERMINATED:
        served = (today - start).days
        moves.append(step(start + timedelta(days=rng.randint(30, max(30, served - 1))),
                          S.TERMINATED))
    return moves


def _plan(session: Session, tenant: Tenant, name: str, kind: str, down: int | None,
          up: int | None, price: str, cycle: str, cap: int | None,
          fup: tuple[int, int] | None, *, pools: dict[str, uuid.UUID]) -> Plan:
    v4 = pools.get("Business static" if name.startswith("Business") else "Residential CGNAT")
    return catalogue.create_plan(session, tenant.id, service_schemas.PlanCreate.model_validate(dict(
        ipv4_pool_id=v4 if kind == "internet" else None,
        ipv6_pd_pool_id=pools.get("Residential IPv6 PD") if kind == "internet" else None,
        name=name, kind=kind, download_kbps=down, upload_kbps=up,
        price=Decimal(price), billing_cycle=cycle, data_cap_mb=cap,
        fup_download_kbps=fup[0] if fup else None, fup_upload_kbps=fup[1] if fup else None,
        setup_fee=Decimal("25.00") if kind == "internet" else Decimal("0"),
        min_contract_months=12 if cycle == "annual" else 0)))


def _customer(session: Session, tenant: Tenant, rng: random.Random, i: int) -> Customer:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    business = i % 12 == 0
    email = PORTAL_LOGIN if i == 0 else f"{first}.{last}.{i}@demo-customer.example".lower()
    address = {"kind": "service", "line1": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
               "city": rng.choice(CITIES), "country": "NG"}
    data = customer_schemas.CustomerCreate.model_validate({
        "kind": "business" if business else "residential",
        "first_name": first, "last_name": last,
        "company_name": f"{last} {rng.choice(['Logistics', 'Foods', 'Clinic', 'Ventures'])} Ltd"
        if business else "",
        "email": email, "phone": f"+234 80{rng.randint(1, 9)} {rng.randint(100, 999)} "
                                 f"{rng.randint(1000, 9999)}",
        "tags": rng.sample(["fibre", "wireless", "vip", "estate-a", "estate-b", "referral"], 2),
        "addresses": [address, {**address, "kind": "billing"}],
    })
    return customers.create_customer(session, tenant.id, data)


def _subscription(session: Session, settings: Settings, tenant: Tenant, customer: Customer,
                  plan: Plan) -> uuid.UUID:
    return services.create_subscription(session, settings, tenant.id,
                                        service_schemas.SubscriptionCreate(
                                            customer_id=customer.id, plan_id=plan.id,
                                            service_address_id=customer.addresses[0].id)).id
