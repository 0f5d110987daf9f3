"""Emailed replies to ticket notifications become public replies on the ticket."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.audit import AuditActor, set_actor
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.notifications.inbound import (
    InboundContext,
    InboundMail,
    Refused,
    inbound_route,
)
from dotmac_isp.modules.support import attachments, conversation, schemas, timeline
from dotmac_isp.modules.support.enums import EventKind
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.repository import MessageRepository, ticket_by_reply_token
from dotmac_isp.modules.support.settings import get_support_settings
from dotmac_isp.sdks.platform.repositories.auth import CredentialLookup
from dotmac_isp.shared.enums import ActorType
from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)


def _ticket(session: Session, mail: InboundMail) -> Ticket | None:
    for tag in mail.tags:
        ticket = ticket_by_reply_token(session, tag)
        if ticket is not None:
            return ticket
    return None


def _customer_addresses(session: Session, ticket: Ticket) -> set[str]:
    customer = customers_service.get_customer(session, ticket.tenant_id, ticket.customer_id)
    found = {customer.email.lower()} if customer.email else set()
    return found | {c.email.lower() for c in customer.contacts if c.email}


def _staff(session: Session, ticket: Ticket, address: str) -> User | None:
    user = CredentialLookup(session).user_by_email(address)
    if user is None or user.tenant_id != ticket.tenant_id or not user.is_active:
        return None
    return user


@inbound_route
def ticket_reply(session: Session, mail: InboundMail, ctx: InboundContext) -> str | None:
    """Match by the reply token (Reply-To address or In-Reply-To/References), check the sender
    is the ticket's customer (or a contact, or the tenant's staff), store the new text."""
    ticket = _ticket(session, mail)
    if ticket is None:
        return None
    if mail.message_id and MessageRepository(session, ticket.tenant_id).by_email_id(
            ticket.id, mail.message_id) is not None:
        return f"already stored on ticket {ticket.number}"
    if not mail.reply.strip():
        raise Refused("the reply is empty once the quoted text is removed")
    body = mail.reply[:schemas.MAX_BODY]
    if mail.sender in _customer_addresses(session, ticket):
        message = conversation.add_customer_reply(
            session, ticket.tenant_id, ticket.id, body, via="email", now=ctx.now,
            email_message_id=mail.message_id or None, settings=ctx.settings)
    elif (user := _staff(session, ticket, mail.sender)) is not None:
        set_actor(session, AuditActor(ActorType.USER, user.id, user.email))
        message = conversation.add_reply(session, ticket.tenant_id, ticket.id,
                                         schemas.ReplyIn(body=body), now=ctx.now,
                                         settings=ctx.settings)
        message.via, message.email_message_id = "email", mail.message_id or None
    else:
        raise Refused(f"{mail.sender} may not reply to ticket {ticket.number}: only the "
                      "customer's addresses are accepted")
    conf = get_support_settings()
    for item in mail.attachments[:conf.max_attachments_per_message]:
        try:
            with session.begin_nested():
                attachments.add_attachment(session, conf, ticket.tenant_id, ticket.id,
                                           item.filename, item.data, message_id=message.id,
                                           uploaded_by=mail.sender, now=ctx.now)
        except AppError as exc:
            timeline.record(session, ticket, EventKind.EMAIL,
                            f"emailed attachment not kept: {exc.detail}", ctx.now)
    session.flush()
    return f"reply stored on ticket {ticket.number}"
