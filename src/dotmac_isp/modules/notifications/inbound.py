"""Inbound mail: parse a message, and hand it to the module that owns its thread.

Modules register a route with @inbound_route; each route gets the parsed mail (and the time
and settings) in its own unit of work and returns a one-line description when the mail is
theirs, None when it is not, or raises an AppError to refuse it (the transaction rolls back
and the sender's server gets a 550 with the reason).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.notifications import threads
from dotmac_isp.modules.notifications.quoting import html_to_text, strip_quoted
from dotmac_isp.modules.notifications.schemas import CONTROL
from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)
MAX_ATTACHMENTS = 20


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMail:
    sender: str  # the From address, lowercased
    sender_name: str
    recipients: list[str]
    subject: str
    message_id: str
    tags: list[str]  # thread tags from the recipients, then In-Reply-To and References
    text: str  # the whole plain-text body
    reply: str  # the body with quoted text and signature removed
    auto_submitted: bool
    attachments: list[InboundAttachment] = field(default_factory=list)


def _clean(text: str) -> str:
    return CONTROL.sub("", text)


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # malformed header: treat as absent
        return ""
    return _clean(" ".join(str(value).split())) if value is not None else ""


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: decode leniently
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = str(content)
    return _clean(html_to_text(text) if part.get_content_type() == "text/html" else text)


def _attachments(message: EmailMessage) -> list[InboundAttachment]:
    found = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not part.get_filename():
            continue
        found.append(InboundAttachment(str(part.get_filename()), part.get_content_type(), data))
        if len(found) >= MAX_ATTACHMENTS:
            break
    return found


def parse(raw: bytes, *, envelope_from: str = "", recipients: list[str] | None = None,
          ) -> InboundMail:
    message: Any = message_from_bytes(raw, policy=policy.default)
    name, address = parseaddr(_header(message, "From") or envelope_from)
    rcpts = list(recipients or [])
    header_rcpts = [a for _n, a in getaddresses(
        [_header(message, h) for h in ("To", "Cc", "Delivered-To", "X-Original-To")])]
    references = [_header(message, "In-Reply-To"), _header(message, "References")]
    tags = threads.tags_in_addresses(rcpts + header_rcpts)
    tags += [t for t in threads.tags_in_message_ids(references) if t not in tags]
    text = _body(message)
    auto = _header(message, "Auto-Submitted").lower()
    return InboundMail(
        sender=address.strip().lower(), sender_name=name.strip(), recipients=rcpts,
        subject=_header(message, "Subject"), message_id=_header(message, "Message-ID")[:255],
        tags=tags, text=text, reply=strip_quoted(text),
        auto_submitted=(bool(auto) and auto != "no")
        or _header(message, "Precedence").lower() in ("bulk", "junk", "auto_reply"),
        attachments=_attachments(message))


@dataclass(frozen=True)
class InboundContext:
    now: datetime
    settings: Settings | None = None  # for URLs and sending right after commit


InboundRoute = Callable[[Session, InboundMail, InboundContext], str | None]
_routes: list[InboundRoute] = []


def inbound_route(route: InboundRoute) -> InboundRoute:
    """Register a route for inbound mail (idempotent)."""
    if route not in _routes:
        _routes.append(route)
    return route


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    detail: str


class Refused(AppError):
    """The message was refused."""

    status_code = 422
    code = "mail_refused"


def dispatch(database: Any, mail: InboundMail, ctx: InboundContext) -> Outcome:
    """Offer the mail to each route; the first that takes it wins."""
    if mail.auto_submitted:
        return _refuse(mail, "automatic replies (Auto-Submitted, Precedence) are not accepted")
    if not mail.sender:
        return _refuse(mail, "the message has no sender address")
    for route in list(_routes):
        try:
            with database.unit_of_work() as session:
                detail = route(session, mail, ctx)
        except AppError as exc:
            return _refuse(mail, exc.detail)
        if detail is not None:
            log.info("inbound mail accepted", extra={"sender": mail.sender, "detail": detail})
            return Outcome(True, detail)
    return _refuse(mail, "no ticket or conversation matches this address")


def _refuse(mail: InboundMail, reason: str) -> Outcome:
    log.warning("inbound mail refused", extra={"sender": mail.sender, "subject": mail.subject,
                                                "reason": reason})
    return Outcome(False, reason)
