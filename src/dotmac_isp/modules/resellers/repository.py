"""Reseller queries, all through the tenant-scoping chokepoint."""

from __future__ import annotations

import uuid

from dotmac_isp.modules.resellers.models import (
    CommissionRule,
    CommissionStatement,
    Reseller,
)
from dotmac_isp.shared.tenancy import TenantRepository


class ResellerRepository(TenantRepository[Reseller]):
    model = Reseller
    not_found_message = "reseller not found"

    def by_slug(self, slug: str) -> Reseller | None:
        return self.session.scalars(self.select().where(Reseller.slug == slug)).one_or_none()

    def by_name(self, name: str) -> Reseller | None:
        return self.session.scalars(self.select().where(Reseller.name == name)).one_or_none()


class RuleRepository(TenantRepository[CommissionRule]):
    model = CommissionRule
    not_found_message = "commission rule not found"

    def of_reseller(self, reseller_id: uuid.UUID) -> list[CommissionRule]:
        return list(self.session.scalars(
            self.select().where(CommissionRule.reseller_id == reseller_id)
            .order_by(CommissionRule.plan_id.is_(None), CommissionRule.created_at)))


class StatementRepository(TenantRepository[CommissionStatement]):
    model = CommissionStatement
    not_found_message = "commission statement not found"
