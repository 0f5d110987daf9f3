"""Bulk reads that fill the RADIUS servers' in-memory cache: NAS clients of every tenant,
plans, subscriber profiles and open sessions, and the policy-change log they follow.

The loader reads the plan and subscription tables in bulk; the services module has no bulk
read, and one query per subscriber would make a restart of a large ISP's server take minutes.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.radius import addresses, cpe
from dotmac_isp.modules.network.radius.models import (
    DataCapState,
    NasClient,
    PolicyChange,
    RadAcct,
)
from dotmac_isp.modules.network.radius.policy import PlanSnapshot, Profile
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared import crypto
from dotmac_isp.shared.crypto import DecryptionFailed

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class NasEntry:
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    network: IPNetwork
    secret: bytes
    vendor: str
    coa_port: int
    require_message_authenticator: bool


@dataclass(frozen=True, slots=True)
class OpenSession:
    tenant_id: uuid.UUID
    username: str
    acctuniqueid: str
    nas_id: uuid.UUID | None
    callingstationid: str | None


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    tenant_id: uuid.UUID | None
    kind: str
    object_id: uuid.UUID | None
    created_at: datetime


def month_start(day: date) -> date:
    return day.replace(day=1)


def load_nas(session: Session, secret_key: str) -> list[NasEntry]:
    """Every active NAS client of every tenant (the table is small)."""
    entries = []
    for nas in session.scalars(select(NasClient).where(NasClient.is_active.is_(True))):
        try:
            secret = crypto.decrypt(secret_key, nas.secret_encrypted).encode()
        except DecryptionFailed:
            continue  # cannot answer this NAS without its secret; the API shows the error
        entries.append(NasEntry(nas.id, nas.tenant_id, nas.name,
                                ipaddress.ip_network(nas.address, strict=False), secret,
                                nas.vendor, nas.coa_port, nas.require_message_authenticator))
    return entries


def plan_snapshot(plan: Plan) -> PlanSnapshot:
    return PlanSnapshot(
        id=plan.id, download_kbps=plan.download_kbps, upload_kbps=plan.upload_kbps,
        burst_download_kbps=plan.burst_download_kbps, burst_upload_kbps=plan.burst_upload_kbps,
        burst_threshold_download_kbps=plan.burst_threshold_download_kbps,
        burst_threshold_upload_kbps=plan.burst_threshold_upload_kbps,
        burst_time_seconds=plan.burst_time_seconds, data_cap_mb=plan.data_cap_mb,
        fup_download_kbps=plan.fup_download_kbps, fup_upload_kbps=plan.fup_upload_kbps,
        session_timeout_seconds=plan.session_timeout_seconds,
        interim_interval_seconds=plan.interim_interval_seconds,
        radius_attributes=dict(plan.radius_attributes or {}),
        require_cpe_mac=plan.require_cpe_mac)


def load_plans(session: Session, plan_ids: Iterable[uuid.UUID] | None = None,
               ) -> dict[uuid.UUID, PlanSnapshot]:
    stmt = select(Plan)
    plans: dict[uuid.UUID, PlanSnapshot] = {}
    if plan_ids is None:
        return {p.id: plan_snapshot(p) for p in session.scalars(stmt)}
    ids = list(plan_ids)
    for start in range(0, len(ids), _CHUNK):
        for plan in session.scalars(stmt.where(Plan.id.in_(ids[start:start + _CHUNK]))):
            plans[plan.id] = plan_snapshot(plan)
    return plans


_SERVED = frozenset({"active", "suspended"})  # statuses that may get an Access-Accept
_PROFILE_COLUMNS = (Subscription.tenant_id, Subscription.id, Subscription.radius_username,
                    Subscription.radius_password_encrypted, Subscription.status,
                    Subscription.plan_id)


def load_profiles(session: Session, secret_key: str, today: date, *,
                  subscription_ids: Iterable[uuid.UUID] | None = None,
                  plan_ids: Iterable[uuid.UUID] | None = None) -> list[Profile]:
    """Subscriber profiles: all of them, or those with the given ids or plans."""
    stmts = []
    base = select(*_PROFILE_COLUMNS)
    if subscription_ids is None and plan_ids is None:
        stmts.append(base)
    for column, ids in ((Subscription.id, subscription_ids), (Subscription.plan_id, plan_ids)):
        listed = list(ids or ())
        stmts += [base.where(column.in_(listed[i:i + _CHUNK]))
                  for i in range(0, len(listed), _CHUNK)]
    capped = set(session.scalars(select(DataCapState.subscription_id).where(
        DataCapState.period_start == month_start(today))))
    # plain rows through the connection, fetched at once (no ORM objects, no fetch per row
    # for 10^5 rows); passwords stay encrypted until the subscriber authenticates
    conn = session.connection()
    profiles = [Profile(tenant_id, sub_id, username.lower(), sealed, status, plan_id,
                        capped=sub_id in capped, key=secret_key)
                for stmt in stmts
                for tenant_id, sub_id, username, sealed, status, plan_id
                in conn.execute(stmt).all()]
    everyone = subscription_ids is None and plan_ids is None
    _add_cpe_macs(session, profiles, everyone)
    if addresses.has_sources():
        served = [p for p in profiles if p.status in _SERVED]
        found = addresses.addresses_for_many(
            session, [(p.tenant_id, p.subscription_id) for p in served],
            everyone=subscription_ids is None and plan_ids is None)
        if found:
            for profile in served:
                got = found.get((profile.tenant_id, profile.subscription_id))
                if got is not None:
                    profile.ipv4, profile.ipv6_prefix = got
    return profiles


def _add_cpe_macs(session: Session, profiles: list[Profile], everyone: bool) -> None:
    """The MACs of each served subscriber's installed CPE, read in one go."""
    served = [p for p in profiles if p.status in _SERVED]
    if not served:
        return
    macs = cpe.bound_macs(session, None if everyone else [p.subscription_id for p in served])
    if macs:
        for profile in served:
            profile.cpe_macs = macs.get((profile.tenant_id, profile.subscription_id),
                                        frozenset())


def open_sessions(session: Session) -> list[OpenSession]:
    """Every session without a stop time, for the simultaneous-use check."""
    stmt = select(RadAcct.tenant_id, RadAcct.username, RadAcct.acctuniqueid, RadAcct.nas_id,
                  RadAcct.callingstationid).where(RadAcct.acctstoptime.is_(None))
    return [OpenSession(t, (u or "").lower(), uid, nas, calling)
            for t, u, uid, nas, calling in session.connection().execute(stmt).all()]


def changes_since(session: Session, since: datetime) -> list[Change]:
    stmt = (select(PolicyChange.id, PolicyChange.tenant_id, PolicyChange.kind,
                   PolicyChange.object_id, PolicyChange.created_at)
            .where(PolicyChange.created_at >= since).order_by(PolicyChange.id))
    return [Change(*row) for row in session.execute(stmt)]


def profile_for(session: Session, secret_key: str, tenant_id: uuid.UUID, username: str,
                today: date) -> Profile | None:
    """One subscriber's profile, read live (the rlm_rest path has no cache)."""
    sub_id = session.scalar(select(Subscription.id).where(
        Subscription.tenant_id == tenant_id, Subscription.radius_username == username.lower()))
    if sub_id is None:
        return None
    found = load_profiles(session, secret_key, today, subscription_ids=[sub_id])
    return found[0] if found else None


def open_sessions_of_user(session: Session, tenant_id: uuid.UUID,
                          username: str) -> list[OpenSession]:
    stmt = select(RadAcct.tenant_id, RadAcct.username, RadAcct.acctuniqueid, RadAcct.nas_id,
                  RadAcct.callingstationid).where(
        RadAcct.tenant_id == tenant_id, RadAcct.username == username,
        RadAcct.acctstoptime.is_(None))
    return [OpenSession(t, (u or "").lower(), uid, nas, calling)
            for t, u, uid, nas, calling in session.execute(stmt)]
