"""Hotspot queries through the tenant-scoping chokepoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_

from dotmac_isp.modules.hotspot.enums import VoucherState
from dotmac_isp.modules.hotspot.models import (
    HotspotSite,
    Voucher,
    VoucherBatch,
    VoucherPlan,
    VoucherSession,
)
from dotmac_isp.shared.tenancy import TenantRepository


class PlanRepository(TenantRepository[VoucherPlan]):
    model = VoucherPlan
    not_found_message = "voucher plan not found"


class BatchRepository(TenantRepository[VoucherBatch]):
    model = VoucherBatch
    not_found_message = "voucher batch not found"


class SiteRepository(TenantRepository[HotspotSite]):
    model = HotspotSite
    not_found_message = "hotspot site not found"


class VoucherSessionRepository(TenantRepository[VoucherSession]):
    model = VoucherSession


class VoucherRepository(TenantRepository[Voucher]):
    model = Voucher
    not_found_message = "voucher not found"

    def search(self, now: datetime, *, state: VoucherState | None = None,
               batch_id: Any = None, code: str | None = None,
               sold_to: str | None = None) -> Select[Any]:
        stmt = self.select()
        if state is not None:
            stmt = stmt.where(state_is(state, now))
        if batch_id is not None:
            stmt = stmt.where(Voucher.batch_id == batch_id)
        if code:
            stmt = stmt.where(Voucher.code.like(f"{_escape(code)}%", escape="\\"))
        if sold_to:
            stmt = stmt.where(Voucher.sold_to.ilike(f"%{_escape(sold_to)}%", escape="\\"))
        return stmt


def state_is(state: VoucherState, now: datetime) -> Any:
    """A voucher's state as of now: an active one past its validity is expired already,
    before the job that marks it has run."""
    lapsed = and_(Voucher.state == VoucherState.ACTIVE, Voucher.expires_at.is_not(None),
                  Voucher.expires_at <= now)
    if state == VoucherState.EXPIRED:
        return or_(Voucher.state == VoucherState.EXPIRED, lapsed)
    if state == VoucherState.ACTIVE:
        return and_(Voucher.state == VoucherState.ACTIVE,
                    or_(Voucher.expires_at.is_(None), Voucher.expires_at > now))
    return Voucher.state == state


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
