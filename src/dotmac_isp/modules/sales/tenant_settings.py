"""A tenant's sales settings: where enquiries are emailed, how long quotes are valid, the
terms a prospect accepts. Services flush; callers commit."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.sales import schemas
from dotmac_isp.modules.sales.models import SalesSettings
from dotmac_isp.modules.sales.repository import SettingsRepository


def sales_settings(session: Session, tenant_id: uuid.UUID) -> SalesSettings:
    """The stored settings, or (never saved) the defaults: no sales address, 30 days."""
    stored = SettingsRepository(session, tenant_id).current()
    return stored or SalesSettings(tenant_id=tenant_id, sales_email="", quote_validity_days=30,
                                   quote_terms="")


def save_settings(session: Session, tenant_id: uuid.UUID,
                  data: schemas.SalesSettingsIn) -> SalesSettings:
    repo = SettingsRepository(session, tenant_id)
    stored = repo.current()
    if stored is None:
        try:  # two first saves at once: one inserts, the other updates that row
            with session.begin_nested():
                stored = repo.add(SalesSettings(sales_email="", quote_validity_days=30,
                                                quote_terms=""))
        except IntegrityError:
            stored = repo.current()
            assert stored is not None
    stored.sales_email = (data.sales_email or "").lower()
    stored.quote_validity_days = data.quote_validity_days
    stored.quote_terms = data.quote_terms.strip()
    session.flush()
    return stored
