"""CoA and Disconnect-Request to the NAS, through an outbox.

A request is a row written in the same transaction as the change that calls for it
(suspension, restore, plan change, data cap, a staff member's button). After the commit it
is sent at once by this process's dispatcher, when one runs (the RADIUS server starts it);
the radius.deliver_coa job sends whatever is still due, with backoff, up to
coa_max_attempts. The row keeps what the NAS answered: ACK or NAK with its Error-Cause.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs import dispatch as jobs_dispatch
from dotmac_isp.modules.network.radius.enums import CoaKind, CoaReason, CoaState
from dotmac_isp.modules.network.radius.models import CoaRequest, NasClient, RadAcct
from dotmac_isp.sdks.core.exceptions import RadiusError
from dotmac_isp.sdks.radius.client import DynamicAuthResult, send_dynamic_request
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared import crypto
from dotmac_isp.shared.crypto import DecryptionFailed
from dotmac_isp.shared.db import Database, after_commit
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
SENT = metrics.counter("radius_coa_total", "CoA/Disconnect requests by kind and answer",
                       ["kind", "answer"])
BACKOFF = timedelta(seconds=30)
Pair = tuple[str, Any]


class _Dispatcher:
    settings: Settings | None = None
    executor: ThreadPoolExecutor | None = None


_dispatcher = _Dispatcher()


def start_dispatcher(settings: Settings) -> None:
    """Send queued requests right after their transaction commits, in this process."""
    _dispatcher.settings = settings
    if _dispatcher.executor is None:
        _dispatcher.executor = ThreadPoolExecutor(4, thread_name_prefix="radius-coa")


def stop_dispatcher() -> None:
    executor, _dispatcher.executor, _dispatcher.settings = _dispatcher.executor, None, None
    if executor is not None:
        executor.shutdown(wait=True)


def target_for(nas: NasClient, session_nas_ip: str | None) -> str:
    """Where to send: the address the session's NAS reported, if it belongs to this NAS
    client (a range may cover many routers), else the client's own address."""
    network = ipaddress.ip_network(nas.address, strict=False)
    if session_nas_ip:
        try:
            if ipaddress.ip_address(session_nas_ip) in network:
                return session_nas_ip
        except ValueError:
            pass
    return str(network.network_address)


def identify(row: RadAcct) -> list[Pair]:
    """Attributes that pick the session out on the NAS (RFC 5176 section 3)."""
    pairs: list[Pair] = [("User-Name", row.username), ("Acct-Session-Id", row.acctsessionid)]
    if row.framedipaddress:
        pairs.append(("Framed-IP-Address", row.framedipaddress))
    return pairs


def queue_for_session(session: Session, row: RadAcct, kind: CoaKind, reason: CoaReason, *,
                      attributes: list[Pair] | None = None,
                      requested_by: str = "system") -> CoaRequest | None:
    """Queue a request for one open session; None when its NAS is no longer known."""
    nas = session.get(NasClient, row.nas_id) if row.nas_id else None
    if nas is None or nas.tenant_id != row.tenant_id:
        return None
    request = CoaRequest(
        tenant_id=row.tenant_id, nas_id=nas.id, subscription_id=row.subscription_id,
        radacctid=row.radacctid, username=row.username, acctsessionid=row.acctsessionid,
        target_address=target_for(nas, row.nasipaddress), target_port=nas.coa_port,
        kind=kind.value, reason=reason.value,
        attributes=[[n, v] for n, v in identify(row) + list(attributes or [])],
        state=CoaState.PENDING.value, next_attempt_at=utcnow(), requested_by=requested_by)
    session.add(request)
    session.flush()
    dispatch_after_commit(session, [request.id])
    jobs_dispatch.run_job_after_commit(session, "radius.deliver_coa")  # on a worker, if any
    return request


def open_sessions_of(session: Session, tenant_id: uuid.UUID,
                     subscription_id: uuid.UUID) -> list[RadAcct]:
    return list(session.scalars(select(RadAcct).where(
        RadAcct.tenant_id == tenant_id, RadAcct.subscription_id == subscription_id,
        RadAcct.acctstoptime.is_(None))))


def queue_for_subscription(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                           kind: CoaKind, reason: CoaReason,
                           attributes_for: Any = None) -> list[CoaRequest]:
    """Queue a request for each open session of a subscription. attributes_for(nas) gives
    the CoA attributes for that NAS's vendor."""
    queued = []
    for row in open_sessions_of(session, tenant_id, subscription_id):
        nas = session.get(NasClient, row.nas_id) if row.nas_id else None
        extra = attributes_for(nas) if (attributes_for and nas) else None
        request = queue_for_session(session, row, kind, reason, attributes=extra)
        if request is not None:
            queued.append(request)
    return queued


def dispatch_after_commit(session: Session, ids: list[uuid.UUID]) -> None:
    bind = session.get_bind()
    engine: Engine = bind if isinstance(bind, Engine) else bind.engine

    def send() -> None:
        settings, executor = _dispatcher.settings, _dispatcher.executor
        if settings is not None and executor is not None:
            for request_id in ids:
                executor.submit(_deliver_logged, Database(engine), settings, request_id)

    after_commit(session, send)


def _deliver_logged(database: Database, settings: Settings, request_id: uuid.UUID) -> None:
    try:
        deliver(database, settings, request_id)
    except Exception:
        log.exception("CoA delivery failed", extra={"request_id": str(request_id)})


@dataclass(frozen=True)
class Attempt:
    id: uuid.UUID
    kind: str
    target_address: str
    target_port: int
    attributes: list[Pair]
    secret: bytes | None


def _claim(database: Database, request_id: uuid.UUID, now: datetime,
           settings: Settings) -> Attempt | None:
    """Take one attempt at a due request; None if it is not due or another sender has it."""
    with database.unit_of_work(write=False) as session:
        row = session.get(CoaRequest, request_id)
        if row is None or row.state != CoaState.PENDING or row.next_attempt_at > now:
            return None  # checked first without the write lock (SQLite takes it at BEGIN)
    with database.unit_of_work() as session:
        row = session.get(CoaRequest, request_id)
        if row is None:
            return None
        claimed = session.execute(
            update(CoaRequest)
            .where(CoaRequest.id == request_id, CoaRequest.state == CoaState.PENDING.value,
                   CoaRequest.attempts == row.attempts)
            .values(attempts=row.attempts + 1, last_attempt_at=now,
                    next_attempt_at=now + BACKOFF * (2 ** row.attempts)))
        if claimed.rowcount != 1:
            return None
        nas = session.get(NasClient, row.nas_id) if row.nas_id else None
        try:
            secret = crypto.decrypt(settings.secret_key.get_secret_value(),
                                    nas.secret_encrypted).encode() if nas else None
        except DecryptionFailed:
            secret = None
        return Attempt(row.id, row.kind, row.target_address, row.target_port,
                       [(name, value) for name, value in row.attributes], secret)


def deliver(database: Database, settings: Settings, request_id: uuid.UUID,
            now: datetime | None = None) -> str:
    """One attempt at one request; returns its state afterwards."""
    attempt = _claim(database, request_id, now or utcnow(), settings)
    if attempt is None:
        return "skipped"
    radius = settings.radius
    error = ""
    result: DynamicAuthResult | None = None
    if attempt.secret is None:
        error = "the NAS client is gone or its secret cannot be read"
    else:
        try:
            result = send_dynamic_request(
                attempt.target_address, attempt.target_port, attempt.secret, attempt.kind,
                attempt.attributes, timeout=radius.coa_timeout_seconds,
                retries=radius.coa_retries)
        except (RadiusError, OSError, KeyError, ValueError, TypeError) as exc:
            error = str(exc)[:255] or exc.__class__.__name__
    return _record(database, attempt, result, error, settings)


def _record(database: Database, attempt: Attempt, result: DynamicAuthResult | None,
            error: str, settings: Settings) -> str:
    answer = result.answer if result is not None else "error"
    SENT.labels(attempt.kind, answer).inc()
    with database.unit_of_work() as session:
        stored = session.get(CoaRequest, attempt.id)
        if stored is None:
            return "gone"
        stored.response = answer
        stored.error_detail = (error or (result.error_cause_name if result else "")
                               or (result.reply_message if result else ""))[:255]
        stored.error_cause = result.error_cause if result else None
        if result is not None and result.answer in ("ACK", "NAK"):
            stored.state = (CoaState.ACKED if result.acknowledged else CoaState.NAKED).value
            stored.completed_at = utcnow()
        elif stored.attempts >= settings.radius.coa_max_attempts:
            stored.state = CoaState.FAILED.value
            stored.completed_at = utcnow()
        state = stored.state
    log.info("CoA sent", extra={"request_id": str(attempt.id), "kind": attempt.kind,
                                "answer": answer, "state": state})
    return state


def due_ids(session: Session, now: datetime, limit: int = 200) -> list[uuid.UUID]:
    return list(session.scalars(
        select(CoaRequest.id).where(CoaRequest.state == CoaState.PENDING.value,
                                    CoaRequest.next_attempt_at <= now)
        .order_by(CoaRequest.next_attempt_at).limit(limit)))
