"""Billing settings, tax rates and per-customer billing accounts."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import numbering
from dotmac_isp.modules.billing.enums import LateFeeKind
from dotmac_isp.modules.billing.models import BillingAccount, BillingSettings, TaxRate
from dotmac_isp.modules.billing.repository import AccountRepository, TaxRateRepository
from dotmac_isp.modules.billing.schemas import DunningConfig
from dotmac_isp.modules.billing.tax import Rate
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams

DEFAULT_DUNNING: dict[str, Any] = {
    "reminder_days": [3],
    "final_notice_days": 10,
    "suspend_after_days": 14,
    "late_fee_kind": "none",
    "late_fee_amount": "0",
    "late_fee_after_days": 7,
    "reconnection_fee": "0",
    "no_suspend_weekdays": [5, 6],
    "holidays": [],
}


def billing_settings(session: Session, tenant_id: uuid.UUID, *,
                     for_update: bool = False) -> BillingSettings:
    """The tenant's billing settings, created with defaults on first use."""
    stmt = select(BillingSettings).where(BillingSettings.tenant_id == tenant_id)
    if for_update:
        stmt = stmt.with_for_update()
    found = session.scalars(stmt).one_or_none()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(BillingSettings(tenant_id=tenant_id, dunning=dict(DEFAULT_DUNNING)))
    except IntegrityError:
        pass  # created by a concurrent transaction
    return session.scalars(stmt).one()


def update_settings(session: Session, tenant_id: uuid.UUID, changes: dict[str, Any]
                    ) -> BillingSettings:
    settings = billing_settings(session, tenant_id, for_update=True)
    for key in ("invoice_template", "credit_note_template", "payment_template",
                "receipt_template", "refund_template"):
        if changes.get(key) is not None:
            try:
                numbering.check_template(changes[key])
            except ValueError as exc:
                raise ValidationFailed(str(exc)) from exc
    if changes.get("default_tax_rate_ids") is not None:
        ids = [uuid.UUID(str(i)) for i in changes["default_tax_rate_ids"]]
        for rate_id in ids:
            TaxRateRepository(session, tenant_id).get(rate_id)
        changes["default_tax_rate_ids"] = [str(i) for i in ids]
    if changes.get("dunning") is not None:
        changes["dunning"] = checked_dunning(
            {**DEFAULT_DUNNING, **settings.dunning, **changes["dunning"]})
    for key, value in changes.items():
        if value is not None or key in ("billing_day", "payment_confirm_above"):
            setattr(settings, key, value)
    session.flush()
    return settings


def checked_dunning(config: dict[str, Any]) -> dict[str, Any]:
    """The whole dunning configuration, validated field by field and as a whole; raises
    ValidationFailed (422) with what is wrong."""
    try:
        parsed = DunningConfig.model_validate(config)
    except ValidationError as exc:
        raise ValidationFailed("dunning: " + "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())) from exc
    problems = []
    final, suspend = parsed.final_notice_days, parsed.suspend_after_days
    if final is not None and suspend is not None and final >= suspend:
        problems.append(f"the final notice (day {final}) warns of the suspension, so it must "
                        f"come before it (day {suspend}); raise suspend_after_days, lower "
                        "final_notice_days, or set suspend_after_days empty to never suspend")
    if parsed.late_fee_kind != LateFeeKind.NONE and parsed.late_fee_amount <= 0:
        problems.append(f"a {parsed.late_fee_kind.value} late fee needs an amount above 0")
    if parsed.late_fee_kind == LateFeeKind.PERCENT and parsed.late_fee_amount > 100:
        problems.append("a percentage late fee is at most 100")
    if problems:
        raise ValidationFailed("dunning: " + "; ".join(problems))
    return parsed.model_dump(mode="json")


def create_tax_rate(session: Session, tenant_id: uuid.UUID, name: str, rate: Decimal,
                    compound: bool = False, position: int = 0) -> TaxRate:
    repo = TaxRateRepository(session, tenant_id)
    if session.scalar(repo.select(TaxRate.id).where(TaxRate.name == name)) is not None:
        raise Conflict(f"a tax rate named {name!r} already exists")
    return repo.add(TaxRate(name=name, rate=rate, compound=compound, position=position))


def list_tax_rates(session: Session, tenant_id: uuid.UUID, params: PageParams) -> Page[TaxRate]:
    repo = TaxRateRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(TaxRate.position, TaxRate.name))


def get_tax_rate(session: Session, tenant_id: uuid.UUID, rate_id: uuid.UUID) -> TaxRate:
    return TaxRateRepository(session, tenant_id).get(rate_id)


def update_tax_rate(session: Session, tenant_id: uuid.UUID, rate_id: uuid.UUID,
                    changes: dict[str, Any]) -> TaxRate:
    """Changing a rate affects documents issued from now on; issued ones keep theirs."""
    rate = get_tax_rate(session, tenant_id, rate_id)
    for key, value in changes.items():
        if value is not None:
            setattr(rate, key, value)
    session.flush()
    return rate


def rates_for(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[Rate]:
    """The taxes a customer pays: the tenant's defaults, none when the customer is exempt."""
    customer = customers_service.get_customer(session, tenant_id, customer_id)
    if customer.tax_exempt:
        return []
    return rates_for_tenant(session, tenant_id)


def rates_for_tenant(session: Session, tenant_id: uuid.UUID) -> list[Rate]:
    """The tenant's default taxes, in the order they apply."""
    settings = billing_settings(session, tenant_id)
    ids = [uuid.UUID(i) for i in settings.default_tax_rate_ids]
    if not ids:
        return []
    rows = session.scalars(TaxRateRepository(session, tenant_id).select()
                           .where(TaxRate.id.in_(ids), TaxRate.is_active.is_(True))
                           .order_by(TaxRate.position, TaxRate.name)).all()
    return [Rate(str(r.id), r.name, r.rate, r.compound) for r in rows]


def account_for(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                *, create: bool = False) -> BillingAccount | None:
    repo = AccountRepository(session, tenant_id)
    found = session.scalars(repo.select().where(BillingAccount.customer_id == customer_id)
                            ).one_or_none()
    if found is None and create:
        customers_service.get_customer(session, tenant_id, customer_id)
        found = repo.add(BillingAccount(customer_id=customer_id))
    return found


def update_account(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                   changes: dict[str, Any]) -> BillingAccount:
    account = account_for(session, tenant_id, customer_id, create=True)
    assert account is not None
    for key, value in changes.items():
        setattr(account, key, value)
    session.flush()
    return account
