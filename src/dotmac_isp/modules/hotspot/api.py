"""Hotspot JSON API: voucher plans, batches (cards PDF, CSV, sell), vouchers (sell,
revoke, sessions) and captive-portal sites."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.hotspot import cards, schemas, service, sites, wholesale
from dotmac_isp.modules.hotspot.enums import VoucherState
from dotmac_isp.modules.hotspot.models import (
    HotspotSite,
    Voucher,
    VoucherBatch,
    VoucherPlan,
    VoucherSession,
)
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.shared.pagination import Page, PageParams, page_params
from dotmac_isp.web.lists import csv_lines, csv_response

router = APIRouter(prefix="/hotspot", tags=["hotspot"])
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.HOTSPOT_READ), require(Permission.HOTSPOT_WRITE)
TEXT = r"^[^\x00-\x1f\x7f]*$"


@router.get("/plans", response_model=Page[schemas.PlanOut])
def list_plans(session: DbSession, paging: Paging, active: bool | None = None,
               principal: Principal = READ) -> Page[VoucherPlan]:
    return service.list_plans(session, principal.tenant_id, paging, active=active)


@router.post("/plans", response_model=schemas.PlanOut, status_code=201)
def create_plan(body: schemas.PlanCreate, session: DbSession,
                principal: Principal = WRITE) -> VoucherPlan:
    """A voucher plan: price, time and/or data, validity after first login, speed, devices."""
    return service.create_plan(session, principal.tenant_id, body)


@router.get("/plans/{voucher_plan_id}", response_model=schemas.PlanOut)
def get_plan(voucher_plan_id: uuid.UUID, session: DbSession,
             principal: Principal = READ) -> VoucherPlan:
    return service.get_plan(session, principal.tenant_id, voucher_plan_id)


@router.patch("/plans/{voucher_plan_id}", response_model=schemas.PlanOut)
def update_plan(voucher_plan_id: uuid.UUID, body: schemas.PlanUpdate, session: DbSession,
                principal: Principal = WRITE) -> VoucherPlan:
    return service.update_plan(session, principal.tenant_id, voucher_plan_id, body)


@router.get("/batches", response_model=Page[schemas.BatchOut])
def list_batches(session: DbSession, paging: Paging, plan_id: uuid.UUID | None = None,
                 reseller_id: uuid.UUID | None = None,
                 principal: Principal = READ) -> Page[VoucherBatch]:
    """Batches newest first, paged by key (a reseller's staff: the batches it bought)."""
    return service.list_batches(session, principal.tenant_id, paging, plan_id=plan_id,
                                reseller_id=reseller_id)


@router.post("/batches", response_model=schemas.BatchOut, status_code=201)
def create_batch(body: schemas.BatchCreate, session: DbSession,
                 principal: Principal = WRITE) -> VoucherBatch:
    """Generate up to 10,000 vouchers of a plan, each with an unguessable code."""
    return service.create_batch(session, principal.tenant_id, body, created_by=principal.label)


@router.get("/batches/{batch_id}", response_model=schemas.BatchOut)
def get_batch(batch_id: uuid.UUID, session: DbSession,
              principal: Principal = READ) -> VoucherBatch:
    return service.get_batch(session, principal.tenant_id, batch_id)


@router.get("/batches/{batch_id}/cards.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def batch_cards(batch_id: uuid.UUID, session: DbSession, principal: Principal = READ) -> Response:
    """The batch's vouchers as printable cards."""
    return cards_response(session, principal.tenant_id, batch_id)


@router.get("/batches/{batch_id}/vouchers.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def batch_csv(batch_id: uuid.UUID, session: DbSession, principal: Principal = READ) -> Response:
    """The batch's vouchers as CSV (code, plan, price, state, sold to, dates)."""
    return csv_export(session, principal.tenant_id, batch_id)


@router.post("/batches/{batch_id}/sell", response_model=schemas.BatchOut)
def sell_batch(batch_id: uuid.UUID, body: schemas.SellIn, session: DbSession,
               principal: Principal = WRITE) -> VoucherBatch:
    """Mark the batch's unsold vouchers sold (or given) to someone, a reseller say."""
    service.sell_batch(session, principal.tenant_id, batch_id, body.sold_to)
    return service.get_batch(session, principal.tenant_id, batch_id)


@router.post("/batches/{batch_id}/sell-to-reseller", response_model=schemas.BatchOut)
def sell_to_reseller(batch_id: uuid.UUID, body: schemas.SellToResellerIn, session: DbSession,
                     principal: Principal = WRITE) -> VoucherBatch:
    """Sell the whole batch to a reseller at its plan's wholesale price (once; only while
    none of its vouchers was used or sold on its own). Its staff then see the batch."""
    return wholesale.sell_to_reseller(session, principal.tenant_id, batch_id,
                                      body.reseller_id, sold_by=principal.label)


@router.get("/vouchers", response_model=Page[schemas.VoucherOut])
def list_vouchers(session: DbSession, paging: Paging, state: VoucherState | None = None,
                  batch_id: uuid.UUID | None = None,
                  code: str | None = Query(None, max_length=32, pattern=TEXT,
                                           description="the code or its beginning"),
                  sold_to: str | None = Query(None, max_length=200, pattern=TEXT),
                  principal: Principal = READ) -> Page[Voucher]:
    """Vouchers newest first, paged by key (next_cursor)."""
    return service.list_vouchers(session, principal.tenant_id, paging, state=state,
                                 batch_id=batch_id, code=code, sold_to=sold_to)


@router.get("/vouchers/{voucher_id}", response_model=schemas.VoucherOut)
def get_voucher(voucher_id: uuid.UUID, session: DbSession,
                principal: Principal = READ) -> schemas.VoucherOut:
    voucher = service.get_voucher(session, principal.tenant_id, voucher_id)
    out = schemas.VoucherOut.model_validate(voucher)
    out.state = service.state_of(voucher)
    return out


@router.get("/vouchers/{voucher_id}/sessions", response_model=list[schemas.VoucherSessionOut])
def voucher_sessions(voucher_id: uuid.UUID, session: DbSession,
                     principal: Principal = READ) -> list[VoucherSession]:
    """What each of the voucher's sessions used, latest first."""
    return service.voucher_sessions(session, principal.tenant_id, voucher_id)


@router.post("/vouchers/{voucher_id}/sell", response_model=schemas.VoucherOut)
def sell_voucher(voucher_id: uuid.UUID, body: schemas.SellIn, session: DbSession,
                 principal: Principal = WRITE) -> Voucher:
    return service.sell_voucher(session, principal.tenant_id, voucher_id, body.sold_to)


@router.post("/vouchers/{voucher_id}/revoke", response_model=schemas.VoucherOut)
def revoke_voucher(voucher_id: uuid.UUID, body: schemas.RevokeIn, session: DbSession,
                   principal: Principal = WRITE) -> Voucher:
    """Refuse the code from now on; its live sessions are disconnected."""
    return service.revoke_voucher(session, principal.tenant_id, voucher_id, reason=body.reason,
                                  requested_by=principal.label)


@router.get("/sites", response_model=Page[schemas.SiteOut])
def list_sites(session: DbSession, paging: Paging,
               principal: Principal = READ) -> Page[HotspotSite]:
    return sites.list_sites(session, principal.tenant_id, paging)


@router.post("/sites", response_model=schemas.SiteOut, status_code=201)
def create_site(body: schemas.SiteCreate, session: DbSession,
                principal: Principal = WRITE) -> HotspotSite:
    """A hotspot site: its captive portal at /hotspot/{tenant slug}/{site id}/login."""
    return sites.create_site(session, principal.tenant_id, body)


@router.get("/sites/{hotspot_site_id}", response_model=schemas.SiteOut)
def get_site(hotspot_site_id: uuid.UUID, session: DbSession,
             principal: Principal = READ) -> HotspotSite:
    return sites.get_site(session, principal.tenant_id, hotspot_site_id)


@router.put("/sites/{hotspot_site_id}", response_model=schemas.SiteOut)
def update_site(hotspot_site_id: uuid.UUID, body: schemas.SiteCreate, session: DbSession,
                principal: Principal = WRITE) -> HotspotSite:
    return sites.update_site(session, principal.tenant_id, hotspot_site_id, body)


def cards_response(session: DbSession, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> Response:
    batch = service.get_batch(session, tenant_id, batch_id)
    plan = service.get_plan(session, tenant_id, batch.plan_id)
    vouchers = service.batch_vouchers(session, tenant_id, batch_id)
    tenant = identity_service.get_tenant(session, tenant_id)
    content = cards.cards_pdf(tenant.name, batch, plan, vouchers,
                              billing_service.company_logo(session, tenant_id))
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="vouchers-{batch.id}.pdf"'})


def csv_export(session: DbSession, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> Response:
    batch = service.get_batch(session, tenant_id, batch_id)
    plan = service.get_plan(session, tenant_id, batch.plan_id)
    rows = service.export_rows(service.batch_vouchers(session, tenant_id, batch_id), plan)
    return csv_response(csv_lines(service.EXPORT_HEADER, rows, lambda row: row),
                        f"vouchers-{batch.id}.csv")
