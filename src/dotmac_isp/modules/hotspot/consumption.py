"""Accounting for voucher sessions takes what they used off their vouchers.

Runs in the transaction that stores each accounting batch (a RADIUS accounting hook). Each
session keeps its latest counters (hotspot_voucher_sessions); a voucher gains only the
difference, so an Interim-Update sent again, or one that arrives late, adds nothing. The
vouchers are locked in id order for the change, so concurrent batches (several writers,
several servers) neither lose an update nor deadlock.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.hotspot import codes
from dotmac_isp.modules.hotspot.enums import HotspotChange, VoucherState
from dotmac_isp.modules.hotspot.models import Voucher, VoucherPlan, VoucherSession
from dotmac_isp.modules.network.radius import changes
from dotmac_isp.modules.network.radius.accounting import AcctRecord
from dotmac_isp.modules.network.radius.enums import AcctStatus
from dotmac_isp.shared.types import utcnow

_CHUNK = 500
VOUCHERS: Table = Voucher.__table__  # type: ignore[assignment]
SESSIONS: Table = VoucherSession.__table__  # type: ignore[assignment]
_V, _S = VOUCHERS.c, SESSIONS.c


@dataclass
class _Held:
    """A locked voucher and what the batch does to it."""

    id: uuid.UUID
    state: str
    activated_at: datetime | None
    expires_at: datetime | None
    used_seconds: int
    used_octets: int
    time_allowance: int | None
    data_allowance: int | None
    validity: int | None
    changed: bool = False


def consume(session: Session, records: list[AcctRecord]) -> None:
    """Accounting hook: voucher sessions of the batch consume their vouchers."""
    by_tenant: dict[uuid.UUID, list[AcctRecord]] = defaultdict(list)
    for record in records:
        if record.is_session and record.subscription_id is None and record.username:
            by_tenant[record.tenant_id].append(record)
    for tenant_id, recs in by_tenant.items():
        _consume_tenant(session, tenant_id, recs)


def _lock(session: Session, tenant_id: uuid.UUID,
          recs: list[AcctRecord]) -> tuple[dict[str, _Held], dict[str, _Held]]:
    wanted = {codes.normal_code(r.username) for r in recs}
    macs = {m for m in (codes.normal_mac(r.username) for r in recs) if m}
    rows = session.execute(
        select(Voucher.id, Voucher.code, Voucher.mac, Voucher.state, Voucher.activated_at,
               Voucher.expires_at, Voucher.used_seconds, Voucher.used_octets,
               VoucherPlan.time_allowance_seconds, VoucherPlan.data_allowance_bytes,
               VoucherPlan.validity_seconds)
        .join(VoucherPlan, VoucherPlan.id == Voucher.plan_id)
        .where(Voucher.tenant_id == tenant_id,
               or_(Voucher.code.in_(wanted), Voucher.mac.in_(macs)))
        .order_by(Voucher.id).with_for_update(of=Voucher)).all()
    by_code: dict[str, _Held] = {}
    by_mac: dict[str, _Held] = {}
    for vid, code, mac, *rest in rows:
        held = _Held(vid, *rest)
        by_code[code] = held
        if mac:
            by_mac[mac] = held
    return by_code, by_mac


def _consume_tenant(session: Session, tenant_id: uuid.UUID, recs: list[AcctRecord]) -> None:
    by_code, by_mac = _lock(session, tenant_id, recs)
    if not by_code:
        return
    owner: dict[str, tuple[_Held, AcctRecord]] = {}
    for r in recs:
        held = by_code.get(codes.normal_code(r.username)) or by_mac.get(
            codes.normal_mac(r.username) or "")
        if held is not None:
            owner.setdefault(r.acctuniqueid, (held, r))
    if not owner:
        return
    uids = list(owner)
    marks: dict[str, dict[str, Any]] = {}
    for i in range(0, len(uids), _CHUNK):
        for row in session.execute(select(VoucherSession).where(
                VoucherSession.acctuniqueid.in_(uids[i:i + _CHUNK]))).scalars():
            marks[row.acctuniqueid] = {"seconds": row.seconds, "octets": row.octets,
                                       "stopped_at": row.stopped_at}
    now = utcnow()
    new_marks: dict[str, dict[str, Any]] = {}
    changed_marks: dict[str, dict[str, Any]] = {}
    for r in recs:
        if r.acctuniqueid not in owner:
            continue
        held = owner[r.acctuniqueid][0]
        start = r.event_time - timedelta(seconds=r.session_time or 0)
        mark = marks.get(r.acctuniqueid)
        if mark is None:
            mark = marks[r.acctuniqueid] = new_marks[r.acctuniqueid] = {
                "acctuniqueid": r.acctuniqueid, "voucher_id": held.id, "tenant_id": tenant_id,
                "username": r.username[:253], "seconds": 0, "octets": 0, "started_at": start,
                "updated_at": now, "stopped_at": None}
        elif r.acctuniqueid not in new_marks:
            changed_marks[r.acctuniqueid] = mark
        # counters only grow: a repeated or late update adds nothing
        seconds = max(mark["seconds"], r.session_time or 0)
        octets = max(mark["octets"], r.input_octets + r.output_octets)
        held.used_seconds += seconds - mark["seconds"]
        held.used_octets += octets - mark["octets"]
        held.changed = held.changed or (seconds, octets) != (mark["seconds"], mark["octets"])
        mark.update(seconds=seconds, octets=octets, updated_at=now)
        if r.status == AcctStatus.STOP and mark["stopped_at"] is None:
            mark["stopped_at"] = r.event_time
        if held.activated_at is None:
            _start(held, start)
    _settle(session, tenant_id, {h.id: h for h, _r in owner.values()}, now)
    if new_marks:
        session.execute(insert(VoucherSession), list(new_marks.values()))
    if changed_marks:
        session.execute(
            update(SESSIONS).where(_S.acctuniqueid == bindparam("uid")),
            [{"uid": uid, "seconds": m["seconds"], "octets": m["octets"],
              "updated_at": m["updated_at"], "stopped_at": m["stopped_at"]}
             for uid, m in changed_marks.items()])


def _start(held: _Held, start: datetime) -> None:
    """Accounting of a voucher whose activation was not stored: it started then."""
    held.activated_at = start
    if held.validity:
        held.expires_at = start + timedelta(seconds=held.validity)
    if held.state == VoucherState.UNUSED:
        held.state = VoucherState.ACTIVE.value
    held.changed = True


def _settle(session: Session, tenant_id: uuid.UUID, touched: dict[uuid.UUID, _Held],
            now: datetime) -> None:
    rows: list[dict[str, Any]] = []
    for held in touched.values():
        spent = ((held.time_allowance is not None and held.used_seconds >= held.time_allowance)
                 or (held.data_allowance is not None
                     and held.used_octets >= held.data_allowance))
        finished = None
        if spent and held.state == VoucherState.ACTIVE:
            held.state, finished, held.changed = VoucherState.USED_UP.value, now, True
        if held.changed:
            rows.append({"vid": held.id, "state": held.state, "on": held.activated_at,
                         "until": held.expires_at, "secs": held.used_seconds,
                         "octs": held.used_octets, "now": now, "done": finished})
    if not rows:
        return
    session.execute(
        update(VOUCHERS).where(_V.id == bindparam("vid")).values(
            state=bindparam("state"), activated_at=bindparam("on"),
            expires_at=bindparam("until"), used_seconds=bindparam("secs"),
            used_octets=bindparam("octs"), updated_at=bindparam("now"),
            finished_at=bindparam("done")), rows)
    for row in rows:
        changes.record(session, tenant_id, HotspotChange.VOUCHER, row["vid"])
