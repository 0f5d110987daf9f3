"""GoCardless webhooks: one address per tenant account (its id, or the tenant's slug). A
delivery carries several events; it is verified with the SDK's signature check first (a
forged one records nothing), then each event is applied once, by its id. Events are prompts:
the mandate or payment is read back from GoCardless's API."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import accounts, direct_debit, mandates
from dotmac_isp.modules.billing.gateways import gocardless_accounts as gc_accounts
from dotmac_isp.modules.billing.gateways.models import GatewayEvent
from dotmac_isp.sdks.direct_debit import DirectDebitEvent

MANDATE_RESOURCES = frozenset({"mandates", "billing_requests"})


def handle_webhook(session: Session, settings: Settings, key: str, payload: bytes,
                   signature: str) -> dict[str, str]:
    """Verify one delivery and apply its events, each id once: {event id: what happened}."""
    account = accounts.account_for_webhook(session, key, gc_accounts.NAME)
    gateway = gc_accounts.gateway_of(settings, account)
    events = gateway.parse_webhook(payload, signature)  # a forged delivery raises: 400
    tenant_id = account.tenant_id
    outcomes: dict[str, str] = {}
    fresh: list[tuple[DirectDebitEvent, GatewayEvent]] = []
    # Every event row first, in one order for all deliveries, then the work: two deliveries
    # sharing events wait for each other instead of each holding what the other needs.
    for event in sorted(events, key=lambda e: e.id):
        try:
            with session.begin_nested():
                row = GatewayEvent(tenant_id=tenant_id, gateway=gateway.name,
                                   event_id=event.id[:255],
                                   event_type=f"{event.resource_type}.{event.action}"[:100],
                                   object_id=next(iter(event.links.values()), "")[:255])
                session.add(row)
        except IntegrityError:
            outcomes[event.id] = "duplicate"
        else:
            fresh.append((event, row))
    for event, row in fresh:
        if event.resource_type == "payments":
            outcome = direct_debit.apply_event(session, settings, tenant_id, gateway, event)
        elif event.resource_type in MANDATE_RESOURCES:
            outcome = mandates.apply_event(session, tenant_id, gateway, event)
        else:
            outcome = "ignored"
        row.outcome = outcomes[event.id] = outcome[:300]
        session.flush()
    return outcomes
