"""Portal pages whose forms send the customer on to Stripe's hosted page (Pay now, saving a
card): the form's answer redirects there, and browsers check a page's CSP form-action on
that redirect, so these pages allow Stripe's page origin besides their own."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse

from dotmac_isp.config import Settings
from dotmac_isp.web.security import page_csp

STRIPE_HOSTED_ORIGIN = "https://checkout.stripe.com"


def stripe_page_origin(settings: Settings) -> str:
    """Where Stripe's hosted pages live: checkout.stripe.com, or the configured stand-in."""
    base = settings.payments.stripe_api_base
    if not base:
        return STRIPE_HOSTED_ORIGIN
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


def leads_to_gateway(response: HTMLResponse, settings: Settings) -> HTMLResponse:
    """The page's forms may hand the customer over to the gateway's hosted page."""
    response.headers["Content-Security-Policy"] = page_csp((stripe_page_origin(settings),))
    return response
