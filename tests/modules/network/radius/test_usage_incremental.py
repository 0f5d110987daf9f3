"""The usage roll-up reads only the accounting written since its last run: its statement
count does not grow with the sessions, interims replace a session's counters (never add to
them), and a second run changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius import accounting, usage
from dotmac_isp.modules.network.radius.enums import AcctStatus
from dotmac_isp.modules.network.radius.models import RadAcct, UsageDaily, UsageMark
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Plan
from dotmac_isp.shared.types import utcnow
from tests.support.customers import make_plan, make_subscription
from tests.support.querycount import count_statements

MB = 1_000_000


def _today_at(hour: int) -> datetime:
    return datetime.combine(utcnow().date(), datetime.min.time(), UTC) + timedelta(hours=hour)


def _record(tenant: Tenant, sub_id: uuid.UUID, status: AcctStatus, when: datetime,
            down: int, uid: str) -> accounting.AcctRecord:
    return accounting.AcctRecord(
        status=status, tenant_id=tenant.id, nas_id=None, event_time=when,
        nasipaddress="198.51.100.30", acctsessionid=uid[:8], acctuniqueid=uid,
        username=f"user-{uid[:6]}", subscription_id=sub_id, session_time=60,
        input_octets=0, output_octets=down)


def _subscribers(session: Session, settings: Settings, tenant: Tenant, plan: Plan,
                 count: int) -> list[tuple[uuid.UUID, str]]:
    return [(make_subscription(session, settings, tenant, plan=plan,
                               status=SubscriptionStatus.ACTIVE).id, uuid.uuid4().hex)
            for _ in range(count)]


def _totals(session: Session, tenant: Tenant) -> dict[tuple[uuid.UUID, str], int]:
    return {(d.subscription_id, str(d.usage_date)): d.output_octets for d in session.scalars(
        select(UsageDaily).where(UsageDaily.tenant_id == tenant.id))}


def test_a_cycle_sends_as_many_statements_for_100_sessions_as_for_10(
        session: Session, engine: Engine, settings: Settings, tenant: Tenant) -> None:
    plan = make_plan(session, tenant)
    now = _today_at(1)
    counts = []
    subs: list[tuple[uuid.UUID, str]] = []
    for more in (10, 90):
        new = _subscribers(session, settings, tenant, plan, more)
        accounting.write_batch(session, [_record(tenant, sub, AcctStatus.START, now, 0, uid)
                                         for sub, uid in new])
        subs += new
        usage.rollup(session, now)
        # the next interval: every session sends an interim with its counters
        accounting.write_batch(session, [
            _record(tenant, sub, AcctStatus.INTERIM, now + timedelta(minutes=5), 7 * MB, uid)
            for sub, uid in subs])
        session.flush()
        with count_statements(engine) as counted:
            assert usage.rollup(session, now + timedelta(minutes=5)) == more  # new totals
        counts.append(counted.count)
    assert counts[0] == counts[1]
    totals = _totals(session, tenant)
    assert len(totals) == 100 and set(totals.values()) == {7 * MB}


def test_interims_replace_the_sessions_counters_and_a_second_run_changes_nothing(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    plan = make_plan(session, tenant)
    (sub, uid), = _subscribers(session, settings, tenant, plan, 1)
    day = str(_today_at(0).date())
    when = _today_at(1)
    accounting.write_batch(session, [_record(tenant, sub, AcctStatus.START, when, 0, uid)])
    for minutes, down in ((5, 100 * MB), (10, 300 * MB), (15, 450 * MB)):
        accounting.write_batch(session, [_record(tenant, sub, AcctStatus.INTERIM,
                                                 when + timedelta(minutes=minutes), down, uid)])
        usage.rollup(session, when + timedelta(minutes=minutes))
        assert _totals(session, tenant) == {(sub, day): down}
    # an interim older than the stored one (delivered late) is ignored by accounting
    accounting.write_batch(session, [_record(tenant, sub, AcctStatus.INTERIM,
                                             when + timedelta(minutes=7), 200 * MB, uid)])
    accounting.write_batch(session, [_record(tenant, sub, AcctStatus.STOP,
                                             when + timedelta(minutes=20), 500 * MB, uid)])
    assert usage.rollup(session, when + timedelta(minutes=20)) == 1
    stamped = session.scalar(select(UsageDaily.updated_at).where(UsageDaily.subscription_id == sub))
    assert _totals(session, tenant) == {(sub, day): 500 * MB}
    assert usage.rollup(session, when + timedelta(minutes=25)) == 0
    assert usage.rollup(session, when + timedelta(minutes=30)) == 0
    assert _totals(session, tenant) == {(sub, day): 500 * MB}
    assert session.scalar(select(UsageDaily.updated_at).where(
        UsageDaily.subscription_id == sub)) == stamped


def test_a_run_reads_only_sessions_written_since_the_last_one(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    plan = make_plan(session, tenant)
    (old_sub, old_uid), (sub, uid) = _subscribers(session, settings, tenant, plan, 2)
    when = _today_at(1)
    accounting.write_batch(session, [_record(tenant, old_sub, AcctStatus.START, when, 0, old_uid),
                                     _record(tenant, sub, AcctStatus.START, when, 0, uid)])
    usage.rollup(session, when)
    # a session last written long ago: pretend its row changed without a write (as a
    # scanning roll-up would notice); an incremental one does not look at it again
    session.execute(update(RadAcct).where(RadAcct.acctuniqueid == old_uid).values(
        acctoutputoctets=999 * MB, changed_at=utcnow() - timedelta(hours=1)))
    accounting.write_batch(session, [_record(tenant, sub, AcctStatus.INTERIM,
                                             when + timedelta(minutes=5), 5 * MB, uid)])
    assert usage.rollup(session, when + timedelta(minutes=5)) == 1
    day = str(when.date())
    assert _totals(session, tenant) == {(old_sub, day): 0, (sub, day): 5 * MB}
    old_rid = session.scalar(select(RadAcct.radacctid).where(RadAcct.acctuniqueid == old_uid))
    assert session.scalar(select(UsageMark.output_octets).where(
        UsageMark.radacctid == old_rid)) == 0
