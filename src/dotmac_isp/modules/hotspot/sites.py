"""Hotspot sites: each site's captive portal (branding, terms) and where its login form
posts the voucher code."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.hotspot import schemas
from dotmac_isp.modules.hotspot.models import HotspotSite
from dotmac_isp.modules.hotspot.repository import SiteRepository
from dotmac_isp.shared.errors import Conflict, NotFound
from dotmac_isp.shared.pagination import Page, PageParams

DEFAULT = "default"


def list_sites(session: Session, tenant_id: uuid.UUID,
               params: PageParams) -> Page[HotspotSite]:
    repo = SiteRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(HotspotSite.name, HotspotSite.id))


def get_site(session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID) -> HotspotSite:
    return SiteRepository(session, tenant_id).get(site_id)


def _unique_name(session: Session, tenant_id: uuid.UUID, name: str,
                 site_id: uuid.UUID | None) -> None:
    taken = session.scalar(select(HotspotSite.id).where(HotspotSite.tenant_id == tenant_id,
                                                        HotspotSite.name == name))
    if taken is not None and taken != site_id:
        raise Conflict(f"a hotspot site named {name!r} already exists", extra={"field": "name"})


def _only_default(session: Session, tenant_id: uuid.UUID, site: HotspotSite) -> None:
    """One default site per tenant: the one just marked."""
    if site.is_default:
        for other in session.scalars(select(HotspotSite).where(
                HotspotSite.tenant_id == tenant_id, HotspotSite.id != site.id,
                HotspotSite.is_default.is_(True))):
            other.is_default = False
        session.flush()


def create_site(session: Session, tenant_id: uuid.UUID, body: schemas.SiteCreate) -> HotspotSite:
    _unique_name(session, tenant_id, body.name, None)
    site = SiteRepository(session, tenant_id).add(HotspotSite(**body.model_dump()))
    _only_default(session, tenant_id, site)
    return site


def update_site(session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID,
                body: schemas.SiteCreate) -> HotspotSite:
    site = get_site(session, tenant_id, site_id)
    _unique_name(session, tenant_id, body.name, site.id)
    for key, value in body.model_dump().items():
        setattr(site, key, value)
    session.flush()
    _only_default(session, tenant_id, site)
    return site


def portal_site(session: Session, tenant_id: uuid.UUID, ref: str) -> HotspotSite:
    """The site a portal address names: its id, or "default" (the site marked default, else
    the oldest, else the built-in look with MikroTik's flow)."""
    repo = SiteRepository(session, tenant_id)
    if ref == DEFAULT:
        found = session.scalars(repo.select().order_by(
            HotspotSite.is_default.desc(), HotspotSite.created_at, HotspotSite.id).limit(1)
        ).first()
        if found is not None:
            return found
        return HotspotSite(tenant_id=tenant_id, name=DEFAULT, flow="mikrotik", login_url="",
                           allowed_hosts="", title="", welcome="", terms="",
                           primary_color="#0b5cad", background_color="#f4f6f9",
                           is_default=True)
    try:
        site_id = uuid.UUID(ref)
    except ValueError:
        raise NotFound("hotspot site not found") from None
    return repo.get(site_id)

