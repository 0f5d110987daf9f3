"""Test kit for hotspot: a tenant with voucher plans and batches, and radclient requests for
voucher logins and their accounting."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.hotspot import schemas, service
from dotmac_isp.modules.hotspot.models import Voucher, VoucherBatch, VoucherPlan
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas as radius_schemas
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import SECRET
from tests.support.factories import make_tenant

T = TypeVar("T")


def make_voucher_plan(session: Session, tenant: Tenant, **overrides: Any) -> VoucherPlan:
    values: dict[str, Any] = {"name": f"Day pass {uuid.uuid4().hex[:6]}",
                              "price": Decimal("2.50"), "time_allowance_seconds": 3600,
                              "validity_seconds": 86_400, "download_kbps": 2000,
                              "upload_kbps": 1000, "devices": 1}
    values.update(overrides)
    return service.create_plan(session, tenant.id, schemas.PlanCreate.model_validate(values))


def make_batch(session: Session, tenant: Tenant, plan: VoucherPlan, count: int = 3,
               **overrides: Any) -> VoucherBatch:
    return service.create_batch(session, tenant.id, schemas.BatchCreate(
        plan_id=plan.id, count=count, **overrides), created_by="tests")


@dataclass
class Hotspot:
    tenant: Tenant
    nas_id: uuid.UUID
    plan: VoucherPlan
    batch: VoucherBatch
    codes: list[str]


def seed_hotspot(database: Database, settings: Settings, count: int = 3,
                 **plan: Any) -> Hotspot:
    """A tenant with a MikroTik NAS on loopback and a batch of vouchers of one plan."""
    with database.unit_of_work() as session:
        tenant = make_tenant(session)
        nas, _secret = nas_service.create_nas(
            session, settings, tenant.id, radius_schemas.NasCreate(
                name="hotspot-1", address="127.0.0.1", secret=SECRET,
                vendor="mikrotik"))  # type: ignore[arg-type]
        made = make_voucher_plan(session, tenant, **plan)
        batch = make_batch(session, tenant, made, count)
        found = [v.code for v in service.batch_vouchers(session, tenant.id, batch.id)]
    return Hotspot(tenant, nas.id, made, batch, found)


def voucher(database: Database, tenant_id: uuid.UUID, code: str) -> Voucher:
    with database.unit_of_work(write=False) as session:
        return session.scalars(select(Voucher).where(Voucher.tenant_id == tenant_id,
                                                     Voucher.code == code)).one()


def login(code: str, mac: str = "aa:bb:cc:00:00:01", **extra: Any) -> dict[str, Any]:
    """An Access-Request as MikroTik's hotspot sends it: PAP, the code as both."""
    request: dict[str, Any] = {"User-Name": code, "User-Password": code,
                               "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": mac,
                               "Service-Type": "Login-User"}
    request.update(extra)
    return request


def acct(status: str, code: str, session_id: str, mac: str = "aa:bb:cc:00:00:01",
         **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"Acct-Status-Type": status, "User-Name": code,
                               "Acct-Session-Id": session_id, "NAS-IP-Address": "127.0.0.1",
                               "Calling-Station-Id": mac, "Framed-IP-Address": "10.5.50.20"}
    request.update(extra)
    return request


def eventually(read: Callable[[], T], ok: Callable[[T], bool], seconds: float = 15) -> T:
    """Read until ok(value), for state another thread writes; the last value either way."""
    deadline = time.monotonic() + seconds
    value = read()
    while not ok(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = read()
    return value
