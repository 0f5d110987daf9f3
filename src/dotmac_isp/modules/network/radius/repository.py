"""RADIUS queries through the tenant-scoping chokepoint."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from sqlalchemy import Select, and_, or_, select

from dotmac_isp.modules.network.radius.models import CoaRequest, NasClient, RadAcct, RadPostAuth
from dotmac_isp.shared.errors import NotFound
from dotmac_isp.shared.tenancy import TenantRepository


class NasRepository(TenantRepository[NasClient]):
    model = NasClient
    not_found_message = "NAS not found"


class SessionRepository(TenantRepository[RadAcct]):
    model = RadAcct
    not_found_message = "session not found"

    def get_session(self, radacctid: int) -> RadAcct:
        row = self.session.scalars(self.select().where(RadAcct.radacctid == radacctid)
                                   ).one_or_none()
        if row is None:
            raise NotFound(self.not_found_message)
        return row

    def search(self, *, online: bool | None, nas_id: uuid.UUID | None = None,
               username: str | None = None, ip: str | None = None,
               subscription_id: uuid.UUID | None = None,
               mac: str | None = None) -> Select[Any]:
        stmt = self.select()
        if online is True:
            stmt = stmt.where(RadAcct.acctstoptime.is_(None))
        elif online is False:
            stmt = stmt.where(RadAcct.acctstoptime.is_not(None))
        if nas_id:
            stmt = stmt.where(RadAcct.nas_id == nas_id)
        if username:
            stmt = stmt.where(RadAcct.username.like(f"%{_escape(username)}%", escape="\\"))
        if ip:
            # The subscriber's address is indexed; a NAS's address is asked of the small NAS
            # table first, so the big one is never scanned for it.
            nas_ids = self._nas_at(ip)
            stmt = stmt.where(or_(RadAcct.framedipaddress == ip,
                                  and_(RadAcct.nas_id.in_(nas_ids), RadAcct.nasipaddress == ip))
                              if nas_ids else RadAcct.framedipaddress == ip)
        if mac:
            stmt = stmt.where(RadAcct.callingstationid.ilike(f"%{_escape(mac)}%", escape="\\"))
        if subscription_id:
            stmt = stmt.where(RadAcct.subscription_id == subscription_id)
        return stmt.order_by(RadAcct.acctstarttime.desc(), RadAcct.radacctid.desc())

    def _nas_at(self, ip: str) -> list[uuid.UUID]:
        address = ipaddress.ip_address(ip)
        rows = self.session.execute(select(NasClient.id, NasClient.address).where(
            NasClient.tenant_id == self.tenant_id))
        return [nas_id for nas_id, network in rows
                if address in ipaddress.ip_network(network, strict=False)]


class PostAuthRepository(TenantRepository[RadPostAuth]):
    model = RadPostAuth

    def search(self, *, username: str | None = None, reply: str | None = None) -> Select[Any]:
        stmt = self.select()
        if username:
            stmt = stmt.where(RadPostAuth.username.like(f"%{_escape(username)}%", escape="\\"))
        if reply:
            stmt = stmt.where(RadPostAuth.reply == reply)
        return stmt.order_by(RadPostAuth.authdate.desc(), RadPostAuth.id.desc())


class CoaRepository(TenantRepository[CoaRequest]):
    model = CoaRequest
    not_found_message = "CoA request not found"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
