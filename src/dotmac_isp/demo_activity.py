"""Demo network activity so the dashboard shows something real: RADIUS sessions online with
accounting (some subscribers near their data cap), closed sessions over the last day, and
devices up and down."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, HolderType
from dotmac_isp.modules.network.ipam.models import Allocation
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.types import utcnow

REACHABILITY = {"core-1": "up", "bng-1": "up", "olt-1": "down", "switch-1": "down"}
NAS_IP = "127.0.0.1"


def seed_activity(session: Session, tenant: Tenant, created: list[str]) -> None:
    """Sessions and device states for the demo tenant (skipped if it has accounting rows)."""
    if session.scalar(select(func.count()).select_from(RadAcct)
                      .where(RadAcct.tenant_id == tenant.id)):
        return
    now, rng = utcnow(), random.Random(20261205)
    for name, state in REACHABILITY.items():
        session.execute(update(Device).where(Device.tenant_id == tenant.id, Device.name == name)
                        .values(reachability=state, state_changed_at=now - timedelta(hours=2)))
    subs = session.execute(select(Subscription.id, Subscription.radius_username, Plan.data_cap_mb)
                           .join(Plan, Plan.id == Subscription.plan_id)
                           .where(Subscription.tenant_id == tenant.id,
                                  Subscription.status == "active",
                                  Plan.kind == "internet")).all()
    # a session carries the address the subscriber holds (IPAM), or none: the NAS gives out
    # what we allocate, so search by IP finds one subscriber whether it reads IPAM or sessions
    held = dict(session.execute(
        select(Allocation.holder_id, Allocation.address)
        .where(Allocation.tenant_id == tenant.id,
               Allocation.holder_type == HolderType.SUBSCRIPTION.value, Allocation.family == 4,
               Allocation.status == AllocationStatus.ALLOCATED.value)).all())
    rows = []
    for n, (sub_id, username, cap_mb) in enumerate(subs):
        started = now - timedelta(minutes=rng.randint(5, 72 * 60))
        used = int(cap_mb * 1_000_000 * rng.uniform(0.85, 0.98)) if cap_mb else \
            rng.randint(200, 40_000) * 1_000_000
        online = n % 10 != 9
        stopped = None if online else now - timedelta(minutes=rng.randint(10, 20 * 60))
        start = min(started, stopped - timedelta(minutes=30)) if stopped else started
        rows.append(RadAcct(
            tenant_id=tenant.id, acctsessionid=f"demo-{n:05d}", acctuniqueid=uuid.uuid4().hex,
            username=username, nasipaddress=NAS_IP, acctstarttime=start,
            acctupdatetime=stopped or now - timedelta(minutes=rng.randint(0, 4)),
            acctstoptime=stopped, acctinterval=300,
            acctsessiontime=int(((stopped or now) - start).total_seconds()),
            acctinputoctets=used // 8, acctoutputoctets=used - used // 8,
            framedipaddress=held.get(sub_id), subscription_id=sub_id,
            acctterminatecause="User-Request" if stopped else None, nasporttype="Ethernet"))
    session.add_all(rows)
    session.flush()
    open_count = sum(1 for r in rows if r.acctstoptime is None)
    created.append(f"{open_count} RADIUS sessions online, {len(rows) - open_count} closed, "
                   f"{sum(1 for s in REACHABILITY.values() if s == 'down')} devices down")
