"""A tenant's GoCardless account: the access token and webhook secret encrypted at rest
(like Stripe's keys), sandbox or live, and the SDK client built from it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import gocardless_gateway
from dotmac_isp.modules.billing.gateways.accounts import AccountRepository, find_account
from dotmac_isp.modules.billing.gateways.models import GatewayAccount
from dotmac_isp.sdks.direct_debit import DirectDebitGateway
from dotmac_isp.shared import crypto
from dotmac_isp.shared.errors import InvalidState, ValidationFailed

NAME = gocardless_gateway.NAME
MODES = ("sandbox", "live")


@dataclass
class GoCardlessInput:
    mode: str
    access_token: str = ""  # empty: keep the stored one
    webhook_secret: str = ""  # empty: keep the stored one
    is_enabled: bool = True


def _key(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def find(session: Session, tenant_id: uuid.UUID) -> GatewayAccount | None:
    return find_account(session, tenant_id, NAME)


def save(session: Session, settings: Settings, tenant_id: uuid.UUID,
         data: GoCardlessInput) -> GatewayAccount:
    """Create or change the tenant's GoCardless account; blank secrets keep the stored ones."""
    if data.mode not in MODES:
        raise ValidationFailed("mode: sandbox or live", extra={"field": "mode"})
    token, webhook = data.access_token.strip(), data.webhook_secret.strip()
    if token and not token.startswith(f"{data.mode}_"):
        raise ValidationFailed(f"access token: a {data.mode} access token starts with "
                               f"{data.mode}_", extra={"field": "access_token"})
    account = find(session, tenant_id)
    if account is None:
        if not token or not webhook:
            raise ValidationFailed("the access token and the webhook secret are both needed "
                                   "to collect direct debits", extra={"field": "access_token"})
        account = AccountRepository(session, tenant_id).add(GatewayAccount(gateway=NAME))
    elif account.mode != data.mode and not token:
        raise ValidationFailed(f"switching to {data.mode} needs that environment's access "
                               f"token", extra={"field": "access_token"})
    account.mode, account.is_enabled = data.mode, data.is_enabled
    if token:
        account.secret_key_encrypted = crypto.encrypt(_key(settings), token)
        account.secret_key_hint = token[-4:]
    if webhook:
        account.webhook_secret_encrypted = crypto.encrypt(_key(settings), webhook)
    session.flush()
    return account


def gateway_of(settings: Settings, account: GatewayAccount) -> DirectDebitGateway:
    return gocardless_gateway.GoCardlessGateway(
        crypto.decrypt(_key(settings), account.secret_key_encrypted),
        crypto.decrypt(_key(settings), account.webhook_secret_encrypted),
        environment=account.mode, base_url=settings.payments.gocardless_api_base,
        timeout_seconds=settings.payments.gateway_timeout_seconds)


def collects_direct_debit(session: Session, tenant_id: uuid.UUID) -> bool:
    account = find(session, tenant_id)
    return account is not None and account.is_enabled


def enabled_gateway(session: Session, settings: Settings,
                    tenant_id: uuid.UUID) -> DirectDebitGateway:
    """The tenant's direct debit gateway for new mandates and collections."""
    account = find(session, tenant_id)
    if account is None or not account.is_enabled:
        raise InvalidState("direct debit is not available; please pay another way")
    return gateway_of(settings, account)


def account_gateway(session: Session, settings: Settings,
                    tenant_id: uuid.UUID) -> DirectDebitGateway | None:
    """The gateway of the tenant's account even when switched off (to follow what is already
    under way: webhooks, refunds)."""
    account = find(session, tenant_id)
    return None if account is None else gateway_of(settings, account)
