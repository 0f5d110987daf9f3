"""Whether each NAS is alive, from what the server has recorded of it.

A NAS is down when the monitored device at its address is down, or when it has gone silent:
nothing recorded from it for SILENT_AFTER (no accounting start, interim update or stop, and no
authentication), counted from when it was added. Status-Server probes are answered but not
stored, so a NAS with nobody online and nobody signing in counts as silent too: with interim
updates every few minutes, a NAS that carries subscribers is heard well within the window.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.network.radius.models import NasClient, RadAcct, RadPostAuth

SILENT_AFTER = timedelta(minutes=30)
DEFINITION = ("A NAS is down when the monitored device at its address is down, or when "
              "nothing has been heard from it for 30 minutes: no accounting (start, interim "
              "update, stop) and no authentication. Status-Server probes are not recorded, so "
              "a NAS with nobody online and nobody signing in counts as down too.")


@dataclass(frozen=True)
class NasHealth:
    nas: NasClient
    last_heard_at: datetime | None  # within the window; None: nothing in it
    silent: bool
    device_down: bool

    @property
    def down(self) -> bool:
        return self.silent or self.device_down

    @property
    def reason(self) -> str:
        reasons = []
        if self.device_down:
            reasons.append("its device is down")
        if self.silent:
            reasons.append(f"nothing heard for {int(SILENT_AFTER.total_seconds() // 60)} "
                           "minutes")
        return " and ".join(reasons)


def _host(address: str) -> str | None:
    """The address of a NAS that is one host (10.0.0.1/32), None for a range."""
    network = ipaddress.ip_network(address, strict=False)
    return str(network.network_address) if network.num_addresses == 1 else None


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def heard_in(cutoff: datetime) -> ColumnElement[bool]:
    """An accounting row that is the NAS speaking since the cutoff: written since (changed_at,
    the server's clock, indexed) about a moment since. A session the stale-session job closed
    is written now, but with the stop time it was last heard at, and does not count."""
    return and_(RadAcct.changed_at >= cutoff,
                or_(RadAcct.acctupdatetime >= cutoff, RadAcct.acctstoptime >= cutoff))


def accounting_heard(session: Session, tenant_id: uuid.UUID, cutoff: datetime
                     ) -> dict[uuid.UUID | None, datetime | None]:
    """When each NAS's accounting was last written since the cutoff."""
    return {nas_id: written for nas_id, written in session.execute(
        select(RadAcct.nas_id, func.max(RadAcct.changed_at))
        .where(RadAcct.tenant_id == tenant_id, RadAcct.nas_id.is_not(None), heard_in(cutoff))
        .group_by(RadAcct.nas_id))}


def nas_health(session: Session, tenant_id: uuid.UUID, now: datetime,
               heard: dict[uuid.UUID | None, datetime | None] | None = None) -> list[NasHealth]:
    """Every active NAS of the tenant with whether it is down and why, in name order: a
    fixed handful of aggregate queries however many sessions there are. `heard` is
    accounting_heard() for now - SILENT_AFTER when the caller has read it already."""
    nas_list = list(session.scalars(select(NasClient).where(
        NasClient.tenant_id == tenant_id, NasClient.is_active.is_(True))
        .order_by(NasClient.name)))
    if not nas_list:
        return []
    cutoff = now - SILENT_AFTER
    ids = [n.id for n in nas_list]
    heard = dict(accounting_heard(session, tenant_id, cutoff) if heard is None else heard)
    for nas_id, authed in session.execute(
            select(RadPostAuth.nas_id, func.max(RadPostAuth.authdate))
            .where(RadPostAuth.tenant_id == tenant_id, RadPostAuth.authdate >= cutoff,
                   RadPostAuth.nas_id.in_(ids))
            .group_by(RadPostAuth.nas_id)):
        heard[nas_id] = _latest(heard.get(nas_id), authed)
    hosts = {n.id: _host(n.address) for n in nas_list}
    down_hosts = devices_service.down_addresses(
        session, tenant_id, [h for h in hosts.values() if h])
    return [NasHealth(nas=n, last_heard_at=heard.get(n.id),
                      silent=heard.get(n.id) is None and n.created_at <= cutoff,
                      device_down=hosts[n.id] in down_hosts)
            for n in nas_list]
