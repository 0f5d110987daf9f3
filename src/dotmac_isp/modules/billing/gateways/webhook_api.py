"""The gateways' webhook endpoints, one address per tenant account (its id, or the tenant's
slug). Only signed events are applied, each event id once; the payment itself is read back
from the gateway's API, so an event is a prompt, not the source of the amount. The work runs
off the event loop: a delivery waiting on another's row lock must not stop the loop that
would commit the other."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from dotmac_isp.modules.billing.gateways import gocardless_webhooks, service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession

router = APIRouter(prefix="/webhooks", include_in_schema=False)


@router.post("/stripe/{account_key}")
async def stripe_webhook(account_key: str, request: Request, session: DbSession,
                         settings: AppSettings) -> dict[str, str]:
    payload = await request.body()
    signature = request.headers.get("stripe-signature", "")
    outcome = await run_in_threadpool(service.handle_webhook, session, settings, account_key,
                                      payload, signature)
    return {"received": "true", "outcome": outcome}


@router.post("/gocardless/{account_key}")
async def gocardless_webhook(account_key: str, request: Request, session: DbSession,
                             settings: AppSettings) -> dict[str, object]:
    payload = await request.body()
    signature = request.headers.get("webhook-signature", "")
    outcomes = await run_in_threadpool(gocardless_webhooks.handle_webhook, session, settings,
                                       account_key, payload, signature)
    return {"received": "true", "events": outcomes}
