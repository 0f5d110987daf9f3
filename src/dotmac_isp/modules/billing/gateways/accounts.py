"""A tenant's gateway account: keys encrypted at rest, and the gateway client built from it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import stripe_gateway
from dotmac_isp.modules.billing.gateways.models import GatewayAccount
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.sdks.payments import HostedPaymentGateway
from dotmac_isp.shared import crypto
from dotmac_isp.shared.errors import InvalidState, NotFound, ValidationFailed
from dotmac_isp.shared.tenancy import TenantRepository

MODES = ("test", "live")


class AccountRepository(TenantRepository[GatewayAccount]):
    model = GatewayAccount
    not_found_message = "payment gateway account not found"


@dataclass
class AccountInput:
    mode: str
    publishable_key: str
    secret_key: str = ""  # empty: keep the stored one
    webhook_secret: str = ""  # empty: keep the stored one
    is_enabled: bool = True


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def find_account(session: Session, tenant_id: uuid.UUID,
                 gateway: str = stripe_gateway.NAME) -> GatewayAccount | None:
    repo = AccountRepository(session, tenant_id)
    return session.scalars(repo.select().where(GatewayAccount.gateway == gateway)).one_or_none()


def _check_key(value: str, prefixes: tuple[str, ...], mode: str, what: str) -> None:
    if value and not value.startswith(prefixes):
        raise ValidationFailed(f"{what}: a {mode}-mode Stripe key starts with "
                               f"{' or '.join(prefixes)}")


def save_account(session: Session, settings: Settings, tenant_id: uuid.UUID,
                 data: AccountInput) -> GatewayAccount:
    """Create or change the tenant's Stripe account; blank secrets keep the stored ones."""
    if data.mode not in MODES:
        raise ValidationFailed("mode: test or live")
    publishable, secret = data.publishable_key.strip(), data.secret_key.strip()
    webhook = data.webhook_secret.strip()
    _check_key(publishable, (f"pk_{data.mode}_",), data.mode, "publishable key")
    _check_key(secret, (f"sk_{data.mode}_", f"rk_{data.mode}_"), data.mode, "secret key")
    if webhook and not webhook.startswith("whsec_"):
        raise ValidationFailed("webhook signing secret: it starts with whsec_")
    account = find_account(session, tenant_id)
    if account is None:
        if not secret or not webhook:
            raise ValidationFailed("the secret key and the webhook signing secret are both "
                                   "needed to take payments")
        account = AccountRepository(session, tenant_id).add(GatewayAccount(
            gateway=stripe_gateway.NAME))
    elif account.mode != data.mode and not secret:
        raise ValidationFailed(f"switching to {data.mode} mode needs that mode's secret key")
    account.mode, account.publishable_key = data.mode, publishable
    account.is_enabled = data.is_enabled
    if secret:
        account.secret_key_encrypted = crypto.encrypt(_secret(settings), secret)
        account.secret_key_hint = secret[-4:]
    if webhook:
        account.webhook_secret_encrypted = crypto.encrypt(_secret(settings), webhook)
    session.flush()
    return account


def gateway_of(settings: Settings, account: GatewayAccount) -> HostedPaymentGateway:
    return stripe_gateway.StripeGateway(
        crypto.decrypt(_secret(settings), account.secret_key_encrypted),
        crypto.decrypt(_secret(settings), account.webhook_secret_encrypted),
        api_base=settings.payments.stripe_api_base,
        timeout_seconds=settings.payments.gateway_timeout_seconds)


def pays_online(session: Session, tenant_id: uuid.UUID) -> bool:
    """Whether the tenant takes card payments online (an enabled gateway account): the
    portal offers Pay now only then."""
    account = find_account(session, tenant_id)
    return account is not None and account.is_enabled


def enabled_gateway(session: Session, settings: Settings,
                    tenant_id: uuid.UUID) -> HostedPaymentGateway:
    """The tenant's gateway for new payments; refused when none is set up."""
    account = find_account(session, tenant_id)
    if account is None or not account.is_enabled:
        raise InvalidState("online card payments are not available; please pay another way")
    return gateway_of(settings, account)


def account_for_webhook(session: Session, key: str,
                        gateway: str = stripe_gateway.NAME) -> GatewayAccount:
    """The account a webhook address names: its id, or the tenant's slug."""
    try:
        account_id = uuid.UUID(key)
    except ValueError:
        tenant = identity_service.tenant_by_slug(session, key)
        account = find_account(session, tenant.id, gateway)
    else:
        account = session.scalars(select(GatewayAccount).where(
            GatewayAccount.id == account_id, GatewayAccount.gateway == gateway)).one_or_none()
    if account is None:
        raise NotFound("no payment gateway account here")
    return account
