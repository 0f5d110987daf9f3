"""Vouchers in the RADIUS server's memory: loaded and refreshed with the subscribers (the
same change log, kinds hotspot_*), answering User-Names no subscriber has.

A code logs in with itself as the password (PAP, as MikroTik's hotspot sends it, or CHAP);
a device bound at the first login logs in with its MAC as the User-Name when the plan allows
it. The first login starts the validity: the answer goes out at once and the activation is
written by a worker thread (a conditional update, so of several servers the first wins; the
accounting that follows would activate the voucher too)."""

from __future__ import annotations

import hmac
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.hotspot import codes, reply
from dotmac_isp.modules.hotspot import service as hotspot_service
from dotmac_isp.modules.hotspot.enums import HotspotChange, VoucherState
from dotmac_isp.modules.hotspot.models import Voucher, VoucherPlan
from dotmac_isp.modules.hotspot.reply import PlanEntry, VoucherEntry
from dotmac_isp.modules.network.radius import policy
from dotmac_isp.modules.network.radius.authn import AuthOutcome
from dotmac_isp.modules.network.radius.cache import PolicyCache
from dotmac_isp.modules.network.radius.store import Change, NasEntry
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.codec import Request
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
NAME = "hotspot"
# Finished vouchers are kept this long after they finish, to be refused with the reason.
KEEP_FINISHED = timedelta(days=30)
_CHUNK = 500
_LIVE = (VoucherState.UNUSED.value, VoucherState.ACTIVE.value)
_COLUMNS = (Voucher.id, Voucher.tenant_id, Voucher.code, Voucher.plan_id, Voucher.state,
            Voucher.mac, Voucher.activated_at, Voucher.expires_at, Voucher.used_seconds,
            Voucher.used_octets)


@dataclass
class Found:
    plans: dict[uuid.UUID, PlanEntry] = field(default_factory=dict)
    vouchers: list[VoucherEntry] = field(default_factory=list)
    asked: set[uuid.UUID] = field(default_factory=set)  # voucher ids reloaded (gone if absent)


def _plan(row: VoucherPlan) -> PlanEntry:
    return PlanEntry(row.id, row.time_allowance_seconds, row.data_allowance_bytes,
                     row.validity_seconds, row.download_kbps, row.upload_kbps, row.devices,
                     row.mac_login)


def _entries(session: Session, *conditions: Any) -> list[VoucherEntry]:
    rows = session.connection().execute(select(*_COLUMNS).where(*conditions)).all()
    return [VoucherEntry(i, t, code.lower(), plan, state, mac, on, until, secs, octs)
            for i, t, code, plan, state, mac, on, until, secs, octs in rows]


class VoucherSection:
    name = NAME

    def __init__(self, cache: PolicyCache):
        self.cache = cache
        self.settings = cache.settings.radius
        self.plans: dict[uuid.UUID, PlanEntry] = {}
        self.by_id: dict[uuid.UUID, VoucherEntry] = {}
        self.by_code: dict[tuple[uuid.UUID, str], VoucherEntry] = {}
        self.by_mac: dict[tuple[uuid.UUID, str], VoucherEntry] = {}
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="hotspot-activate")

    # Loads (worker thread) ------------------------------------------------------------

    def load_all(self, session: Session, now: datetime) -> Found:
        plans = {p.id: _plan(p) for p in session.scalars(select(VoucherPlan))}
        vouchers = _entries(session, or_(Voucher.state.in_(_LIVE),
                                         Voucher.finished_at >= now - KEEP_FINISHED))
        return Found(plans, vouchers)

    def load_changed(self, session: Session, changes: list[Change],
                     now: datetime) -> Found | None:
        ids = {c.object_id for c in changes if c.kind == HotspotChange.VOUCHER and c.object_id}
        batches = [c.object_id for c in changes
                   if c.kind == HotspotChange.BATCH and c.object_id]
        plan_ids = {c.object_id for c in changes if c.kind == HotspotChange.PLAN and c.object_id}
        if not (ids or batches or plan_ids):
            return None
        found = Found(asked=set(ids))
        listed = list(ids)
        for i in range(0, len(listed), _CHUNK):
            found.vouchers += _entries(session, Voucher.id.in_(listed[i:i + _CHUNK]))
        for i in range(0, len(batches), _CHUNK):
            found.vouchers += _entries(session, Voucher.batch_id.in_(batches[i:i + _CHUNK]))
        plan_ids |= {v.plan_id for v in found.vouchers}
        needed = list(plan_ids)
        for i in range(0, len(needed), _CHUNK):
            found.plans.update({p.id: _plan(p) for p in session.scalars(
                select(VoucherPlan).where(VoucherPlan.id.in_(needed[i:i + _CHUNK])))})
        return found

    # Apply (event loop) -----------------------------------------------------------------

    def apply(self, found: Found, full: bool) -> None:
        if full:
            old = self.by_id
            self.plans, self.by_id, self.by_code, self.by_mac = dict(found.plans), {}, {}, {}
        else:
            old = {i: self.by_id[i] for i in found.asked if i in self.by_id}
            self.plans.update(found.plans)
            for voucher_id in found.asked:
                self._drop(voucher_id)
        for entry in found.vouchers:
            before = old.get(entry.id) or self.by_id.get(entry.id)
            if before is not None and before.activated_at and entry.activated_at is None:
                # our own activation is not written yet: keep what this server knows
                entry.activated_at, entry.expires_at = before.activated_at, before.expires_at
                entry.state, entry.mac = before.state, entry.mac or before.mac
            self._drop(entry.id)
            self._add(entry)

    def _add(self, entry: VoucherEntry) -> None:
        self.by_id[entry.id] = entry
        self.by_code[(entry.tenant_id, entry.code)] = entry
        if entry.mac:
            self.by_mac[(entry.tenant_id, entry.mac)] = entry

    def _drop(self, voucher_id: uuid.UUID) -> None:
        entry = self.by_id.pop(voucher_id, None)
        if entry is not None:
            self.by_code.pop((entry.tenant_id, entry.code), None)
            if entry.mac and self.by_mac.get((entry.tenant_id, entry.mac)) is entry:
                del self.by_mac[(entry.tenant_id, entry.mac)]

    def knows(self, tenant_id: uuid.UUID, username: str) -> bool:
        return (tenant_id, username) in self.by_code or (tenant_id, username) in self.by_mac

    # Access-Request (event loop) ----------------------------------------------------------

    def authenticate(self, request: Request, nas: NasEntry,
                     username: str) -> AuthOutcome | None:
        tenant_id = nas.tenant_id
        entry = self.by_code.get((tenant_id, codes.normal_code(username).lower()))
        by_mac = False
        if entry is None:
            mac = codes.normal_mac(username)
            entry = self.by_mac.get((tenant_id, mac)) if mac else None
            by_mac = True
        if entry is None:
            return None
        plan = self.plans.get(entry.plan_id)
        calling = request.text(codec.CALLING_STATION_ID)
        device = codes.normal_mac(calling) if calling else None
        method, ok = self._credentials(request, nas, entry, by_mac, username)
        if ok and by_mac and (plan is None or not plan.mac_login
                              or (device is not None and device != entry.mac)):
            ok = False
        if not ok or plan is None:
            return self._reject(request, nas, policy.REJECT_PASSWORD, method, username)
        now = utcnow()
        refused = reply.refusal(entry, plan, now)
        if refused is None and plan.devices and self._online(entry, nas, calling) >= \
                plan.devices:
            refused = reply.REJECT_DEVICES
        if refused is not None:
            return self._reject(request, nas, refused, method, username)
        if entry.activated_at is None:
            self._activate(entry, plan, now, device)
        attributes = codec.encode_pairs(reply.accept_pairs(entry, plan, nas.vendor, now,
                                                           self.settings))
        answer = codec.response(codec.ACCESS_ACCEPT, request, nas.secret, attributes,
                                sign=True)
        return AuthOutcome(answer, accepted=True, reason="voucher", method=method,
                           username=username)

    def _credentials(self, request: Request, nas: NasEntry, entry: VoucherEntry,
                     by_mac: bool, username: str) -> tuple[str, bool]:
        secrets = ([b"", username.encode(), (entry.mac or "").encode()] if by_mac else
                   [entry.code.upper().encode(), entry.code.encode(), username.encode()])
        if codec.USER_PASSWORD in request.attrs:
            given = codec.pap_password(request, nas.secret) or b""
            if by_mac:
                text = given.decode("utf-8", "replace")
                return "pap", not given or codes.normal_mac(text) == entry.mac
            typed = codes.normal_code(given.decode("utf-8", "replace")).encode()
            return "pap", hmac.compare_digest(typed, entry.code.upper().encode())
        if codec.CHAP_PASSWORD in request.attrs:
            return "chap", any(codec.chap_ok(request, s) for s in secrets)
        return "", False

    def _online(self, entry: VoucherEntry, nas: NasEntry, calling: str | None) -> int:
        online = self.cache.online
        count = online.others(entry.tenant_id, entry.code, nas.id, calling)
        if entry.mac:
            count += online.others(entry.tenant_id, entry.mac, nas.id, calling)
        return count

    def _reject(self, request: Request, nas: NasEntry, reason: str, method: str,
                username: str) -> AuthOutcome:
        answer = codec.response(codec.ACCESS_REJECT, request, nas.secret,
                                codec.encode_pairs([("Reply-Message", reason)]), sign=True)
        return AuthOutcome(answer, accepted=False, reason=reason, method=method,
                           username=username)

    def _activate(self, entry: VoucherEntry, plan: PlanEntry, now: datetime,
                  device: str | None) -> None:
        entry.activated_at, entry.state = now, VoucherState.ACTIVE.value
        if plan.validity_seconds:
            entry.expires_at = now + timedelta(seconds=plan.validity_seconds)
        bind = device if plan.mac_login and entry.mac is None else None
        if bind:
            entry.mac = bind
            self.by_mac[(entry.tenant_id, bind)] = entry
        self._writer.submit(self._write_activation, entry.tenant_id, entry.id, now,
                            entry.expires_at, bind)

    def _write_activation(self, tenant_id: uuid.UUID, voucher_id: uuid.UUID, when: datetime,
                          expires_at: datetime | None, mac: str | None) -> None:
        try:
            with self.cache.database.unit_of_work() as session:
                hotspot_service.activate(session, tenant_id, voucher_id, when, expires_at, mac)
        except Exception:
            log.exception("voucher activation not stored; its accounting will store it",
                          extra={"voucher_id": str(voucher_id)})
