"""Portal pages whose forms send the customer on to a gateway's hosted page (Pay now, saving a
card, setting up a direct debit): the form's answer redirects there, and browsers check a
page's CSP form-action on that redirect, so these pages allow the gateway's page origin
besides their own."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse

from dotmac_isp.config import Settings
from dotmac_isp.web.security import page_csp

STRIPE_HOSTED_ORIGINS = ("https://checkout.stripe.com",)
GOCARDLESS_HOSTED_ORIGINS = ("https://pay.gocardless.com", "https://pay-sandbox.gocardless.com")


def _origins(base: str | None, hosted: tuple[str, ...]) -> tuple[str, ...]:
    """The gateway's own page origins, or the configured stand-in's."""
    if not base:
        return hosted
    parts = urlsplit(base)
    return (f"{parts.scheme}://{parts.netloc}",)


def stripe_page_origin(settings: Settings) -> str:
    """Where Stripe's hosted pages live: checkout.stripe.com, or the configured stand-in."""
    return _origins(settings.payments.stripe_api_base, STRIPE_HOSTED_ORIGINS)[0]


def leads_to_gateway(response: HTMLResponse, settings: Settings,
                     gateway: str = "stripe") -> HTMLResponse:
    """The page's forms may hand the customer over to the gateway's hosted page."""
    origins = (_origins(settings.payments.gocardless_api_base, GOCARDLESS_HOSTED_ORIGINS)
               if gateway == "gocardless" else (stripe_page_origin(settings),))
    response.headers["Content-Security-Policy"] = page_csp(origins)
    return response
