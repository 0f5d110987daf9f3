"""The RADIUS server's memory: NAS table, plans, subscriber profiles and online sessions.

Packets are answered from here, never from a query. Loads run in a worker thread and return
an Update; the event loop applies it, so the loop never waits on the database and no lock is
needed. What changed comes from the policy-change log (changes.py), polled every
refresh_seconds and at once when a change was committed in this process or, over Redis, in
another (signals.py, notify.py). Where several processes serve (radius serve --processes N),
sessions opened and closed by the others are polled from radacct the same way, so the
simultaneous-use limit counts every process's sessions.
"""

from __future__ import annotations

import ipaddress
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import sections, store
from dotmac_isp.modules.network.radius.enums import ChangeKind
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.modules.network.radius.policy import PlanSnapshot, Profile
from dotmac_isp.modules.network.radius.store import NasEntry, OpenSession
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

# A change row becomes visible when its transaction commits, which may be a while after its
# created_at: each poll looks this far back before the previous poll (or the start of the
# last full load) and skips the rows it has already seen, so however long a load or a pause
# took, no change falls between two polls.
LOOKBACK = timedelta(seconds=60)
# Sessions are polled by their changed_at, stamped just before a batch commits: a short
# look-back covers that, and the periodic full reload of open sessions covers the rest.
SESSION_LOOKBACK = timedelta(seconds=10)
# Past this long without a poll (a stalled process) the log may have been pruned: load all.
MAX_GAP = timedelta(hours=1)
# Source addresses whose NAS range was looked up: whoever sends the datagrams chooses them
# (spoofed sources included), so only the most recently seen are remembered.
RANGE_MEMO_ENTRIES = 65536


def _find_range(ranges: list[NasEntry], address: str) -> NasEntry | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return next((e for e in ranges if ip in e.network), None)


class NasTable:
    """Source address -> NAS. Exact addresses first, then ranges, longest prefix first."""

    def __init__(self, entries: Iterable[NasEntry] = (), memo_entries: int | None = None):
        self.exact: dict[str, NasEntry] = {}
        self.ranges: list[NasEntry] = []
        self.by_id: dict[uuid.UUID, NasEntry] = {}
        for entry in entries:
            self.by_id[entry.id] = entry
            if entry.network.num_addresses == 1:
                self.exact[str(entry.network.network_address)] = entry
            else:
                self.ranges.append(entry)
        self.ranges.sort(key=lambda e: e.network.prefixlen, reverse=True)
        # an LRU over the ranges list, not over self: no reference cycle, so a replaced table
        # is freed at once even when gc.freeze() has taken it out of the collector's sight
        self.in_range = lru_cache(maxsize=memo_entries or RANGE_MEMO_ENTRIES)(
            partial(_find_range, self.ranges))

    def lookup(self, address: str) -> NasEntry | None:
        entry = self.exact.get(address)
        if entry is not None or not self.ranges:
            return entry
        return self.in_range(address)

    def __len__(self) -> int:
        return len(self.by_id)


class OnlineSessions:
    """Open sessions per subscriber, for the simultaneous-use limit.

    At most per_user sessions are kept for each subscriber, the most recently updated: the
    NAS chooses the session ids, and a limit is only ever compared with a handful of them."""

    def __init__(self, per_user: int = 64) -> None:
        self.per_user = per_user
        self.by_user: dict[tuple[uuid.UUID, str], dict[str, OpenSession]] = {}
        self.by_id: dict[str, OpenSession] = {}

    def replace(self, sessions: Iterable[OpenSession]) -> None:
        self.by_user.clear()
        self.by_id.clear()
        for s in sessions:
            self.add(s)

    def add(self, s: OpenSession) -> None:
        uid = s.acctuniqueid
        user = self.by_user.setdefault((s.tenant_id, s.username), {})
        if user.pop(uid, None) is None and len(user) >= self.per_user:
            self.by_id.pop(user.pop(next(iter(user))).acctuniqueid, None)
        self.by_id[uid] = user[uid] = s  # last in the user's dict: the most recent

    def remove(self, acctuniqueid: str) -> None:
        s = self.by_id.pop(acctuniqueid, None)
        if s is not None:
            user = self.by_user.get((s.tenant_id, s.username))
            if user is not None:
                user.pop(acctuniqueid, None)
                if not user:
                    del self.by_user[(s.tenant_id, s.username)]

    def others(self, tenant_id: uuid.UUID, username: str, nas_id: uuid.UUID,
               calling: str | None) -> int:
        """Open sessions of the subscriber, not counting one from the same device on the same
        NAS (a reconnect whose Stop has not arrived yet)."""
        user = self.by_user.get((tenant_id, username))
        if not user:
            return 0
        return sum(1 for s in user.values()
                   if not (calling and s.nas_id == nas_id and s.callingstationid == calling))

    def __len__(self) -> int:
        return len(self.by_id)


@dataclass
class Update:
    """What a load found, applied by the event loop."""

    full: bool = False
    nas: list[NasEntry] | None = None
    plans: dict[uuid.UUID, PlanSnapshot] = field(default_factory=dict)
    profiles: list[Profile] = field(default_factory=list)
    removed: set[uuid.UUID] = field(default_factory=set)
    sessions: list[OpenSession] | None = None
    opened: list[OpenSession] = field(default_factory=list)  # sessions other processes saw
    closed: list[str] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)  # what each section's load found


class PolicyCache:
    def __init__(self, database: Database, settings: Settings):
        self.database = database
        self.settings = settings
        self.nas = NasTable()
        self.plans: dict[uuid.UUID, PlanSnapshot] = {}
        self.profiles: dict[tuple[uuid.UUID, str], Profile] = {}
        self.by_subscription: dict[uuid.UUID, Profile] = {}
        self.online = OnlineSessions(settings.radius.sessions_per_subscriber)
        self.loaded_at = 0.0
        self.plans_version = 0  # changes whenever a plan may have changed
        self._seen: dict[int, datetime] = {}
        self._polled_at: datetime | None = None
        self._sessions_polled_at: datetime | None = None
        # Held by a full load: a poll that finds one running leaves it alone (the load
        # brings everything), so slow loads never pile up behind each other.
        self._full_load = threading.Lock()
        self._poll = threading.Lock()
        self.full_loads = 0
        self.sections = sections.build(self)

    # Loads (worker thread) ------------------------------------------------------------

    def load_all(self) -> Update:
        """Everything, read in one transaction; waits for a full load already running."""
        with self._full_load:
            return self._load_all()

    def _load_all(self) -> Update:
        started = utcnow()
        secret = self.settings.secret_key.get_secret_value()
        with self.database.unit_of_work(write=False) as session:
            changes = store.changes_since(session, started - LOOKBACK)
            update = Update(full=True, nas=store.load_nas(session, secret),
                            plans=store.load_plans(session),
                            profiles=store.load_profiles(session, secret, started.date()),
                            sessions=store.open_sessions(session))
            update.sections = {s.name: s.load_all(session, started) for s in self.sections}
        with self._poll:
            self._seen = {c.id: c.created_at for c in changes}
            self._polled_at = started  # the next poll looks back from before this load
            self.full_loads += 1
        return update

    def load_changes(self) -> Update | None:
        """What changed since the last poll; None when nothing did, or when a full load is
        running (it reads everything the poll would have)."""
        if not self._full_load.acquire(blocking=False):
            return None
        try:
            if self._polled_at is None or utcnow() - self._polled_at > MAX_GAP:
                return self._load_all()
            update = self._poll_changes()
            return self._load_all() if update is not None and update.full else update
        finally:
            self._full_load.release()

    def _poll_changes(self) -> Update | None:
        started = utcnow()
        secret = self.settings.secret_key.get_secret_value()
        update = Update()
        with self._poll, self.database.unit_of_work(write=False) as session:
            assert self._polled_at is not None
            since = min(self._polled_at, started) - LOOKBACK
            fresh = [c for c in store.changes_since(session, since) if c.id not in self._seen]
            for c in fresh:
                self._seen[c.id] = c.created_at
            self._polled_at = started
            self._seen = {i: at for i, at in self._seen.items() if at >= started - 2 * LOOKBACK}
            if not fresh:
                return None
            kinds = {c.kind for c in fresh}
            if ChangeKind.ALL in kinds:
                update.full = True
            elif ChangeKind.NAS in kinds:
                update.nas = store.load_nas(session, secret)
            plan_ids = {c.object_id for c in fresh if c.kind == ChangeKind.PLAN and c.object_id}
            sub_ids = {c.object_id for c in fresh
                       if c.kind == ChangeKind.SUBSCRIPTION and c.object_id}
            if not update.full and (plan_ids or sub_ids):
                update.profiles = store.load_profiles(session, secret, started.date(),
                                                      subscription_ids=sub_ids or None,
                                                      plan_ids=plan_ids or None)
                found = {p.subscription_id for p in update.profiles}
                update.removed = sub_ids - found
                needed = plan_ids | {p.plan_id for p in update.profiles}
                update.plans = store.load_plans(session, needed)
            if not update.full:
                for section in self.sections:
                    found = section.load_changed(session, fresh, started)
                    if found is not None:
                        update.sections[section.name] = found
        return update

    def load_sessions(self) -> Update:
        started = utcnow()
        with self.database.unit_of_work(write=False) as session:
            update = Update(sessions=store.open_sessions(session))
        self._sessions_polled_at = started
        return update

    def load_session_changes(self) -> Update:
        """Sessions opened or closed since the last look, whichever process stored them:
        several RADIUS processes count simultaneous use from the database, not from what
        each one saw itself."""
        started = utcnow()
        if self._sessions_polled_at is None:
            return self.load_sessions()
        since = min(self._sessions_polled_at, started) - SESSION_LOOKBACK
        with self.database.unit_of_work(write=False) as session:
            rows = session.connection().execute(
                select(RadAcct.tenant_id, RadAcct.username, RadAcct.acctuniqueid,
                       RadAcct.nas_id, RadAcct.callingstationid, RadAcct.acctstoptime)
                .where(RadAcct.changed_at >= since)).all()
        self._sessions_polled_at = started
        update = Update()
        for tenant_id, username, uid, nas_id, calling, stopped in rows:
            if stopped is None:
                update.opened.append(OpenSession(tenant_id, (username or "").lower(), uid,
                                                 nas_id, calling))
            else:
                update.closed.append(uid)
        return update

    # Apply (event loop) -----------------------------------------------------------------

    def apply(self, update: Update) -> None:
        if update.full:
            self.plans = dict(update.plans)
            self.profiles = {}
            self.by_subscription = {}
        else:
            self.plans.update(update.plans)
        if update.full or update.plans:
            self.plans_version += 1
        if update.nas is not None:
            self.nas = NasTable(update.nas)
        changed_plans = set(update.plans) if not update.full else set()
        if changed_plans:
            for profile in self.by_subscription.values():
                if profile.plan_id in changed_plans:
                    profile.encoded.clear()
        for sub_id in update.removed:
            self._drop(sub_id)
        for profile in update.profiles:
            self._drop(profile.subscription_id)
            self.profiles[(profile.tenant_id, profile.username)] = profile
            self.by_subscription[profile.subscription_id] = profile
        for section in self.sections:
            if section.name in update.sections:
                section.apply(update.sections[section.name], update.full)
        # Only users the server knows are counted: sessions of other user names (a NAS
        # may send any) would take memory and never be asked about. A profile added later
        # gets its sessions with the next resync of open sessions.
        known = self.knows
        if update.sessions is not None:
            self.online.replace(s for s in update.sessions if known(s.tenant_id, s.username))
        for uid in update.closed:
            self.online.remove(uid)
        for s in update.opened:
            if known(s.tenant_id, s.username):
                self.online.add(s)
        self.loaded_at = time.monotonic()

    def _drop(self, subscription_id: uuid.UUID) -> None:
        old = self.by_subscription.pop(subscription_id, None)
        if old is not None:
            self.profiles.pop((old.tenant_id, old.username), None)

    def profile(self, tenant_id: uuid.UUID, username: str) -> Profile | None:
        return self.profiles.get((tenant_id, username))

    def knows(self, tenant_id: uuid.UUID, username: str) -> bool:
        """A subscriber's or a section's (lower-cased) user name: its sessions count."""
        return (tenant_id, username) in self.profiles or any(
            s.knows(tenant_id, username) for s in self.sections)
