"""The small reads other domains need from resellers (a customer's reseller is checked when
set; the portal shows a reseller's brand), without the rest of the resellers service."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from dotmac_isp.modules.resellers.enums import ResellerStatus
from dotmac_isp.modules.resellers.models import Reseller
from dotmac_isp.shared.errors import ValidationFailed


def check_assignable(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID) -> None:
    """A customer may be given to an open reseller of the same tenant only."""
    status = session.scalar(select(Reseller.status).where(Reseller.tenant_id == tenant_id,
                                                         Reseller.id == reseller_id))
    if status is None:
        raise ValidationFailed("reseller_id: no such reseller", extra={"field": "reseller_id"})
    if status == ResellerStatus.CLOSED:
        raise ValidationFailed("reseller_id: this reseller is closed",
                               extra={"field": "reseller_id"})


def buyer_name(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID) -> str:
    """The name of a reseller that may buy (a voucher batch): open, of the same tenant."""
    found = session.execute(select(Reseller.name, Reseller.status).where(
        Reseller.tenant_id == tenant_id, Reseller.id == reseller_id)).one_or_none()
    if found is None:
        raise ValidationFailed("reseller_id: no such reseller", extra={"field": "reseller_id"})
    if found.status == ResellerStatus.CLOSED:
        raise ValidationFailed("reseller_id: this reseller is closed",
                               extra={"field": "reseller_id"})
    return str(found.name)


def names(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Every reseller of the tenant by id, for filters and labels."""
    rows = session.execute(select(Reseller.id, Reseller.name)
                           .where(Reseller.tenant_id == tenant_id).order_by(Reseller.name))
    return {rid: name for rid, name in rows}


@dataclass(frozen=True)
class Brand:
    """What a reseller's customers see in the portal instead of the tenant's name."""

    name: str
    slug: str
    primary_colour: str
    accent_colour: str
    logo_url: str | None  # a data: URL, which the pages' content policy allows


def brand_of(reseller: Reseller) -> Brand:
    logo = None
    if reseller.logo and reseller.logo_type:
        logo = (f"data:image/{reseller.logo_type};base64,"
                f"{base64.b64encode(reseller.logo).decode('ascii')}")
    return Brand(reseller.brand_name, reseller.slug, reseller.primary_colour,
                 reseller.accent_colour, logo)


def brand(session: Session, tenant_id: uuid.UUID, *, reseller_id: uuid.UUID | None = None,
          slug: str | None = None) -> Brand | None:
    """The brand of an open reseller, by id or by its portal slug; None for the tenant's own."""
    if reseller_id is None and slug is None:
        return None
    stmt = (select(Reseller).options(undefer(Reseller.logo))
            .where(Reseller.tenant_id == tenant_id, Reseller.status != ResellerStatus.CLOSED))
    stmt = stmt.where(Reseller.id == reseller_id) if reseller_id else stmt.where(
        Reseller.slug == slug)
    found = session.scalars(stmt).one_or_none()
    return brand_of(found) if found is not None else None
