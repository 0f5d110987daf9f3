"""The roll-up writes in bulk and a run with nothing new is cheap: sessions whose marks
already hold their counters (the overlap read again) are neither written nor recomputed."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius import accounting, bulk, usage
from dotmac_isp.modules.network.radius.enums import AcctStatus
from dotmac_isp.modules.network.radius.models import RadAcct, UsageDaily, UsageMark
from tests.modules.network.radius.test_usage_incremental import (
    MB,
    _record,
    _subscribers,
    _today_at,
    _totals,
)
from tests.support.customers import make_plan
from tests.support.querycount import count_statements


def test_a_run_with_nothing_new_only_reads(
        session: Session, engine: Engine, settings: Settings, tenant: Tenant) -> None:
    plan = make_plan(session, tenant)
    subs = _subscribers(session, settings, tenant, plan, 20)
    now = _today_at(1)
    accounting.write_batch(session, [_record(tenant, sub, AcctStatus.START, now, 0, uid)
                                     for sub, uid in subs])
    accounting.write_batch(session, [
        _record(tenant, sub, AcctStatus.INTERIM, now + timedelta(minutes=5), 3 * MB, uid)
        for sub, uid in subs])
    assert usage.rollup(session, now + timedelta(minutes=5)) == 20
    session.flush()
    # the sessions are all inside the overlap: read again, but nothing is written
    with count_statements(engine) as counted:
        assert usage.rollup(session, now + timedelta(minutes=6)) == 0
    assert counted.count == 2, counted.statements  # the watermark and the accounting rows
    assert not [s for s in counted.statements if "INSERT" in s.upper()]
    day = str(now.date())
    assert _totals(session, tenant) == {(sub, day): 3 * MB for sub, _ in subs}
    # one session moves on: only its day is written
    sub, uid = subs[0]
    accounting.write_batch(session, [
        _record(tenant, sub, AcctStatus.INTERIM, now + timedelta(minutes=10), 8 * MB, uid)])
    assert usage.rollup(session, now + timedelta(minutes=10)) == 1
    assert _totals(session, tenant)[(sub, day)] == 8 * MB


def test_bulk_upsert_inserts_and_updates_twice_in_one_transaction(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    plan = make_plan(session, tenant)
    (sub, uid), (other, other_uid) = _subscribers(session, settings, tenant, plan, 2)
    now = _today_at(1)
    accounting.write_batch(session, [_record(tenant, sub, AcctStatus.START, now, 0, uid),
                                     _record(tenant, other, AcctStatus.START, now, 0, other_uid)])
    rids = {s: rid for s, rid in session.execute(select(
        RadAcct.subscription_id, RadAcct.radacctid).where(RadAcct.tenant_id == tenant.id))}
    day = now.date()
    table = UsageMark.__table__
    key, counters = ("radacctid", "usage_date"), ("input_octets", "output_octets",
                                                  "session_seconds")

    def mark(s: uuid.UUID, down: int) -> dict[str, object]:
        return {"radacctid": rids[s], "usage_date": day, "tenant_id": tenant.id,
                "subscription_id": s, "input_octets": 1, "output_octets": down,
                "session_seconds": 60}

    bulk.upsert(session, table, [mark(sub, 5)], key, counters)  # type: ignore[arg-type]
    bulk.upsert(session, table, [mark(sub, 7), mark(other, 9)], key,  # type: ignore[arg-type]
                counters)
    bulk.upsert(session, table, [], key, counters)  # type: ignore[arg-type]
    stored = {s: down for s, down in session.execute(select(
        UsageMark.subscription_id, UsageMark.output_octets).where(
        UsageMark.tenant_id == tenant.id))}
    assert stored == {sub: 7, other: 9}
    assert session.scalar(select(UsageDaily.id).where(UsageDaily.tenant_id == tenant.id)) is None
