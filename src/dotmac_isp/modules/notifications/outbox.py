"""The outbox: claim queued deliveries, send them with no transaction open, record outcomes.

A claim marks rows 'sending' under a lease in one short transaction: the due rows are
selected (FOR UPDATE SKIP LOCKED on PostgreSQL) and taken with a conditional UPDATE
(queued/retrying and due, or a lapsed lease), so two senders (the after-commit hook and the
job, or several workers) never both send one message. The job claims in batches and sends
over a bounded pool of reused SMTP connections (mail.smtp_connections).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings
from dotmac_isp.modules.notifications.enums import PENDING, DeliveryStatus
from dotmac_isp.modules.notifications.models import Delivery, DeliveryAttachment
from dotmac_isp.modules.notifications.smtp import DeliveryFailed, SmtpPool, transmit
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.claims import drain, running_clock, skip_locked
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
SessionOpener = Callable[[], AbstractContextManager[Session]]
# Waits before the 2nd, 3rd, ... attempt; the last one repeats.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
           timedelta(hours=1), timedelta(hours=4), timedelta(hours=12))
SENT = metrics.counter("notifications_sent_total", "Notification delivery attempts by outcome",
                       ["outcome"])
SEND_TIME = metrics.histogram("notifications_smtp_send_seconds",
                              "Handing one message to the SMTP server (connecting included "
                              "when a new connection was needed)", ["outcome"])
Send = Callable[[EmailMessage, str, str], str]


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def build_email(delivery: Delivery, sender: str,
                files: list[DeliveryAttachment] | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = delivery.to_address
    message["Subject"] = delivery.subject
    message["Message-ID"] = delivery.message_id
    message["Date"] = format_datetime(delivery.created_at)
    # Marks the mail as machine-sent so auto-responders do not answer it (no mail loops).
    message["Auto-Submitted"] = "auto-generated"
    headers: dict[str, Any] = delivery.headers or {}
    if headers.get("reply_to"):
        message["Reply-To"] = headers["reply_to"]
    if headers.get("in_reply_to"):
        message["In-Reply-To"] = headers["in_reply_to"]
    if headers.get("references"):
        message["References"] = headers["references"]
    message.set_content(delivery.body_text)
    if delivery.body_html:
        message.add_alternative(delivery.body_html, subtype="html")
    for file in files or []:
        maintype, _, subtype = file.content_type.partition("/")
        message.add_attachment(file.content, maintype=maintype, subtype=subtype,
                               filename=file.filename)
    return message


def attachments_of(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID,
                                                                     list[DeliveryAttachment]]:
    """The files of these deliveries, in one query."""
    files: dict[uuid.UUID, list[DeliveryAttachment]] = {}
    for file in session.scalars(select(DeliveryAttachment).where(
            DeliveryAttachment.delivery_id.in_(ids)).order_by(DeliveryAttachment.created_at,
                                                              DeliveryAttachment.filename)):
        files.setdefault(file.delivery_id, []).append(file)
    return files


@dataclass(frozen=True)
class Claimed:
    delivery_id: uuid.UUID
    recipient: str
    message: EmailMessage
    attempts: int
    max_attempts: int


def _claimable(now: datetime) -> Any:
    return or_(and_(Delivery.status.in_([s.value for s in PENDING]),
                    Delivery.next_attempt_at <= now),
               and_(Delivery.status == DeliveryStatus.SENDING.value, Delivery.lease_until < now))


def claim_batch(session: Session, sender: str, now: datetime, lease: timedelta, limit: int,
                ids: list[uuid.UUID] | None = None) -> list[Claimed]:
    """Mark up to `limit` due deliveries (only these ids, if given) as being sent by this
    sender until now + lease; rows another sender holds are passed over."""
    due = select(Delivery.id).where(_claimable(now))
    if ids is not None:
        due = due.where(Delivery.id.in_(ids))
    candidates = list(session.scalars(skip_locked(session, due.order_by(
        Delivery.next_attempt_at, Delivery.created_at).limit(limit))))
    if not candidates:
        return []
    taken = list(session.scalars(
        update(Delivery).where(Delivery.id.in_(candidates), _claimable(now))
        .values(status=DeliveryStatus.SENDING.value, lease_until=now + lease,
                attempts=Delivery.attempts + 1, last_attempt_at=now)
        .returning(Delivery.id).execution_options(synchronize_session=False)))
    if not taken:
        return []
    rows = session.scalars(select(Delivery).where(Delivery.id.in_(taken))
                           .execution_options(populate_existing=True)).all()
    order = {delivery_id: n for n, delivery_id in enumerate(candidates)}
    files = attachments_of(session, taken)
    return [Claimed(d.id, d.to_address, build_email(d, sender, files.get(d.id)), d.attempts,
                    d.max_attempts)
            for d in sorted(rows, key=lambda d: order[d.id])]


def claim(session: Session, delivery_id: uuid.UUID, sender: str, now: datetime,
          lease: timedelta) -> Claimed | None:
    claimed = claim_batch(session, sender, now, lease, 1, [delivery_id])
    return claimed[0] if claimed else None


def _apply(delivery: Delivery, claimed: Claimed, now: datetime, answer: str,
           failure: DeliveryFailed | None) -> str:
    delivery.lease_until = None
    delivery.smtp_response = answer[:500]
    if failure is None:
        delivery.status, delivery.sent_at, delivery.error = DeliveryStatus.SENT.value, now, ""
        delivery.next_attempt_at = None
    elif failure.permanent or claimed.attempts >= claimed.max_attempts:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED.value, None
        why = "refused by the server" if failure.permanent else \
            f"gave up after {claimed.attempts} attempts"
        delivery.error = f"{why}: {failure.answer}"[:1000]
    else:
        delivery.status = DeliveryStatus.RETRYING.value
        delivery.next_attempt_at = now + backoff(claimed.attempts)
        delivery.error = failure.answer
    SENT.labels(delivery.status).inc()
    return delivery.status


def record(session: Session, claimed: Claimed, now: datetime, *, answer: str,
           failure: DeliveryFailed | None) -> str:
    return record_many(session, [(claimed, (answer, failure))], now)[0]


Result = tuple[str, DeliveryFailed | None]  # the server's answer, and the failure if any


def record_many(session: Session, results: list[tuple[Claimed, Result]],
                now: datetime) -> list[str]:
    """Store the outcome of each attempt (one SELECT for them all); their new statuses."""
    stored = {d.id: d for d in session.scalars(select(Delivery).where(
        Delivery.id.in_([c.delivery_id for c, _r in results]))
        .execution_options(populate_existing=True))}
    statuses = []
    for claimed, (answer, failure) in results:
        delivery = stored.get(claimed.delivery_id)
        statuses.append("gone" if delivery is None else
                        _apply(delivery, claimed, now, answer, failure))
    session.flush()
    return statuses


def _send_one(send: Send, claimed: Claimed, envelope_from: str) -> Result:
    started = time.perf_counter()
    failure: DeliveryFailed | None = None
    try:
        answer = send(claimed.message, envelope_from, claimed.recipient)
    except DeliveryFailed as exc:
        failure, answer = exc, exc.answer
        log.warning("notification not delivered", extra={
            "delivery_id": str(claimed.delivery_id), "answer": exc.answer,
            "permanent": exc.permanent})
    except Exception as exc:  # a defect with one message must not stop the others
        log.exception("notification could not be sent",
                      extra={"delivery_id": str(claimed.delivery_id)})
        failure = DeliveryFailed(f"internal error: {exc.__class__.__name__}", permanent=False)
        answer = failure.answer
    SEND_TIME.labels("sent" if failure is None else "failed") \
        .observe(time.perf_counter() - started)
    return answer, failure


def _envelope_from(mail: MailSettings) -> str:
    _name, address = parseaddr(mail.sender)
    return address or mail.sender


def attempt(open_session: SessionOpener, delivery_id: uuid.UUID, mail: MailSettings,
            now: datetime, lease: timedelta) -> str:
    """Claim, send and record one delivery over a connection of its own; returns its new
    status ('skipped' if another sender has it or it is not due)."""
    with open_session() as session:
        claimed = claim(session, delivery_id, mail.sender, now, lease)
    if claimed is None:
        return "skipped"
    result = _send_one(lambda *args: transmit(mail, *args), claimed, _envelope_from(mail))
    with open_session() as session:
        return record_many(session, [(claimed, result)], now)[0]


def due_ids(session: Session, now: datetime, limit: int) -> list[uuid.UUID]:
    stmt = (select(Delivery.id).where(_claimable(now))
            .order_by(Delivery.next_attempt_at, Delivery.created_at).limit(limit))
    return list(session.scalars(stmt))


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return (f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed, "
                f"{self.skipped} skipped")


def send_due(open_session: SessionOpener, mail: MailSettings, now: datetime, *,
             limit: int, lease: timedelta) -> SendSummary:
    """Send every delivery that is due now (queued, retry time reached, or lease lapsed),
    claimed in batches and sent over at most mail.smtp_connections reused connections."""
    summary = SendSummary()
    envelope_from = _envelope_from(mail)
    pool = SmtpPool(mail, mail.smtp_connections, mail.smtp_messages_per_connection)

    clock = running_clock(now)

    def exchange(results: list[tuple[Claimed, Result]], room: int) -> list[Claimed]:
        with open_session() as session:
            for status in record_many(session, results, now) if results else []:
                key = status if status in ("sent", "retrying", "failed") else "skipped"
                setattr(summary, key, getattr(summary, key) + 1)
            if not room or pool.suspect:  # a server that may be down: the rest can wait
                return []
            return claim_batch(session, mail.sender, clock(), lease, room)

    try:
        # a few claimed messages wait for a free connection, so the connections stay busy
        # while outcomes are being recorded (a lease of minutes covers that wait)
        drain(exchange, lambda claimed: _send_one(pool.send, claimed, envelope_from),
              workers=mail.smtp_connections, queue=mail.smtp_connections, limit=limit,
              name="smtp")
    finally:
        pool.close()
    log.info("outbox sent", extra={"summary": str(summary), "connections": pool.opened})
    return summary


def session_opener(bind: Any) -> SessionOpener:
    """Open transactions on the connection or engine a request's session used."""

    @contextmanager
    def opener() -> Iterator[Session]:
        session = Session(bind=bind, expire_on_commit=False,
                          join_transaction_mode="create_savepoint")
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    return opener


def deliver_after_commit(bind: Any, delivery_id: uuid.UUID, mail: MailSettings,
                         lease: timedelta) -> Callable[[], None]:
    """The after-commit hook: try once now; on any trouble the job tries again later."""

    def deliver() -> None:
        try:
            attempt(session_opener(bind), delivery_id, mail, utcnow(), lease)
        except Exception:  # never fail the request that already committed
            log.exception("sending after commit failed; the outbox job will retry",
                          extra={"delivery_id": str(delivery_id)})

    return deliver
