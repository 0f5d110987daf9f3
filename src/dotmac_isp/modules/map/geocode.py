"""Geocoding service addresses with the tenant's geocoder: one customer's at the press of a
button, or those still unplaced in bulk (map.geocode_missing). Each attempt is recorded per
address: found, not found (asked again only once the address changes) or failed (asked again
after a while). Services flush; callers commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import locations as customer_locations
from dotmac_isp.modules.customers.enums import AddressKind
from dotmac_isp.modules.customers.models import Address
from dotmac_isp.modules.map import tenant_settings
from dotmac_isp.modules.map.models import GeocodeResult, MapSettings
from dotmac_isp.modules.map.repository import GeocodeResultRepository
from dotmac_isp.sdks import geocoding
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.types import utcnow

FOUND, NOT_FOUND, FAILED = "found", "not_found", "failed"


@dataclass(frozen=True)
class Outcome:
    address_id: uuid.UUID
    query: str
    status: str
    error: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclass(frozen=True)
class Geocoder:
    url: str
    user_agent: str


def geocoder_of(conf: MapSettings) -> Geocoder | None:
    return Geocoder(conf.geocoder_url, conf.geocoder_user_agent) if conf.geocoder_url else None


def tenant_geocoder(session: Session, tenant_id: uuid.UUID) -> Geocoder:
    """The tenant's geocoder, or a 422 saying none is configured."""
    found = geocoder_of(tenant_settings.map_settings(session, tenant_id))
    if found is None:
        raise ValidationFailed("no geocoder is configured: set its search URL in the map "
                               "settings (/admin/settings/map)")
    return found


def has_geocoder(session: Session, tenant_id: uuid.UUID) -> bool:
    return geocoder_of(tenant_settings.map_settings(session, tenant_id)) is not None


def place_of(session: Session, tenant_id: uuid.UUID, query: str) -> Outcome:
    """Ask the tenant's geocoder where a free-form address is (not a customer's: nothing is
    recorded); a 422 when none is configured."""
    return ask(tenant_geocoder(session, tenant_id), uuid.UUID(int=0), query[:500])


def tenants_with_geocoder(session: Session) -> list[uuid.UUID]:
    """Tenants that configured a geocoder (a job reads across tenants)."""
    return list(session.scalars(select(MapSettings.tenant_id).where(
        MapSettings.geocoder_url != "").order_by(MapSettings.tenant_id)))


def query_of(address: Address) -> str:
    return address.one_line()[:500]


def ask(geocoder: Geocoder, address_id: uuid.UUID, query: str) -> Outcome:
    """Ask the geocoder (no database work here: callers ask outside their transactions)."""
    try:
        place = geocoding.geocode(geocoder.url, geocoder.user_agent, query)
    except geocoding.GeocoderError as exc:
        return Outcome(address_id, query, FAILED, exc.detail[:500])
    if place is None:
        return Outcome(address_id, query, NOT_FOUND, "the geocoder found no such place")
    return Outcome(address_id, query, FOUND, "", place.latitude, place.longitude)


def record(session: Session, tenant_id: uuid.UUID, outcome: Outcome,
           now: datetime | None = None) -> None:
    """Store an attempt; a found place becomes the address's coordinates, unless someone
    placed the address meanwhile."""
    now = now or utcnow()
    address = customer_locations.get_address(session, tenant_id, outcome.address_id)
    if outcome.status == FOUND and address.latitude is None:
        customer_locations.set_coordinates(session, tenant_id, address.id, outcome.latitude,
                                           outcome.longitude)
    repo = GeocodeResultRepository(session, tenant_id)
    row = repo.of_addresses([address.id]).get(address.id)
    if row is None:
        row = repo.add(GeocodeResult(address_id=address.id, status=outcome.status,
                                     attempted_at=now))
    row.query, row.status, row.error = outcome.query, outcome.status, outcome.error[:500]
    row.attempted_at = max(now, address.updated_at)
    session.flush()


def geocode_customer(session: Session, tenant_id: uuid.UUID,
                     customer_id: uuid.UUID) -> list[Outcome]:
    """Geocode the customer's service addresses that have no coordinates yet."""
    addresses = customer_locations.service_addresses(session, tenant_id, customer_id)
    geocoder = tenant_geocoder(session, tenant_id)
    if not addresses:
        raise ValidationFailed("the customer has no service address to geocode")
    outcomes = []
    for address in addresses:
        if address.latitude is not None:
            continue
        outcome = ask(geocoder, address.id, query_of(address))
        record(session, tenant_id, outcome)
        outcomes.append(outcome)
    return outcomes


def due_addresses(session: Session, tenant_id: uuid.UUID, now: datetime,
                  retry_after: timedelta, limit: int) -> list[tuple[uuid.UUID, str]]:
    """(address, query) of service addresses without coordinates that were never tried, were
    changed since their last try, or failed longer than retry_after ago; oldest first."""
    tried = GeocodeResult
    stmt = (select(Address).outerjoin(tried, and_(tried.address_id == Address.id,
                                                  tried.tenant_id == tenant_id))
            .where(Address.tenant_id == tenant_id, Address.kind == AddressKind.SERVICE,
                   Address.latitude.is_(None),
                   or_(tried.id.is_(None), tried.attempted_at < Address.updated_at,
                       and_(tried.status == FAILED, tried.attempted_at <= now - retry_after)))
            .order_by(Address.created_at, Address.id).limit(limit))
    return [(a.id, query_of(a)) for a in session.scalars(stmt)]


def last_results(session: Session, tenant_id: uuid.UUID,
                 address_ids: list[uuid.UUID]) -> dict[uuid.UUID, GeocodeResult]:
    return GeocodeResultRepository(session, tenant_id).of_addresses(address_ids)
