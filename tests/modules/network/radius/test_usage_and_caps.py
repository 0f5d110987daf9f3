"""Daily usage from accounting (idempotent roll-up) and the data cap with the speed after it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas, usage
from dotmac_isp.modules.network.radius.models import (
    CoaRequest,
    DataCapState,
    RadAcct,
    UsageDaily,
)
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.support.customers import make_plan, make_subscription

GB = 1_000_000_000
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _session(session: Session, tenant: Tenant, sub_id: uuid.UUID, nas_id: uuid.UUID, *,
             start: datetime, update: datetime, down: int, up: int = 0,
             open_: bool = True) -> RadAcct:
    row = RadAcct(tenant_id=tenant.id, acctsessionid=uuid.uuid4().hex[:8],
                  acctuniqueid=uuid.uuid4().hex, username="capped-user",
                  nasipaddress="198.51.100.20", acctstarttime=start, acctupdatetime=update,
                  acctstoptime=None if open_ else update, acctinputoctets=up,
                  acctoutputoctets=down, acctsessiontime=int((update - start).total_seconds()),
                  nas_id=nas_id, subscription_id=sub_id)
    session.add(row)
    session.flush()
    return row


def _days(session: Session, sub_id: uuid.UUID) -> dict[str, int]:
    return {str(d.usage_date): d.input_octets + d.output_octets for d in session.scalars(
        select(UsageDaily).where(UsageDaily.subscription_id == sub_id))}


def test_rollup_splits_a_session_across_days_and_running_it_again_changes_nothing(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    nas, _ = nas_service.create_nas(session, settings, tenant.id, schemas.NasCreate(
        name="n", address="198.51.100.20", vendor="mikrotik"))  # type: ignore[arg-type]
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    row = _session(session, tenant, sub.id, nas.id, start=NOW - timedelta(hours=30),
                   update=NOW - timedelta(days=1), down=3 * GB, up=GB)
    usage.rollup(session, NOW - timedelta(days=1))
    # the session goes on into the next day; its counters keep growing
    row.acctupdatetime, row.acctoutputoctets = NOW, 5 * GB
    session.flush()
    usage.rollup(session, NOW)
    first = _days(session, sub.id)
    assert first == {"2026-11-19": 4 * GB, "2026-11-20": 2 * GB}
    usage.rollup(session, NOW)
    usage.rollup(session, NOW)
    assert _days(session, sub.id) == first


def test_reaching_the_cap_pushes_the_speed_after_the_cap_once(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    nas, _ = nas_service.create_nas(session, settings, tenant.id, schemas.NasCreate(
        name="n", address="198.51.100.20", vendor="mikrotik"))  # type: ignore[arg-type]
    plan = make_plan(session, tenant, data_cap_mb=10_000, fup_download_kbps=2_000,
                     fup_upload_kbps=1_000, price=Decimal("20"))
    sub = make_subscription(session, settings, tenant, plan=plan,
                            status=SubscriptionStatus.ACTIVE)
    _session(session, tenant, sub.id, nas.id, start=NOW - timedelta(hours=2), update=NOW,
             down=6 * GB)
    usage.rollup(session, NOW)
    assert usage.enforce_caps(session, settings.radius, NOW).capped == 0  # 6 GB of 10 GB
    _session(session, tenant, sub.id, nas.id, start=NOW - timedelta(hours=1), update=NOW,
             down=5 * GB)
    usage.rollup(session, NOW)
    result = usage.enforce_caps(session, settings.radius, NOW)
    assert (result.capped, result.requests) == (1, 2)  # one CoA per live session
    requests = list(session.scalars(select(CoaRequest).where(
        CoaRequest.subscription_id == sub.id)))
    assert {r.kind for r in requests} == {"coa"} and {r.reason for r in requests} == {
        "data_cap"}
    assert all(["Mikrotik-Rate-Limit", "1000k/2000k"] in r.attributes for r in requests)
    state = session.get(DataCapState, (sub.id, NOW.date().replace(day=1)))
    assert state is not None and state.used_octets == 11 * GB
    again = usage.enforce_caps(session, settings.radius, NOW)
    assert (again.capped, again.requests) == (0, 0)
