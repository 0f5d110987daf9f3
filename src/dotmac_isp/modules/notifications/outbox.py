"""The outbox: claim a queued delivery, send it with no transaction open, record the outcome.

A claim is one conditional UPDATE (queued/retrying and due, or a lapsed lease), so two
senders (the after-commit hook and the job, or two workers) never both send one message.
"""

from __future__ import annotations

import logging
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
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.modules.notifications.smtp import DeliveryFailed, transmit
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
SessionOpener = Callable[[], AbstractContextManager[Session]]
# Waits before the 2nd, 3rd, ... attempt; the last one repeats.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
           timedelta(hours=1), timedelta(hours=4), timedelta(hours=12))
SENT = metrics.counter("notifications_sent_total", "Notification delivery attempts by outcome",
                       ["outcome"])


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def build_email(delivery: Delivery, sender: str) -> EmailMessage:
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
    return message


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


def claim(session: Session, delivery_id: uuid.UUID, sender: str, now: datetime,
          lease: timedelta) -> Claimed | None:
    result: Any = session.execute(
        update(Delivery).where(Delivery.id == delivery_id, _claimable(now))
        .values(status=DeliveryStatus.SENDING.value, lease_until=now + lease,
                attempts=Delivery.attempts + 1, last_attempt_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    delivery = session.scalars(select(Delivery).where(Delivery.id == delivery_id)
                               .execution_options(populate_existing=True)).one()
    return Claimed(delivery.id, delivery.to_address, build_email(delivery, sender),
                   delivery.attempts, delivery.max_attempts)


def record(session: Session, claimed: Claimed, now: datetime, *, answer: str,
           failure: DeliveryFailed | None) -> str:
    delivery = session.get(Delivery, claimed.delivery_id, populate_existing=True)
    if delivery is None:
        return "gone"
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
    session.flush()
    SENT.labels(delivery.status).inc()
    return delivery.status


def attempt(open_session: SessionOpener, delivery_id: uuid.UUID, mail: MailSettings,
            now: datetime, lease: timedelta) -> str:
    """Claim, send and record one delivery; returns its new status ('skipped' if another
    sender has it or it is not due)."""
    with open_session() as session:
        claimed = claim(session, delivery_id, mail.sender, now, lease)
    if claimed is None:
        return "skipped"
    _name, envelope_from = parseaddr(mail.sender)
    failure: DeliveryFailed | None = None
    try:
        answer = transmit(mail, claimed.message, envelope_from or mail.sender, claimed.recipient)
    except DeliveryFailed as exc:
        failure, answer = exc, exc.answer
        log.warning("notification not delivered", extra={
            "delivery_id": str(delivery_id), "answer": exc.answer, "permanent": exc.permanent})
    with open_session() as session:
        return record(session, claimed, now, answer=answer, failure=failure)


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
    """Send every delivery that is due now (queued, retry time reached, or lease lapsed)."""
    with open_session() as session:
        ids = due_ids(session, now, limit)
    summary = SendSummary()
    for delivery_id in ids:
        outcome = attempt(open_session, delivery_id, mail, now, lease)
        key = outcome if outcome in ("sent", "retrying", "failed") else "skipped"
        setattr(summary, key, getattr(summary, key) + 1)
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
