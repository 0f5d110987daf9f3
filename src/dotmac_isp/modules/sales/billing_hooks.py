"""A quote's one-off items (installation, equipment) go on the customer's first invoice:
when the first service sold on the quote starts, they are put on the customer's running
draft before billing adds the setup fee and the first period to it (this handler runs
first), so the customer gets one invoice with all of it. Once per quote: the quote is
marked under a conditional update, so a second activation adds nothing."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.sales.enums import ONE_OFF_KINDS
from dotmac_isp.modules.sales.models import Quote
from dotmac_isp.modules.sales.repository import LineRepository, QuoteRepository
from dotmac_isp.modules.services import events
from dotmac_isp.shared.events import on


@on(events.SubscriptionActivated, first=True)
def bill_one_offs(session: Session, event: events.SubscriptionActivated) -> None:
    line = LineRepository(session, event.tenant_id).by_subscription(event.subscription_id)
    if line is None:
        return
    quote = QuoteRepository(session, event.tenant_id).get(line.quote_id)
    claimed = session.execute(
        update(Quote).where(Quote.id == quote.id, Quote.tenant_id == event.tenant_id,
                            Quote.one_offs_billed_at.is_(None))
        .values(one_offs_billed_at=event.occurred_at)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return
    charges = [billing_service.Charge(f"{ln.description} (quote {quote.number})",
                                      ln.unit_price, ln.quantity)
               for ln in LineRepository(session, event.tenant_id).for_quote(quote.id)
               if ln.kind in ONE_OFF_KINDS]
    if charges:
        billing_service.charge_on_first_invoice(
            session, event.tenant_id, event.customer_id, quote.currency, charges,
            billing_service.tenant_today(session, event.tenant_id))
