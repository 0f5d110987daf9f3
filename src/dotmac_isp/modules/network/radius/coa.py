"""CoA and Disconnect-Request to the NAS, through an outbox.

A request is a row written in the same transaction as the change that calls for it
(suspension, restore, plan change, data cap, a staff member's button). After the commit it
is sent at once by this process's dispatcher, when one runs (the RADIUS server starts it);
the radius.deliver_coa job sends whatever is still due, with backoff, up to
coa_max_attempts. The row keeps what the NAS answered: ACK or NAK with its Error-Cause.

The job claims due rows in batches (shared.claims: SKIP LOCKED on PostgreSQL) and sends
coa_concurrency of them at once, so one silent NAS costs its own timeout, not everyone's.
Several processes may run it together: each row goes to exactly one of them per attempt.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import time
import uuid
from collections import defaultdict
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
from dotmac_isp.shared.claims import drain, running_clock, skip_locked
from dotmac_isp.shared.crypto import DecryptionFailed
from dotmac_isp.shared.db import Database, after_commit
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
SENT = metrics.counter("radius_coa_total", "CoA/Disconnect requests by kind and answer",
                       ["kind", "answer"])
ROUND_TRIP = metrics.histogram("radius_coa_round_trip_seconds",
                               "From sending a CoA/Disconnect to the NAS's answer (or giving up)",
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
        _dispatcher.executor = ThreadPoolExecutor(settings.radius.coa_concurrency,
                                                  thread_name_prefix="radius-coa")


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
                # in the committing request's or job's context, so the send and its SQL
                # are part of its trace (an executor thread starts with an empty context)
                executor.submit(contextvars.copy_context().run, _deliver_logged,
                                Database(engine), settings, request_id)

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


@dataclass(frozen=True)
class Outcome:
    result: DynamicAuthResult | None
    error: str


def _secrets(session: Session, settings: Settings,
             nas_ids: set[uuid.UUID]) -> dict[uuid.UUID, bytes | None]:
    key = settings.secret_key.get_secret_value()
    secrets: dict[uuid.UUID, bytes | None] = {}
    for nas in session.scalars(select(NasClient).where(NasClient.id.in_(nas_ids))):
        try:
            secrets[nas.id] = crypto.decrypt(key, nas.secret_encrypted).encode()
        except DecryptionFailed:
            secrets[nas.id] = None
    return secrets


def claim_due(session: Session, settings: Settings, now: datetime, limit: int,
              ids: list[uuid.UUID] | None = None) -> list[Attempt]:
    """Take one attempt at up to `limit` due requests (only these ids, if given): each
    claimed row's next try moves out by its backoff, which is also its lease should this
    sender die. A row another sender holds or has just taken is passed over."""
    query = select(CoaRequest).where(CoaRequest.state == CoaState.PENDING.value,
                                     CoaRequest.next_attempt_at <= now)
    if ids is not None:
        query = query.where(CoaRequest.id.in_(ids))
    rows = session.scalars(skip_locked(session, query.order_by(CoaRequest.next_attempt_at)
                                       .limit(limit))).all()
    by_attempts: dict[int, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        by_attempts[row.attempts].append(row.id)
    taken: set[uuid.UUID] = set()
    for attempts, group in by_attempts.items():
        # conditional on the attempt count seen: a row another sender took in the meantime
        # no longer matches (PostgreSQL's row locks make this certain; on SQLite the writer
        # lock does)
        taken.update(session.scalars(
            update(CoaRequest)
            .where(CoaRequest.id.in_(group), CoaRequest.state == CoaState.PENDING.value,
                   CoaRequest.attempts == attempts)
            .values(attempts=attempts + 1, last_attempt_at=now,
                    next_attempt_at=now + BACKOFF * (2 ** attempts))
            .returning(CoaRequest.id).execution_options(synchronize_session=False)))
    mine = [row for row in rows if row.id in taken]
    secrets = _secrets(session, settings, {row.nas_id for row in mine if row.nas_id})
    return [Attempt(row.id, row.kind, row.target_address, row.target_port,
                    [(name, value) for name, value in row.attributes],
                    secrets.get(row.nas_id) if row.nas_id else None) for row in mine]


def send(attempt: Attempt, settings: Settings) -> Outcome:
    """Send one claimed request and wait for the NAS (no transaction is open)."""
    radius = settings.radius
    if attempt.secret is None:
        return Outcome(None, "the NAS client is gone or its secret cannot be read")
    started = time.perf_counter()
    try:
        result = send_dynamic_request(
            attempt.target_address, attempt.target_port, attempt.secret, attempt.kind,
            attempt.attributes, timeout=radius.coa_timeout_seconds, retries=radius.coa_retries)
    except (RadiusError, OSError, KeyError, ValueError, TypeError) as exc:
        outcome = Outcome(None, str(exc)[:255] or exc.__class__.__name__)
    except Exception as exc:  # a defect with one request must not stop the others
        log.exception("a CoA request could not be sent", extra={"request_id": str(attempt.id)})
        outcome = Outcome(None, f"internal error: {exc.__class__.__name__}")
    else:
        outcome = Outcome(result, "")
    ROUND_TRIP.labels(attempt.kind, outcome.result.answer if outcome.result else "error") \
        .observe(time.perf_counter() - started)
    return outcome


def record(session: Session, settings: Settings,
           results: list[tuple[Attempt, Outcome]]) -> list[str]:
    """Store what each NAS answered; returns the requests' states afterwards."""
    stored = {row.id: row for row in session.scalars(select(CoaRequest).where(
        CoaRequest.id.in_([attempt.id for attempt, _outcome in results]))
        .execution_options(populate_existing=True))}
    states = []
    for attempt, outcome in results:
        result, error = outcome.result, outcome.error
        answer = result.answer if result is not None else "error"
        SENT.labels(attempt.kind, answer).inc()
        row = stored.get(attempt.id)
        if row is None:
            states.append("gone")
            continue
        row.response = answer
        row.error_detail = (error or (result.error_cause_name if result else "")
                            or (result.reply_message if result else ""))[:255]
        row.error_cause = result.error_cause if result else None
        if result is not None and result.answer in ("ACK", "NAK"):
            row.state = (CoaState.ACKED if result.acknowledged else CoaState.NAKED).value
            row.completed_at = utcnow()
        elif row.attempts >= settings.radius.coa_max_attempts:
            row.state = CoaState.FAILED.value
            row.completed_at = utcnow()
        states.append(row.state)
        log.info("CoA sent", extra={"request_id": str(attempt.id), "kind": attempt.kind,
                                    "answer": answer, "state": row.state})
    session.flush()
    return states


def deliver(database: Database, settings: Settings, request_id: uuid.UUID,
            now: datetime | None = None) -> str:
    """One attempt at one request; returns its state afterwards."""
    now = now or utcnow()
    with database.unit_of_work(write=False) as session:
        row = session.get(CoaRequest, request_id)
        if row is None or row.state != CoaState.PENDING or row.next_attempt_at > now:
            return "skipped"  # checked first without the write lock (SQLite takes it at BEGIN)
    with database.unit_of_work() as session:
        claimed = claim_due(session, settings, now, 1, [request_id])
    if not claimed:
        return "skipped"
    outcome = send(claimed[0], settings)
    with database.unit_of_work() as session:
        return record(session, settings, [(claimed[0], outcome)])[0]


def deliver_due(database: Database, settings: Settings, now: datetime, *,
                limit: int | None = None) -> dict[str, int]:
    """Send every request due at `now` (up to `limit`), coa_concurrency at a time, so a
    silent NAS costs its own timeout only; returns how many ended in each state."""
    states: dict[str, int] = defaultdict(int)
    with database.unit_of_work(write=False) as session:
        if not due_ids(session, now, 1):
            return {}  # nothing due: no writer lock taken

    clock = running_clock(now)

    def exchange(results: list[tuple[Attempt, Outcome]], room: int) -> list[Attempt]:
        with database.unit_of_work() as session:
            for state in record(session, settings, results) if results else []:
                states[state] += 1
            return claim_due(session, settings, clock(), room) if room else []

    radius = settings.radius
    drain(exchange, lambda attempt: send(attempt, settings), workers=radius.coa_concurrency,
          limit=limit or radius.coa_batch_size, name="radius-coa")
    return dict(states)


def due_ids(session: Session, now: datetime, limit: int = 200) -> list[uuid.UUID]:
    return list(session.scalars(
        select(CoaRequest.id).where(CoaRequest.state == CoaState.PENDING.value,
                                    CoaRequest.next_attempt_at <= now)
        .order_by(CoaRequest.next_attempt_at).limit(limit)))
