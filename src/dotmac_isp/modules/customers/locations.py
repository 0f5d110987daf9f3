"""Where customers are served: their service addresses' coordinates, read by box for the map
and set by hand or by a geocoder. Plain rows for other modules; services flush only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers.enums import AddressKind
from dotmac_isp.modules.customers.models import Address, Customer, display_name_of
from dotmac_isp.modules.customers.repository import AddressRepository, CustomerRepository
from dotmac_isp.shared.geo import Box
from dotmac_isp.shared.types import utcnow

COORDINATE = Decimal("0.000001")


@dataclass(frozen=True)
class ServicePoint:
    address_id: uuid.UUID
    customer_id: uuid.UUID
    number: str
    name: str
    customer_status: str
    address: str
    latitude: Decimal
    longitude: Decimal


def _in_box(box: Box) -> list[ColumnElement[bool]]:
    return [Address.latitude.between(Decimal(str(box.min_lat)), Decimal(str(box.max_lat))),
            Address.longitude.between(Decimal(str(box.min_lon)), Decimal(str(box.max_lon)))]


def service_points(session: Session, tenant_id: uuid.UUID, box: Box,
                   limit: int) -> list[ServicePoint]:
    """Located service addresses in the box with their customers, at most `limit` (in a
    stable order, so a capped answer is the same twice)."""
    stmt = (AddressRepository(session, tenant_id).select(
        Address.id, Address.customer_id, Customer.number, Customer.kind, Customer.first_name,
        Customer.last_name, Customer.company_name, Customer.email, Customer.status,
        Address.line1, Address.line2, Address.city, Address.latitude, Address.longitude)
        .join(Customer, and_(Customer.id == Address.customer_id,
                             Customer.tenant_id == tenant_id))
        .where(Address.kind == AddressKind.SERVICE, *_in_box(box))
        .order_by(Address.latitude, Address.id).limit(limit))
    return [ServicePoint(
        address_id=row.id, customer_id=row.customer_id, number=row.number,
        name=display_name_of(row.kind, row.first_name, row.last_name, row.company_name,
                             row.email, row.number), customer_status=row.status,
        address=", ".join(p for p in (row.line1, row.line2, row.city) if p),
        latitude=row.latitude, longitude=row.longitude)
        for row in session.execute(stmt)]


def service_location(session: Session, tenant_id: uuid.UUID,
                     customer_id: uuid.UUID) -> tuple[Decimal, Decimal] | None:
    """The coordinates of the customer's first located service address, if any."""
    CustomerRepository(session, tenant_id).get(customer_id)
    row = session.execute(AddressRepository(session, tenant_id).select(
        Address.latitude, Address.longitude).where(
        Address.customer_id == customer_id, Address.kind == AddressKind.SERVICE,
        Address.latitude.is_not(None), Address.longitude.is_not(None))
        .order_by(Address.created_at, Address.id).limit(1)).first()
    return (row.latitude, row.longitude) if row else None


def service_addresses(session: Session, tenant_id: uuid.UUID,
                      customer_id: uuid.UUID) -> list[Address]:
    """The customer's service addresses, oldest first."""
    CustomerRepository(session, tenant_id).get(customer_id)
    return list(session.scalars(AddressRepository(session, tenant_id).select().where(
        Address.customer_id == customer_id, Address.kind == AddressKind.SERVICE)
        .order_by(Address.created_at, Address.id)))


def get_address(session: Session, tenant_id: uuid.UUID, address_id: uuid.UUID) -> Address:
    return AddressRepository(session, tenant_id).get(address_id)


def set_coordinates(session: Session, tenant_id: uuid.UUID, address_id: uuid.UUID,
                    latitude: Decimal | None, longitude: Decimal | None) -> Address:
    """Place (or unplace, with None) an address; stored to six decimals (about 10 cm)."""
    address = AddressRepository(session, tenant_id).get(address_id)
    address.latitude = None if latitude is None else latitude.quantize(COORDINATE)
    address.longitude = None if longitude is None else longitude.quantize(COORDINATE)
    address.updated_at = utcnow()
    session.flush()
    return address



def unplaced_service_addresses(session: Session, tenant_id: uuid.UUID,
                               limit: int = 1000) -> list[tuple[uuid.UUID, str]]:
    """(address, city) of service addresses without coordinates, oldest first."""
    stmt = (AddressRepository(session, tenant_id).select(Address.id, Address.city)
            .where(Address.kind == AddressKind.SERVICE, Address.latitude.is_(None))
            .order_by(Address.created_at, Address.id).limit(limit))
    return [(row.id, row.city) for row in session.execute(stmt)]
