"""Sales queries, all through the tenant-scoping chokepoint."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select

from dotmac_isp.modules.sales.models import Lead, LeadActivity, Quote, QuoteLine, SalesSettings
from dotmac_isp.shared.tenancy import TenantRepository


class LeadRepository(TenantRepository[Lead]):
    model = Lead
    not_found_message = "lead not found"

    def lock(self, lead_id: uuid.UUID) -> Lead:
        """The lead, row-locked, with what the database holds now (not what this session
        read before the lock was granted)."""
        stmt = (self.select().where(Lead.id == lead_id).with_for_update(of=Lead)
                .execution_options(populate_existing=True))
        found = self.session.scalars(stmt).one_or_none()
        if found is None:
            raise self.not_found()
        return found

    def search(self, *, stage: list[str] | None = None, owner_id: uuid.UUID | None = None,
               unowned: bool = False, due_by: date | None = None,
               source: str | None = None) -> Select[Any]:
        stmt = self.select()
        if stage:
            stmt = stmt.where(Lead.stage.in_(stage))
        if owner_id is not None:
            stmt = stmt.where(Lead.owner_id == owner_id)
        if unowned:
            stmt = stmt.where(Lead.owner_id.is_(None))
        if due_by is not None:
            stmt = stmt.where(Lead.follow_up_date <= due_by)
        if source:
            stmt = stmt.where(Lead.source == source)
        return stmt


class ActivityRepository(TenantRepository[LeadActivity]):
    model = LeadActivity
    not_found_message = "activity not found"

    def for_lead(self, lead_id: uuid.UUID) -> Select[Any]:
        return self.select().where(LeadActivity.lead_id == lead_id) \
            .order_by(LeadActivity.created_at.desc(), LeadActivity.id)


class QuoteRepository(TenantRepository[Quote]):
    model = Quote
    not_found_message = "quote not found"

    def lock(self, quote_id: uuid.UUID) -> Quote:
        stmt = (self.select().where(Quote.id == quote_id).with_for_update(of=Quote)
                .execution_options(populate_existing=True))
        found = self.session.scalars(stmt).one_or_none()
        if found is None:
            raise self.not_found()
        return found

    def for_lead(self, lead_id: uuid.UUID) -> list[Quote]:
        stmt = self.select().where(Quote.lead_id == lead_id) \
            .order_by(Quote.created_at.desc(), Quote.id)
        return list(self.session.scalars(stmt))


class LineRepository(TenantRepository[QuoteLine]):
    model = QuoteLine
    not_found_message = "quote line not found"

    def for_quote(self, quote_id: uuid.UUID) -> list[QuoteLine]:
        stmt = self.select().where(QuoteLine.quote_id == quote_id).order_by(QuoteLine.position)
        return list(self.session.scalars(stmt))

    def for_quotes(self, quote_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[QuoteLine]]:
        found: dict[uuid.UUID, list[QuoteLine]] = {q: [] for q in quote_ids}
        if quote_ids:
            stmt = self.select().where(QuoteLine.quote_id.in_(quote_ids)) \
                .order_by(QuoteLine.position)
            for line in self.session.scalars(stmt):
                found[line.quote_id].append(line)
        return found

    def by_subscription(self, subscription_id: uuid.UUID) -> QuoteLine | None:
        stmt = self.select().where(QuoteLine.subscription_id == subscription_id).limit(1)
        return self.session.scalars(stmt).first()


class SettingsRepository(TenantRepository[SalesSettings]):
    model = SalesSettings
    not_found_message = "sales settings not found"

    def current(self) -> SalesSettings | None:
        return self.session.scalars(self.select()).one_or_none()
