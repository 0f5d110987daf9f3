"""Sessions, the post-auth log, CoA requests and usage, for the API and the pages."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.radius import coa, store, usage
from dotmac_isp.modules.network.radius.enums import CoaKind, CoaReason
from dotmac_isp.modules.network.radius.models import (
    CoaRequest,
    DataCapState,
    RadAcct,
    RadPostAuth,
    UsageDaily,
)
from dotmac_isp.modules.network.radius.repository import (
    CoaRepository,
    PostAuthRepository,
    SessionRepository,
)
from dotmac_isp.modules.network.radius.schemas import UsageDayOut, UsageOut
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.errors import Conflict, InvalidState
from dotmac_isp.shared.keyset import KeyOrder
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow


def list_sessions(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                  online: bool | None = None, nas_id: uuid.UUID | None = None,
                  username: str | None = None, ip: str | None = None,
                  subscription_id: uuid.UUID | None = None,
                  mac: str | None = None) -> Page[RadAcct]:
    repo = SessionRepository(session, tenant_id)
    return repo.list_by_key(params, repo.search(online=online, nas_id=nas_id, username=username,
                                         ip=ip, subscription_id=subscription_id, mac=mac),
                            KeyOrder(RadAcct.acctstarttime, RadAcct.radacctid))


def get_session(session: Session, tenant_id: uuid.UUID, radacctid: int) -> RadAcct:
    return SessionRepository(session, tenant_id).get_session(radacctid)


def disconnect_session(session: Session, tenant_id: uuid.UUID, radacctid: int,
                       requested_by: str) -> CoaRequest:
    """Queue a Disconnect-Request for one live session (sent after the commit)."""
    row = get_session(session, tenant_id, radacctid)
    if row.acctstoptime is not None:
        raise Conflict("the session has already ended")
    request = coa.queue_for_session(session, row, CoaKind.DISCONNECT, CoaReason.STAFF,
                                    requested_by=requested_by)
    if request is None:
        raise InvalidState("the session's NAS is no longer configured; nothing to send to")
    return request


def list_postauth(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                  username: str | None = None, reply: str | None = None) -> Page[RadPostAuth]:
    repo = PostAuthRepository(session, tenant_id)
    return repo.list_by_key(params, repo.search(username=username, reply=reply),
                            KeyOrder(RadPostAuth.authdate, RadPostAuth.id))


def list_coa(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
             state: str | None = None) -> Page[CoaRequest]:
    repo = CoaRepository(session, tenant_id)
    stmt = repo.select().order_by(CoaRequest.created_at.desc())
    if state:
        stmt = stmt.where(CoaRequest.state == state)
    return repo.list(params, stmt)


def get_coa(session: Session, tenant_id: uuid.UUID, coa_id: uuid.UUID) -> CoaRequest:
    return CoaRepository(session, tenant_id).get(coa_id)


def usage_for(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
              days: int) -> UsageOut:
    """Daily usage for the last `days` days, the month so far and the cap, for graphs."""
    sub = services.get_subscription(session, tenant_id, subscription_id)
    today = utcnow().date()
    start = today - timedelta(days=days - 1)
    rows = usage.series(session, tenant_id, subscription_id, start, today)
    month = store.month_start(today)
    month_rows = usage.series(session, tenant_id, subscription_id, month, today)
    capped = session.scalar(select(DataCapState.subscription_id).where(
        DataCapState.subscription_id == subscription_id, DataCapState.period_start == month))
    return UsageOut(
        subscription_id=subscription_id, start_date=start, end_date=today,
        days=[UsageDayOut.model_validate(r) for r in rows],
        month_octets=sum(_total(r) for r in month_rows), data_cap_mb=sub.plan.data_cap_mb,
        capped=capped is not None)


def _total(row: UsageDaily) -> int:
    return row.input_octets + row.output_octets


def open_sessions_among(session: Session, tenant_id: uuid.UUID,
                        acctuniqueids: list[str]) -> list[RadAcct]:
    """The tenant's sessions with these Acct-Unique-Session-Ids that have not stopped."""
    if not acctuniqueids:
        return []
    return list(session.scalars(SessionRepository(session, tenant_id).select().where(
        RadAcct.acctuniqueid.in_(acctuniqueids), RadAcct.acctstoptime.is_(None))))
